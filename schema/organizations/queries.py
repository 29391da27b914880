import strawberry
import strawberry_django

from haochaping.core.errors import DomainError
from haochaping.organizations import selectors
from schema.core.connections import Connection
from schema.core.enums import ServiceOrgKind
from schema.core.nodes import pk_for
from schema.core.permissions import public, tenant_admin, tenant_reader

from .types import AncillaryService, RatingDevice, ServiceOrg, ServicePlatform, Staff, Window


def _org_pk(org_id: strawberry.ID | None) -> int | None:
    if org_id is None:
        return None
    try:
        return pk_for(org_id, "ServiceOrg", what_zh="机构", what_en="Organisation", field="orgId")
    except DomainError:
        return -1  # an id from elsewhere matches nothing


@strawberry.type
class OrganizationQueries:
    @strawberry_django.connection(Connection[ServiceOrg], extensions=public(),
                                  description="政务服务机构：大厅、中心、站点（公开）")
    def service_orgs(self, kind: ServiceOrgKind | None = None) -> list[ServiceOrg]:
        return selectors.orgs(kind.value if kind else None)

    @strawberry_django.connection(Connection[Window], extensions=public(), description="窗口（公开）")
    def windows(self, org_id: strawberry.ID | None = None) -> list[Window]:
        return selectors.windows(_org_pk(org_id))

    @strawberry_django.connection(Connection[ServicePlatform], extensions=public(),
                                  description="政务服务平台（公开）")
    def service_platforms(self) -> list[ServicePlatform]:
        return selectors.platforms()

    @strawberry_django.connection(Connection[AncillaryService], extensions=public(),
                                  description="大厅配套服务及收费标准（公开）")
    def ancillary_services(self) -> list[AncillaryService]:
        return selectors.ancillary_services()

    @strawberry_django.connection(Connection[Staff], extensions=tenant_reader(), description="工作人员")
    def staff(self, org_id: strawberry.ID | None = None) -> list[Staff]:
        return selectors.staff(_org_pk(org_id))

    @strawberry_django.connection(Connection[RatingDevice], extensions=tenant_admin(),
                                  description="评价器")
    def rating_devices(self) -> list[RatingDevice]:
        return selectors.devices()
