import strawberry

from haochaping.items import services
from haochaping.items.models import ServiceItem as ServiceItemModel
from schema.core.enums import CaseKind
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import tenant_admin
from haochaping.core.lookup import get_or_not_found

from .types import ServiceGuide, ServiceItem


@strawberry.input
class ServiceGuideInput:
    handling_unit: str
    case_kind: CaseKind
    statutory_limit_days: int
    promised_limit_days: int
    channels: list[str]
    evaluation_channels: list[str]
    conditions: str = ""
    materials: list[str] = strawberry.field(default_factory=list)
    procedure: str = ""
    fees: str = ""
    fee_basis: str = ""

    def to_domain(self) -> services.GuideInput:
        return services.GuideInput(
            handling_unit=self.handling_unit, case_kind=self.case_kind.value,
            statutory_limit_days=self.statutory_limit_days, promised_limit_days=self.promised_limit_days,
            channels=self.channels, conditions=self.conditions, materials=self.materials, procedure=self.procedure,
            fees=self.fees, fee_basis=self.fee_basis, evaluation_channels=self.evaluation_channels,
        )


@strawberry.type
class ServiceItemPayload:
    item: ServiceItem | None
    errors: list[UserError]


@strawberry.type
class ServiceGuidePayload:
    guide: ServiceGuide | None
    errors: list[UserError]


def _item(item_id: strawberry.ID) -> ServiceItemModel:
    return get_or_not_found(ServiceItemModel, pk_for(item_id, "ServiceItem", what_zh="事项", what_en="Service item",
                                                     field="itemId"), "事项", "Service item", "itemId")


@strawberry.type
class ItemMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="认领基本目录事项并发布首版办事指南")
    def adopt_service_item(self, info: strawberry.Info, catalog_code: str, guide: ServiceGuideInput) -> ServiceItemPayload:
        item, errors = attempt(lambda: services.adopt_item(catalog_code=catalog_code, guide=guide.to_domain(),
                                                           user=info.context.request.principal.user))
        return ServiceItemPayload(item=item, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="发布办事指南新版本（旧版本保留）")
    def publish_service_guide(self, info: strawberry.Info, item_id: strawberry.ID,
                              guide: ServiceGuideInput) -> ServiceGuidePayload:
        result, errors = attempt(lambda: services.publish_guide(item=_item(item_id), guide=guide.to_domain(),
                                                                user=info.context.request.principal.user))
        return ServiceGuidePayload(guide=result, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="设置跨部门事项的牵头单位和配合单位")
    def set_service_item_units(self, item_id: strawberry.ID, lead_unit: str | None = None,
                               cooperating_units: list[str] | None = None) -> ServiceItemPayload:
        item, errors = attempt(lambda: services.set_item_units(item=_item(item_id), lead_slug=lead_unit,
                                                               cooperating_slugs=cooperating_units or []))
        return ServiceItemPayload(item=item, errors=errors)
