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


# --- 清单和办事指南、配套服务收费、逾期办件原因 ---------------------------------------------------------------------
# Each is called by the tenant's own write (adopting an item, publishing a guide version, creating an ancillary
# service, recording an overdue reason) inside that write's transaction, with the connection on the tenant's schema
# (the public tables are on its search path). `publish_catalog` republishes a whole tenant idempotently.

GUIDE_FIELDS = ("handling_unit", "case_kind", "statutory_limit_days", "promised_limit_days", "channels", "conditions",
                "materials", "procedure", "fees", "fee_basis", "evaluation_channels")


def _tenant():
    from tenants.resolution import current_tenant

    return current_tenant()


def mask_case_number(number: str) -> str:
    """First four and last two characters: enough to tell cases apart, not to look one up."""
    number = (number or "").strip()
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def publish_item(item, *, tenant=None):
    """Upsert the public copy of a ServiceItem (this schema's) with its current guide (the highest version)."""
    from .models import PublishedItem

    tenant = tenant or _tenant()
    guide = item.guides.order_by("-version").first()
    catalog = item.catalog_item
    values = dict(name=catalog.name, item_type=catalog.item_type, is_active=bool(item.is_active and catalog.is_active),
                  guide={name: getattr(guide, name) for name in GUIDE_FIELDS} if guide else {},
                  guide_version=guide.version if guide else None, published_at=guide.published_at if guide else None)
    published, _ = PublishedItem.objects.update_or_create(tenant=tenant, item_code=catalog.code, defaults=values)
    return published


def publish_fee(service, *, tenant=None):
    """Upsert the public copy of an AncillaryService (this schema's)."""
    from .models import PublishedFee

    tenant = tenant or _tenant()
    org = service.org
    published, _ = PublishedFee.objects.update_or_create(
        tenant=tenant, org_code=org.code, service_name=service.name,
        defaults=dict(org_name=org.name, is_free=service.is_free, fee=service.fee if not service.is_free else "",
                      fee_basis=service.fee_basis))
    return published


def publish_overdue_reason(case, *, tenant=None):
    """Upsert the public explanation of a late case: masked number, item, dates and the redacted reason; nothing
    about the applicant. A case without a reason (or no longer late) is withdrawn."""
    from haochaping.core.privacy import redact_text

    from .models import PublishedOverdueReason

    tenant = tenant or _tenant()
    if not (case.is_overdue and (case.overdue_reason or "").strip()):
        PublishedOverdueReason.objects.filter(tenant=tenant, case_id=case.pk).delete()
        return None
    item = case.item
    published, _ = PublishedOverdueReason.objects.update_or_create(
        tenant=tenant, case_id=case.pk,
        defaults=dict(case_number_masked=mask_case_number(case.case_number), item_code=item.catalog_item.code,
                      item_name=item.catalog_item.name, promised_at=case.promised_at, completed_at=case.completed_at,
                      reason=redact_text(case.overdue_reason, limit=1000), recorded_at=case.overdue_reason_at))
    return published


def publish_catalog(tenant) -> dict[str, int]:
    """(Re)publish one tenant's items and guides, fees and overdue reasons from its schema, removing public copies
    whose source is gone. Idempotent: a second run changes nothing but `updated_at`."""
    from django.db import transaction
    from django_tenants.utils import schema_context

    from haochaping.evaluations.models import ServiceCase
    from haochaping.items.models import ServiceItem
    from haochaping.organizations.models import AncillaryService

    from .models import PublishedFee, PublishedItem, PublishedOverdueReason

    with schema_context(tenant.schema_name), transaction.atomic():
        items = list(ServiceItem.objects.select_related("catalog_item"))
        for item in items:
            publish_item(item, tenant=tenant)
        PublishedItem.objects.filter(tenant=tenant).exclude(item_code__in=[i.catalog_item.code for i in items]).delete()
        services = list(AncillaryService.objects.select_related("org"))
        kept = set()
        for service in services:
            kept.add(publish_fee(service, tenant=tenant).pk)
        PublishedFee.objects.filter(tenant=tenant).exclude(pk__in=kept).delete()
        cases = list(ServiceCase.objects.select_related("item__catalog_item").filter(is_overdue=True).exclude(overdue_reason=""))
        for case in cases:
            publish_overdue_reason(case, tenant=tenant)
        PublishedOverdueReason.objects.filter(tenant=tenant).exclude(case_id__in=[c.pk for c in cases]).delete()
    return {"items": len(items), "fees": len(services), "overdue_reasons": len(cases)}
