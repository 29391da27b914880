from __future__ import annotations

import strawberry
import strawberry_django

from haochaping.items import models
from schema.core.enums import CaseKind, CatalogItemType
from schema.core.nodes import ScopedNode
from schema.tenancy.types import UnitRef, unit_ref


@strawberry_django.type(models.ServiceGuide, description="办事指南（版本化，最高版本为现行）")
class ServiceGuide:
    version: int
    handling_unit: str
    channels: list[str]
    conditions: str
    materials: list[str]
    procedure: str
    case_kind: CaseKind
    statutory_limit_days: int
    promised_limit_days: int
    fees: str
    fee_basis: str
    evaluation_channels: list[str]
    published_at: strawberry.auto


@strawberry_django.type(models.ServiceItem, description="本单位认领的政务服务事项；四要素来自基本目录，只读")
class ServiceItem(ScopedNode):
    is_active: bool

    @strawberry_django.field(select_related=["catalog_item"])
    def code(self, root: models.ServiceItem) -> str:
        return root.catalog_item.code

    @strawberry_django.field(select_related=["catalog_item"])
    def name(self, root: models.ServiceItem) -> str:
        return root.catalog_item.name

    @strawberry_django.field(select_related=["catalog_item"])
    def legal_basis(self, root: models.ServiceItem) -> str:
        return root.catalog_item.legal_basis

    @strawberry_django.field(select_related=["catalog_item"])
    def item_type(self, root: models.ServiceItem) -> CatalogItemType:
        return CatalogItemType(root.catalog_item.item_type)

    @strawberry_django.field(prefetch_related=["guides"], description="现行办事指南")
    def guide(self, root: models.ServiceItem) -> ServiceGuide | None:
        guides = sorted(root.guides.all(), key=lambda g: g.version)
        return guides[-1] if guides else None

    @strawberry_django.field(prefetch_related=["guides"], description="全部版本，新版本在前")
    def guide_versions(self, root: models.ServiceItem) -> list[ServiceGuide]:
        return sorted(root.guides.all(), key=lambda g: -g.version)

    @strawberry_django.field(select_related=["lead_unit"], description="牵头单位（空表示本单位）")
    def lead_unit(self, root: models.ServiceItem) -> UnitRef | None:
        return unit_ref(root.lead_unit) if root.lead_unit else None

    @strawberry_django.field(prefetch_related=["cooperating_units"], description="配合单位")
    def cooperating_units(self, root: models.ServiceItem) -> list[UnitRef]:
        return [unit_ref(t) for t in root.cooperating_units.all()]
