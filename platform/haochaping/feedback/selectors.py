"""综合点评 reads: a unit's own comments (its schema), and the public copies (receipt lookup, the portal)."""
from __future__ import annotations

from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.disclosure.services import receipt_digest

from .models import PublicComment
from .portal.models import PublishedComment


def comments(*, status: str | None = None, category: str | None = None, channel: str | None = None,
             hidden: bool | None = None, query: str = "") -> QuerySet[PublicComment]:
    """This schema's comments, newest first, filtered."""
    rows = PublicComment.objects.all()
    if status:
        rows = rows.filter(status=status)
    if category:
        rows = rows.filter(category=category)
    if channel:
        rows = rows.filter(channel=channel)
    if hidden is not None:
        rows = rows.filter(is_hidden=hidden)
    if query:
        rows = rows.filter(text__icontains=query.strip())
    return rows.order_by("-submitted_at", "-pk")


def comment(pk: int) -> PublicComment | None:
    return PublicComment.objects.select_related("answered_by", "entered_by", "transferred_to", "transferred_from") \
        .filter(pk=pk).first()


def by_receipt(code: str) -> PublishedComment | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    with schema_context(get_public_schema_name()):
        return PublishedComment.objects.select_related("tenant").filter(receipt_digest=receipt_digest(code)).first()


def published(*, unit_slug: str | None = None, limit: int = 200) -> list[PublishedComment]:
    """Answered comments whose authors allowed publishing, never hidden ones (the portal)."""
    with schema_context(get_public_schema_name()):
        rows = PublishedComment.objects.select_related("tenant").filter(is_public=True, tenant__is_active=True)
        if unit_slug:
            rows = rows.filter(tenant__schema_name=unit_slug)
        return list(rows.order_by("-answered_at", "-pk")[:limit])


def awaiting_transfer(tenant) -> list[PublicComment]:
    """Comments in a unit (normally the centre) that no rule could route: the county re-routes them."""
    with schema_context(tenant.schema_name):
        return list(PublicComment.objects.filter(route=PublicComment.Route.FALLBACK, status=PublicComment.Status.OPEN,
                                                 is_hidden=False).order_by("submitted_at", "pk"))
