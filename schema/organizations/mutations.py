from __future__ import annotations

import strawberry

from haochaping.core.lookup import get_or_not_found
from haochaping.organizations import models, services
from schema.core.enums import ServiceOrgKind, ServicePlatformKind
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import tenant_admin

from .types import AncillaryService, RatingDevice, ServiceOrg, ServicePlatform, Staff, Window


def _pk(gid, type_name, zh, en, field):
    return pk_for(gid, type_name, what_zh=zh, what_en=en, field=field) if gid is not None else None


def _pks(gids, type_name, zh, en, field):
    return None if gids is None else [pk_for(g, type_name, what_zh=zh, what_en=en, field=field) for g in gids]


def _unset(value):
    return services.UNSET if value is strawberry.UNSET else value


@strawberry.input
class CreateServiceOrgInput:
    kind: ServiceOrgKind
    code: str
    name: str
    address: str = ""
    opening_hours: str = ""
    parent_id: strawberry.ID | None = None


@strawberry.input
class UpdateServiceOrgInput:
    name: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    is_active: bool | None = None
    parent_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CreateWindowInput:
    org_id: strawberry.ID
    code: str
    name: str
    is_one_stop: bool = False
    item_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateWindowInput:
    name: str | None = None
    is_one_stop: bool | None = None
    is_active: bool | None = None
    item_ids: list[strawberry.ID] | None = None


@strawberry.input
class CreateStaffInput:
    employee_no: str
    name: str
    org_id: strawberry.ID
    title: str = ""
    window_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateStaffInput:
    name: str | None = None
    title: str | None = None
    org_id: strawberry.ID | None = None
    window_ids: list[strawberry.ID] | None = None
    is_active: bool | None = None


@strawberry.type
class ServiceOrgPayload:
    org: ServiceOrg | None
    errors: list[UserError]


@strawberry.type
class WindowPayload:
    window: Window | None
    errors: list[UserError]


@strawberry.type
class StaffPayload:
    staff: Staff | None
    errors: list[UserError]


@strawberry.type
class ServicePlatformPayload:
    platform: ServicePlatform | None
    errors: list[UserError]


@strawberry.type
class AncillaryServicePayload:
    service: AncillaryService | None
    errors: list[UserError]


@strawberry.type
class RegisterRatingDevicePayload:
    device: RatingDevice | None
    token: str | None = strawberry.field(description="设备令牌，只显示这一次 / shown once")
    errors: list[UserError]


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="新建大厅、中心或站点")
    def create_service_org(self, input: CreateServiceOrgInput) -> ServiceOrgPayload:
        def run():
            return services.save_org(services.OrgInput(
                kind=input.kind.value, code=input.code, name=input.name, address=input.address,
                opening_hours=input.opening_hours,
                parent_id=_pk(input.parent_id, "ServiceOrg", "上级机构", "Parent organisation", "parentId")))
        org, errors = attempt(run)
        return ServiceOrgPayload(org=org, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="修改机构")
    def update_service_org(self, id: strawberry.ID, input: UpdateServiceOrgInput) -> ServiceOrgPayload:
        def run():
            org = get_or_not_found(models.ServiceOrg, pk_for(id, "ServiceOrg", what_zh="机构", what_en="Organisation"),
                                   "机构", "Organisation")
            parent = _unset(input.parent_id)
            if parent not in (services.UNSET, None):
                parent = _pk(parent, "ServiceOrg", "上级机构", "Parent organisation", "parentId")
            return services.save_org(services.OrgInput(name=input.name, address=input.address,
                                                       opening_hours=input.opening_hours, is_active=input.is_active,
                                                       parent_id=parent), org)
        org, errors = attempt(run)
        return ServiceOrgPayload(org=org, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="新建窗口")
    def create_window(self, input: CreateWindowInput) -> WindowPayload:
        def run():
            return services.save_window(services.WindowInput(
                org_id=_pk(input.org_id, "ServiceOrg", "所属机构", "Organisation", "orgId"), code=input.code,
                name=input.name, is_one_stop=input.is_one_stop,
                item_ids=_pks(input.item_ids, "ServiceItem", "事项", "Service item", "itemIds")))
        window, errors = attempt(run)
        return WindowPayload(window=window, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="修改窗口")
    def update_window(self, id: strawberry.ID, input: UpdateWindowInput) -> WindowPayload:
        def run():
            window = get_or_not_found(models.Window, pk_for(id, "Window", what_zh="窗口", what_en="Window"), "窗口", "Window")
            return services.save_window(services.WindowInput(
                name=input.name, is_one_stop=input.is_one_stop, is_active=input.is_active,
                item_ids=_pks(input.item_ids, "ServiceItem", "事项", "Service item", "itemIds")), window)
        window, errors = attempt(run)
        return WindowPayload(window=window, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="新建工作人员")
    def create_staff(self, input: CreateStaffInput) -> StaffPayload:
        def run():
            return services.save_staff(services.StaffInput(
                employee_no=input.employee_no, name=input.name, title=input.title,
                org_id=_pk(input.org_id, "ServiceOrg", "所属机构", "Organisation", "orgId"),
                window_ids=_pks(input.window_ids, "Window", "窗口", "Window", "windowIds")))
        staff, errors = attempt(run)
        return StaffPayload(staff=staff, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="修改工作人员")
    def update_staff(self, id: strawberry.ID, input: UpdateStaffInput) -> StaffPayload:
        def run():
            staff = get_or_not_found(models.Staff, pk_for(id, "Staff", what_zh="工作人员", what_en="Staff member"),
                                     "工作人员", "Staff member")
            return services.save_staff(services.StaffInput(
                name=input.name, title=input.title, is_active=input.is_active,
                org_id=_pk(input.org_id, "ServiceOrg", "所属机构", "Organisation", "orgId"),
                window_ids=_pks(input.window_ids, "Window", "窗口", "Window", "windowIds")), staff)
        staff, errors = attempt(run)
        return StaffPayload(staff=staff, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="登记政务服务平台")
    def create_service_platform(self, kind: ServicePlatformKind, code: str, name: str, url: str = "") -> ServicePlatformPayload:
        platform, errors = attempt(lambda: services.create_platform(kind=kind.value, code=code, name=name, url=url))
        return ServicePlatformPayload(platform=platform, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="新增大厅配套服务（收费的须公开收费标准）")
    def create_ancillary_service(self, org_id: strawberry.ID, name: str, is_free: bool, fee: str = "",
                                 fee_basis: str = "") -> AncillaryServicePayload:
        def run():
            return services.create_ancillary_service(
                org_id=pk_for(org_id, "ServiceOrg", what_zh="所属大厅", what_en="Hall", field="orgId"),
                name=name, is_free=is_free, fee=fee, fee_basis=fee_basis)
        service, errors = attempt(run)
        return AncillaryServicePayload(service=service, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="登记评价器并与窗口配对，返回设备令牌（仅此一次）")
    def register_rating_device(self, info: strawberry.Info, window_id: strawberry.ID, serial: str,
                               name: str) -> RegisterRatingDevicePayload:
        def run():
            return services.register_device(
                window_id=pk_for(window_id, "Window", what_zh="窗口", what_en="Window", field="windowId"),
                serial=serial, name=name, created_by=info.context.request.principal.user)
        paired, errors = attempt(run)
        return RegisterRatingDevicePayload(device=paired.device if paired else None,
                                           token=paired.issued.secret if paired else None, errors=errors)
