"""All writes to organisations, windows, staff, platforms, devices and ancillary services."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction

from haochaping.accounts.models import ApiToken, User
from haochaping.accounts.tokens import IssuedToken, issue_token
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.disclosure.services import publish_fee
from haochaping.items.models import ServiceItem

from .models import AncillaryService, RatingDevice, ServiceOrg, ServicePlatform, Staff, Window

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
UNSET = object()


def _check_code(errors: ErrorCollector, code: str | None, field_name: str = "code", limit: int = 32) -> None:
    if code is not None and not (CODE_RE.match(code) and len(code) <= limit):
        errors.add("INVALID_CODE", field_name, f"编码须为1–{limit}位字母、数字、下划线或连字符",
                   f"Code must be 1–{limit} letters, digits, underscores or hyphens")


def _apply(obj, changes: dict) -> None:
    for name, value in changes.items():
        if value is not UNSET:
            setattr(obj, name, value)


@dataclass
class OrgInput:
    kind: str | None = None
    code: str | None = None
    name: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    parent_id: int | None | object = UNSET
    is_active: bool | None = None


def save_org(data: OrgInput, org: ServiceOrg | None = None) -> ServiceOrg:
    creating = org is None
    errors = ErrorCollector()
    if creating:
        errors.require(data.kind, "kind", "机构类型", "Kind")
        errors.require(data.code, "code", "编码", "Code")
        errors.require(data.name, "name", "名称", "Name")
    elif data.name is not None:
        errors.require(data.name, "name", "名称", "Name")
    if data.kind is not None and data.kind not in ServiceOrg.Kind.values:
        errors.add("INVALID_KIND", "kind", "机构类型须为大厅、中心或站点", "Kind must be HALL, CENTER or STATION")
    _check_code(errors, data.code)
    errors.max_length(data.name, 100, "name", "名称", "Name")
    errors.max_length(data.address, 200, "address", "地址", "Address")
    errors.max_length(data.opening_hours, 100, "openingHours", "办公时间", "Opening hours")
    parent = None
    if data.parent_id not in (UNSET, None):
        parent = ServiceOrg.objects.filter(pk=data.parent_id).first()
        if parent is None:
            errors.add("NOT_FOUND", "parentId", "未找到上级机构", "Parent organisation not found")
        elif org is not None and parent.pk == org.pk:
            errors.add("INVALID_PARENT", "parentId", "上级机构不能是自身", "An organisation cannot be its own parent")
    if data.code and ServiceOrg.objects.filter(code=data.code).exclude(pk=getattr(org, "pk", None)).exists():
        errors.add("DUPLICATE_CODE", "code", f"编码“{data.code}”已被使用", f"Code '{data.code}' is already in use")
    errors.raise_if_any()
    org = org or ServiceOrg()
    _apply(org, {"kind": data.kind or UNSET, "code": data.code or UNSET, "name": (data.name or "").strip() or UNSET,
                 "address": data.address if data.address is not None else UNSET,
                 "opening_hours": data.opening_hours if data.opening_hours is not None else UNSET,
                 "is_active": data.is_active if data.is_active is not None else UNSET,
                 "parent": parent if data.parent_id is not UNSET else UNSET})
    org.save()
    return org


@dataclass
class WindowInput:
    org_id: int | None = None
    code: str | None = None
    name: str | None = None
    is_one_stop: bool | None = None
    item_ids: list[int] | None = None
    is_active: bool | None = None


def save_window(data: WindowInput, window: Window | None = None) -> Window:
    creating = window is None
    errors = ErrorCollector()
    if creating:
        errors.require(data.org_id, "orgId", "所属机构", "Organisation")
        errors.require(data.code, "code", "窗口号", "Window code")
        errors.require(data.name, "name", "名称", "Name")
    elif data.name is not None:
        errors.require(data.name, "name", "名称", "Name")
    _check_code(errors, data.code, limit=16)
    errors.max_length(data.name, 100, "name", "名称", "Name")
    org = window.org if window else None
    if data.org_id is not None:
        org = ServiceOrg.objects.filter(pk=data.org_id).first()
        if org is None:
            errors.add("NOT_FOUND", "orgId", "未找到所属机构", "Organisation not found")
    items = None
    if data.item_ids is not None:
        items = list(ServiceItem.objects.filter(pk__in=data.item_ids))
        if len(items) != len(set(data.item_ids)):
            errors.add("NOT_FOUND", "itemIds", "部分受理事项不存在", "Some of the items do not exist")
    code = data.code or (window.code if window else None)
    if org and code and Window.objects.filter(org=org, code=code).exclude(pk=getattr(window, "pk", None)).exists():
        errors.add("DUPLICATE_CODE", "code", f"该机构已有窗口号“{code}”", f"This organisation already has window '{code}'")
    errors.raise_if_any()
    with transaction.atomic():
        window = window or Window()
        _apply(window, {"org": org or UNSET, "code": data.code or UNSET, "name": (data.name or "").strip() or UNSET,
                        "is_one_stop": data.is_one_stop if data.is_one_stop is not None else UNSET,
                        "is_active": data.is_active if data.is_active is not None else UNSET})
        window.save()
        if items is not None:
            window.items.set(items)
    return window


@dataclass
class StaffInput:
    employee_no: str | None = None
    name: str | None = None
    title: str | None = None
    org_id: int | None = None
    window_ids: list[int] | None = None
    is_active: bool | None = None
    user_id: int | None | object = UNSET


def save_staff(data: StaffInput, staff: Staff | None = None) -> Staff:
    creating = staff is None
    errors = ErrorCollector()
    if creating:
        errors.require(data.employee_no, "employeeNo", "工号", "Employee number")
        errors.require(data.name, "name", "姓名", "Name")
        errors.require(data.org_id, "orgId", "所属机构", "Organisation")
    elif data.name is not None:
        errors.require(data.name, "name", "姓名", "Name")
    _check_code(errors, data.employee_no, "employeeNo")
    errors.max_length(data.name, 50, "name", "姓名", "Name")
    errors.max_length(data.title, 50, "title", "岗位", "Title")
    org = staff.org if staff else None
    if data.org_id is not None:
        org = ServiceOrg.objects.filter(pk=data.org_id).first()
        if org is None:
            errors.add("NOT_FOUND", "orgId", "未找到所属机构", "Organisation not found")
    windows = None
    if data.window_ids is not None:
        windows = list(Window.objects.filter(pk__in=data.window_ids))
        if len(windows) != len(set(data.window_ids)):
            errors.add("NOT_FOUND", "windowIds", "部分窗口不存在", "Some of the windows do not exist")
    user = None
    if data.user_id not in (UNSET, None):
        user = User.objects.filter(pk=data.user_id).first()
        if user is None:
            errors.add("NOT_FOUND", "userId", "未找到登录账号", "User not found")
    if data.employee_no and Staff.objects.filter(employee_no=data.employee_no).exclude(pk=getattr(staff, "pk", None)).exists():
        errors.add("DUPLICATE_CODE", "employeeNo", f"工号“{data.employee_no}”已存在", f"Employee number '{data.employee_no}' already exists")
    errors.raise_if_any()
    with transaction.atomic():
        staff = staff or Staff()
        _apply(staff, {"employee_no": data.employee_no or UNSET, "name": (data.name or "").strip() or UNSET,
                       "title": data.title if data.title is not None else UNSET, "org": org or UNSET,
                       "is_active": data.is_active if data.is_active is not None else UNSET,
                       "user": user if data.user_id is not UNSET else UNSET})
        staff.save()
        if windows is not None:
            staff.windows.set(windows)
    return staff


def create_platform(*, kind: str, code: str, name: str, url: str = "") -> ServicePlatform:
    errors = ErrorCollector()
    errors.require(code, "code", "编码", "Code")
    errors.require(name, "name", "名称", "Name")
    errors.max_length(name, 100, "name", "名称", "Name")
    if kind not in ServicePlatform.Kind.values:
        errors.add("INVALID_KIND", "kind", "平台类型无效", "Unknown platform kind")
    _check_code(errors, code or None)
    if url and not re.match(r"^https?://", url):
        errors.add("INVALID_URL", "url", "地址须以 http:// 或 https:// 开头", "URL must start with http:// or https://")
    if code and ServicePlatform.objects.filter(code=code).exists():
        errors.add("DUPLICATE_CODE", "code", f"编码“{code}”已被使用", f"Code '{code}' is already in use")
    errors.raise_if_any()
    return ServicePlatform.objects.create(kind=kind, code=code, name=name.strip(), url=url)


def create_ancillary_service(*, org_id: int, name: str, is_free: bool, fee: str = "", fee_basis: str = "") -> AncillaryService:
    errors = ErrorCollector()
    errors.require(name, "name", "名称", "Name")
    errors.max_length(name, 50, "name", "名称", "Name")
    org = ServiceOrg.objects.filter(pk=org_id).first()
    if org is None:
        errors.add("NOT_FOUND", "orgId", "未找到所属大厅", "Hall not found")
    if not is_free and not fee.strip():
        # 需要收费的，要合理设定并公开收费标准
        errors.add("FEE_REQUIRED", "fee", "收费服务须公开收费标准", "A charged service must publish its fee")
    if org and name and AncillaryService.objects.filter(org=org, name=name.strip()).exists():
        errors.add("DUPLICATE_NAME", "name", "该大厅已有同名配套服务", "This hall already offers a service of that name")
    errors.raise_if_any()
    with transaction.atomic():
        service = AncillaryService.objects.create(org=org, name=name.strip(), is_free=is_free, fee=fee.strip(),
                                                  fee_basis=fee_basis.strip())
        publish_fee(service)  # 收费标准要公开: the public copy, in this transaction
    return service


@dataclass
class PairedDevice:
    device: RatingDevice
    issued: IssuedToken = field(repr=False)


def register_device(*, window_id: int, serial: str, name: str, created_by: User | None = None) -> PairedDevice:
    """Pair a rating device with a window and issue its token (shown once)."""
    errors = ErrorCollector()
    errors.require(serial, "serial", "序列号", "Serial number")
    errors.require(name, "name", "名称", "Name")
    _check_code(errors, serial or None, "serial", limit=64)
    window = Window.objects.filter(pk=window_id, is_active=True).first()
    if window is None:
        errors.add("NOT_FOUND", "windowId", "未找到窗口", "Window not found")
    if serial and RatingDevice.objects.filter(serial=serial).exists():
        errors.add("DUPLICATE_CODE", "serial", "该评价器已登记", "This device is already registered")
    errors.raise_if_any()
    with transaction.atomic():
        issued = issue_token(name=f"评价器 {serial}", kind=ApiToken.Kind.DEVICE, scopes=["evaluations:write"],
                             created_by=created_by)
        device = RatingDevice.objects.create(serial=serial, name=name.strip(), window=window, token=issued.token)
    return PairedDevice(device, issued)


__all__ = ["DomainError", "OrgInput", "WindowInput", "StaffInput", "save_org", "save_window", "save_staff",
           "create_platform", "create_ancillary_service", "register_device"]
