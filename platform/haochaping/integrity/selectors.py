from django.db.models import QuerySet

from .models import SuspicionFlag


def open_flags(tenant_slug: str | None = None, kind: str | None = None) -> QuerySet[SuspicionFlag]:
    qs = SuspicionFlag.objects.select_related("tenant").filter(reviewed_at__isnull=True)
    if tenant_slug:
        qs = qs.filter(tenant__schema_name=tenant_slug)
    return qs.filter(kind=kind) if kind else qs
