"""Which unit a comment belongs to. Rules, first match wins:
1. submitted on a unit's own host → that unit;
2. a unit the commenter chose;
3. the service item's code (a unit publishing it; only when exactly one does) or the chosen organisation;
4. unit names found in the text (e.g. "城关镇"; only when exactly one unit is named);
5. otherwise the county government service centre (Tenant.Kind.CENTER), where a county user re-routes it (转办).
Reads only the public schema (tenants, published items and names)."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.core.errors import DomainError
from tenants.models import Tenant

from .models import PublicComment

R = PublicComment.Route


@dataclass(frozen=True)
class Routed:
    tenant: Tenant
    route: str
    item_name: str = ""
    org_name: str = ""


def units():
    """Active units with a schema of their own (not the county platform, not the base schema)."""
    return (Tenant.objects.filter(is_active=True)
            .exclude(schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA])
            .order_by("kind", "official_code"))


def unit_by_slug(slug: str | None) -> Tenant | None:
    slug = (slug or "").strip().lower()
    if not slug:
        return None
    with schema_context(get_public_schema_name()):
        return units().filter(schema_name=slug).first()


def county_centre() -> Tenant | None:
    with schema_context(get_public_schema_name()):
        return units().filter(kind=Tenant.Kind.CENTER).order_by("pk").first()


def _item(tenant: Tenant | None, code: str):
    from haochaping.disclosure.models import PublishedItem

    rows = PublishedItem.objects.filter(item_code=code, is_active=True, tenant__in=units())
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    return list(rows.select_related("tenant")[:20])


def _org(code: str):
    """An organisation chosen on the portal: "<unit slug>/<org code>" (org codes repeat between units)."""
    from haochaping.disclosure.models import PublicName

    slug, _, org_code = (code or "").partition("/")
    if not slug or not org_code:
        return None
    return PublicName.objects.select_related("tenant").filter(
        kind=PublicName.Kind.ORG, tenant__in=units(), tenant__schema_name=slug.lower(), code=org_code).first()


def route(*, text: str, unit: str | None = None, item_code: str = "", org_code: str = "",
          host_tenant: Tenant | None = None) -> Routed:
    with schema_context(get_public_schema_name()):
        return _route(text=text, unit=unit, item_code=(item_code or "").strip(), org_code=(org_code or "").strip(),
                      host_tenant=host_tenant)


def _route(*, text, unit, item_code, org_code, host_tenant) -> Routed:
    org = _org(org_code) if org_code else None
    if org_code and org is None:
        raise DomainError("UNKNOWN_ORG", "未找到该服务机构", "No such service organisation", "org")
    chosen = host_tenant
    route_ = R.HOST if host_tenant else None
    if chosen is None and unit:
        chosen = units().filter(schema_name=unit.strip().lower()).first()
        if chosen is None:
            raise DomainError("UNKNOWN_UNIT", "未找到该单位", "No such unit", "unit")
        route_ = R.EXPLICIT
    items = _item(chosen, item_code) if item_code else []
    if item_code and not items:  # of the chosen unit, or of any unit
        raise DomainError("UNKNOWN_ITEM", "未找到该事项", "No published service item has this code", "itemCode")
    if chosen is None and len({i.tenant_id for i in items}) == 1:
        chosen, route_ = items[0].tenant, R.ITEM
    if chosen is None and org is not None:
        chosen, route_ = org.tenant, R.ORG
    if chosen is None:
        named = {t.pk: t for t in units() if t.name and t.name in (text or "")}
        if len(named) == 1:
            chosen, route_ = next(iter(named.values())), R.TEXT
    if chosen is None:
        chosen = units().filter(kind=Tenant.Kind.CENTER).order_by("pk").first()
        route_ = R.FALLBACK
        if chosen is None:
            raise DomainError("UNROUTABLE", "无法确定受理单位，请选择单位", "Could not tell which unit this is for; choose a unit",
                              "unit")
    item_name = next((i.name for i in items if i.tenant_id == chosen.pk), "")
    org_name = org.name if org is not None and org.tenant_id == chosen.pk else ""
    return Routed(chosen, route_, item_name, org_name)
