import strawberry

from schema.core.enums import TenantKind
from schema.core.errors import UserError, attempt
from schema.core.permissions import platform_admin
from tenants.services import TenantSpec, create_tenant

from .types import Tenant


@strawberry.input
class CreateTenantInput:
    slug: str = strawberry.field(description="主机名前缀和模式名，例如 chengguan")
    name: str
    kind: TenantKind
    official_code: str = strawberry.field(description="统一社会信用代码（部门、中心）或行政区划代码（乡镇）")
    agency_name: str = strawberry.field(default="", description="乡镇自己的政务服务管理机构名称")


@strawberry.type
class CreateTenantPayload:
    tenant: Tenant | None
    errors: list[UserError]


@strawberry.type
class TenancyMutations:
    @strawberry.mutation(extensions=platform_admin(), description="创建租户（从基础模式克隆）")
    def create_tenant(self, input: CreateTenantInput) -> CreateTenantPayload:
        spec = TenantSpec(input.slug, input.name, input.kind.value, input.official_code, input.agency_name)
        tenant, errors = attempt(lambda: create_tenant(spec))
        return CreateTenantPayload(tenant=tenant, errors=errors)
