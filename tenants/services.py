"""Provisioning: the public tenant, the base schema, and new tenants cloned from it."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_exists

from haochaping.audit.services import record as audit
from haochaping.core.codes import is_valid_division_code, is_valid_uscc
from haochaping.core.errors import DomainError, ErrorCollector

from .cloning import clone_schema
from .models import Domain, ManagementAgency, Tenant

SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,29}$")
RESERVED_SLUGS = {"public", "www", "admin", "api", "static", "media", "graphql", "ws", "pg", "information"}
COUNTY_AGENCY_LEVEL = ManagementAgency.Level.COUNTY


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    kind: str
    official_code: str
    agency_name: str = ""  # a township's own management agency; ignored for other kinds


def base_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


def tenant_domain(slug: str) -> str:
    return f"{slug}.{settings.BASE_HOST}"


def ensure_public_tenant(*, county_name: str, county_code: str, agency_name: str) -> Tenant:
    """The public schema's own tenant row (the county platform) and its host; idempotent."""
    agency, _ = ManagementAgency.objects.get_or_create(
        level=COUNTY_AGENCY_LEVEL, defaults={"name": agency_name}
    )
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": county_name, "kind": Tenant.Kind.COUNTY, "official_code": county_code,
                  "management_agency": agency},
    )
    Domain.objects.get_or_create(domain=settings.BASE_HOST, defaults={"tenant": tenant, "is_primary": True})
    return tenant


def ensure_base_schema(verbosity: int = 0) -> None:
    """Create and migrate the template schema that new tenants are cloned from."""
    name = base_schema_name()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


def validate_spec(spec: TenantSpec) -> None:
    errors = ErrorCollector()
    errors.require(spec.slug, "slug", "租户标识", "Slug")
    errors.require(spec.name, "name", "名称", "Name")
    errors.require(spec.official_code, "officialCode", "统一社会信用代码或行政区划代码", "Official code")
    errors.max_length(spec.name, 100, "name", "名称", "Name")
    if spec.slug and (not SLUG_RE.match(spec.slug) or spec.slug in RESERVED_SLUGS
                      or spec.slug == base_schema_name()):
        errors.add("INVALID_SLUG", "slug", "租户标识须为2–30位小写字母或数字、以字母开头，且不能是保留字",
                   "Slug must be 2–30 lowercase letters or digits starting with a letter, and not reserved")
    if spec.kind not in {Tenant.Kind.TOWNSHIP, Tenant.Kind.DEPARTMENT, Tenant.Kind.CENTER}:
        errors.add("INVALID_KIND", "kind", "租户类型须为乡镇、县直部门或县政务服务中心",
                   "Kind must be TOWNSHIP, DEPARTMENT or CENTER")
    elif spec.official_code:
        if spec.kind == Tenant.Kind.TOWNSHIP and not is_valid_division_code(spec.official_code):
            errors.add("INVALID_OFFICIAL_CODE", "officialCode", "乡镇须填写有效的行政区划代码（6、9或12位数字）",
                       "A township needs a valid administrative division code (6, 9 or 12 digits)")
        if spec.kind != Tenant.Kind.TOWNSHIP and not is_valid_uscc(spec.official_code):
            errors.add("INVALID_OFFICIAL_CODE", "officialCode", "统一社会信用代码无效（18位，校验位须正确）",
                       "The unified social credit code is invalid (18 characters with a valid check digit)")
    errors.raise_if_any()
    # Duplicates are checked after the format so one message says what is wrong.
    slug_taken = Tenant.objects.filter(schema_name=spec.slug).exists() or schema_exists(spec.slug)
    if slug_taken:
        errors.add("DUPLICATE_SLUG", "slug", f"租户标识“{spec.slug}”已被使用", f"Slug '{spec.slug}' is already taken")
    if Tenant.objects.filter(name=spec.name).exists():
        errors.add("DUPLICATE_NAME", "name", f"名称“{spec.name}”已存在", f"Name '{spec.name}' already exists")
    if Tenant.objects.filter(official_code=spec.official_code).exists():
        errors.add("DUPLICATE_OFFICIAL_CODE", "officialCode", "该代码已登记为其他租户",
                   "This official code is already registered for another tenant")
    if not slug_taken and Domain.objects.filter(domain=tenant_domain(spec.slug)).exists():
        errors.add("DUPLICATE_DOMAIN", "slug", "该域名已被使用", "That domain is already in use")
    errors.raise_if_any()


def _agency_for(spec: TenantSpec) -> ManagementAgency:
    if spec.kind == Tenant.Kind.TOWNSHIP:
        # A township's own agency at its own level (同级).
        name = spec.agency_name.strip() or f"{spec.name}政务服务管理机构"
        agency, _ = ManagementAgency.objects.get_or_create(name=name, defaults={"level": ManagementAgency.Level.TOWNSHIP})
        return agency
    agency = ManagementAgency.objects.filter(level=COUNTY_AGENCY_LEVEL).first()
    if agency is None:
        raise DomainError("NO_COUNTY_AGENCY", "尚未设置县级政务服务管理机构", "The county management agency is not set up")
    return agency


def create_tenant(spec: TenantSpec) -> Tenant:
    """Validate, then in one transaction: tenant row, domain, and a schema cloned from the base schema."""
    connection.set_schema_to_public()
    spec = TenantSpec(spec.slug.strip().lower(), spec.name.strip(), spec.kind, spec.official_code.strip().upper(),
                      spec.agency_name)
    validate_spec(spec)
    if not schema_exists(base_schema_name()):
        ensure_base_schema()
    with transaction.atomic():
        tenant = Tenant.objects.create(schema_name=spec.slug, name=spec.name, kind=spec.kind,
                                       official_code=spec.official_code, management_agency=_agency_for(spec))
        Domain.objects.create(domain=tenant_domain(spec.slug), tenant=tenant, is_primary=True)
        clone_schema(base_schema_name(), spec.slug)
        connection.set_schema_to_public()
        audit("tenant.create", tenant, target_type="Tenant", target_label=f"{tenant.name} ({tenant.schema_name})",
              tenant=tenant.schema_name, detail={"kind": spec.kind, "officialCode": spec.official_code})
    connection.set_schema_to_public()
    return tenant


def timed_create_tenant(spec: TenantSpec) -> tuple[Tenant, float]:
    started = time.perf_counter()
    tenant = create_tenant(spec)
    return tenant, time.perf_counter() - started
