import strawberry
import strawberry_django

from haochaping.core.links import tenant_url
from schema.core.enums import AgencyLevel, TenantKind
from schema.core.nodes import ScopedNode
from tenants import models


@strawberry_django.type(models.ManagementAgency, description="同级政务服务管理机构")
class ManagementAgency:
    name: str
    level: AgencyLevel


@strawberry_django.type(models.Tenant, description="租户：乡镇、县直部门或县政务服务中心")
class Tenant(ScopedNode):
    name: str
    kind: TenantKind
    official_code: str
    is_active: bool
    management_agency: ManagementAgency | None

    @strawberry_django.field(only=["schema_name"])
    def slug(self, root: models.Tenant) -> str:
        return root.schema_name

    @strawberry_django.field(only=["schema_name"], description="租户首页（由 BASE_DOMAIN 生成）")
    def url(self, root: models.Tenant) -> str:
        return tenant_url(root.schema_name)


@strawberry.type(description="A unit referenced from another tenant (lead or cooperating unit)")
class UnitRef:
    slug: str
    name: str
    kind: TenantKind


def unit_ref(tenant: models.Tenant) -> UnitRef:
    return UnitRef(slug=tenant.schema_name, name=tenant.name, kind=tenant.kind)


@strawberry.type(description="The tenant whose host answered")
class CurrentTenant:
    slug: str
    name: str
    kind: TenantKind
    official_code: str
    management_agency: ManagementAgency | None
