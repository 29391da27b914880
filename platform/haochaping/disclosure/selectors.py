from django.db.models import Count, Q

from tenants.models import Tenant

from .models import PublishedRectification
from .services import receipt_digest

REJECTED = ("REJECTED_MISTAKEN", "REJECTED_MALICIOUS")


def by_receipt(code: str) -> PublishedRectification | None:
    if not code or len(code.strip()) < 6:
        return None
    # Receipt codes are unique within a tenant only: an ambiguous code shows nothing rather than another's answer.
    matches = list(PublishedRectification.objects.select_related("tenant").filter(receipt_digest=receipt_digest(code))[:2])
    return matches[0] if len(matches) == 1 else None


def exclusion_counts() -> dict[int, dict[str, int]]:
    """Per tenant: rectifications closed, and reviews not adopted as mistaken or malicious (published counts)."""
    rows = (PublishedRectification.objects.values("tenant_id")
            .annotate(closed=Count("pk", filter=Q(state="CLOSED")),
                      mistaken=Count("pk", filter=Q(outcome="REJECTED_MISTAKEN")),
                      malicious=Count("pk", filter=Q(outcome="REJECTED_MALICIOUS"))))
    return {row["tenant_id"]: row for row in rows}


__all__ = ["Tenant", "by_receipt", "exclusion_counts"]


def published_improvements(limit: int = 10):
    """Closed 集中问题 cases, newest first (what was wrong, what was done; no personal data)."""
    from .models import PublishedImprovement

    return PublishedImprovement.objects.select_related("tenant").order_by("-closed_at")[:limit]
