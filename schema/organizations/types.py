from __future__ import annotations

import strawberry
import strawberry_django

from haochaping.organizations import models
from schema.core.enums import ServiceOrgKind, ServicePlatformKind
from schema.core.nodes import ScopedNode
from schema.items.types import ServiceItem


@strawberry_django.type(models.AncillaryService, description="配套服务（文印、传真、邮寄等）及收费标准")
class AncillaryService(ScopedNode):
    name: str
    is_free: bool
    fee: str
    fee_basis: str


@strawberry_django.type(models.Window, description="窗口")
class Window(ScopedNode):
    code: str
    name: str
    is_one_stop: bool
    is_active: bool
    org: ServiceOrg
    items: list[ServiceItem]


@strawberry_django.type(models.ServiceOrg, description="政务服务机构：大厅、中心或站点")
class ServiceOrg(ScopedNode):
    kind: ServiceOrgKind
    code: str
    name: str
    address: str
    opening_hours: str
    is_active: bool
    parent: ServiceOrg | None
    windows: list[Window]
    ancillary_services: list[AncillaryService]


@strawberry_django.type(models.Staff, description="窗口工作人员")
class Staff(ScopedNode):
    employee_no: str
    name: str
    title: str
    is_active: bool
    org: ServiceOrg
    windows: list[Window]


@strawberry_django.type(models.ServicePlatform, description="政务服务平台")
class ServicePlatform(ScopedNode):
    kind: ServicePlatformKind
    code: str
    name: str
    url: str
    is_active: bool


@strawberry_django.type(models.RatingDevice, description="评价器（与窗口配对）")
class RatingDevice(ScopedNode):
    serial: str
    name: str
    is_active: bool
    paired_at: strawberry.auto
    window: Window
