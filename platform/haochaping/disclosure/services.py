"""Publishing rectification outcomes into the public schema, in the same transaction as the change."""
from __future__ import annotations

from haochaping.core.privacy import digest

from .models import PublishedRectification


def receipt_digest(code: str) -> str:
    return digest((code or "").strip().upper(), "receipt")


def publish_rectification(r, *, receipt_code: str | None = None) -> None:
    """Upsert the public copy; `r` is a Rectification of the owner's schema."""
    values = dict(source=r.source, item_name=r.item_name, state=r.state, outcome=r.outcome or "",
                  feedback=r.feedback if r.state == "CLOSED" else "", opened_at=r.opened_at, due=r.due,
                  closed_at=r.closed_at)
    if receipt_code:
        values["receipt_digest"] = receipt_digest(receipt_code)
    PublishedRectification.objects.update_or_create(tenant=r.owner_unit, rectification_id=r.pk, defaults=values)
