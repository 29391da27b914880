import strawberry
import strawberry_django
from django.db import connection

from schema.core.connections import Connection
from schema.core.permissions import public
from tenants.models import Tenant as TenantModel

from .types import CurrentTenant, Tenant


@strawberry.type
class PlatformTenantQueries:
    @strawberry_django.connection(Connection[Tenant], extensions=public(),
                                  description="全县租户（公开：名称、类型、代码、主页）")
    def tenants(self, kind: str | None = None) -> list[Tenant]:
        qs = TenantModel.objects.exclude(schema_name="public").filter(is_active=True).select_related("management_agency")
        return qs.filter(kind=kind) if kind else qs


@strawberry.type
class TenantSelfQueries:
    @strawberry.field(extensions=public(), description="本租户信息")
    def tenant(self) -> CurrentTenant:
        tenant = connection.tenant
        return CurrentTenant(slug=tenant.schema_name, name=tenant.name, kind=tenant.kind,
                             official_code=tenant.official_code, management_agency=tenant.management_agency)
