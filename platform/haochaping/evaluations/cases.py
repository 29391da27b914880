"""办件 intake from business systems: idempotent upserts by case number."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tenants.resolution import current_tenant
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.disclosure.services import publish_overdue_reason
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import ServicePlatform, Staff, Window
from tenants.models import Tenant

from .models import ServiceCase

CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9_\-]{4,64}$")
PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")


@dataclass
class CaseInput:
    case_number: str
    item_code: str
    applicant_kind: str
    applicant_name: str
    accepted_at: datetime
    status: str = ServiceCase.Status.ACCEPTED
    applicant_phone: str = ""
    applicant_email: str = ""
    accepting_unit: str | None = None  # tenant slugs; empty = this tenant
    handling_unit: str | None = None
    window: str | None = None  # "<org code>/<window code>"
    staff_no: str | None = None
    platform_code: str | None = None
    promised_at: datetime | None = None
    completed_at: datetime | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _resolve(data: CaseInput, errors: ErrorCollector) -> dict:
    values: dict = {}
    item = ServiceItem.objects.select_related("catalog_item").filter(catalog_item__code=(data.item_code or "").strip()).first()
    if item is None:
        errors.add("UNKNOWN_ITEM", "itemCode", "本单位未认领该事项编码", "This unit has not adopted an item with that code")
    values["item"] = item
    here = current_tenant()
    for field, slug in (("accepting_unit", data.accepting_unit), ("handling_unit", data.handling_unit)):
        if not slug or slug == here.schema_name:
            values[field] = here
            continue
        unit = Tenant.objects.filter(schema_name=slug, is_active=True).exclude(schema_name="public").first()
        if unit is None:
            errors.add("UNKNOWN_UNIT", field.replace("_u", "U"), f"未找到单位：{slug}", f"Unknown unit: {slug}")
        values[field] = unit
    values["window"] = None
    if data.window:
        org_code, _, window_code = data.window.partition("/")
        values["window"] = Window.objects.filter(org__code=org_code, code=window_code).first()
        if values["window"] is None:
            errors.add("UNKNOWN_WINDOW", "window", f"未找到窗口：{data.window}", f"Unknown window: {data.window}")
    values["staff"] = None
    if data.staff_no:
        values["staff"] = Staff.objects.filter(employee_no=data.staff_no).first()
        if values["staff"] is None:
            errors.add("UNKNOWN_STAFF", "staffNo", f"未找到工作人员：{data.staff_no}", f"Unknown staff member: {data.staff_no}")
    values["platform"] = None
    if data.platform_code:
        values["platform"] = ServicePlatform.objects.filter(code=data.platform_code).first()
        if values["platform"] is None:
            errors.add("UNKNOWN_PLATFORM", "platformCode", f"未找到平台：{data.platform_code}", f"Unknown platform: {data.platform_code}")
    return values


def validate_case(data: CaseInput) -> dict:
    errors = ErrorCollector()
    if not CASE_NUMBER_RE.match(data.case_number or ""):
        errors.add("INVALID_CASE_NUMBER", "caseNumber", "办件编号须为4–64位字母、数字、下划线或连字符",
                   "Case number must be 4–64 letters, digits, underscores or hyphens")
    errors.require(data.applicant_name, "applicantName", "申请人", "Applicant")
    errors.max_length(data.applicant_name, 100, "applicantName", "申请人", "Applicant")
    if data.applicant_kind not in ServiceCase.ApplicantKind.values:
        errors.add("INVALID_APPLICANT_KIND", "applicantKind", "申请人类型须为个人或企业", "Applicant kind must be INDIVIDUAL or ENTERPRISE")
    if data.status not in ServiceCase.Status.values:
        errors.add("INVALID_STATUS", "status", "办件状态无效", "Unknown case status")
    phone = (data.applicant_phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors.add("INVALID_PHONE", "applicantPhone", "联系电话格式不正确", "The phone number is not valid")
    if data.applicant_email and ("@" not in data.applicant_email or len(data.applicant_email) > 254):
        errors.add("INVALID_EMAIL", "applicantEmail", "电子邮箱格式不正确", "The email address is not valid")
    accepted, promised, completed = _aware(data.accepted_at), _aware(data.promised_at), _aware(data.completed_at)
    if accepted is None:
        errors.add("REQUIRED", "acceptedAt", "受理时间不能为空", "Accepted time is required")
    else:
        if promised and promised < accepted:
            errors.add("INVALID_TIMES", "promisedAt", "承诺办结时间不能早于受理时间", "Promised time cannot precede acceptance")
        if completed and completed < accepted:
            errors.add("INVALID_TIMES", "completedAt", "办结时间不能早于受理时间", "Completion cannot precede acceptance")
        if accepted > timezone.now() + timezone.timedelta(minutes=5) or (completed and completed > timezone.now() + timezone.timedelta(minutes=5)):
            errors.add("INVALID_TIMES", "acceptedAt", "时间不能晚于当前时间", "Times cannot be in the future")
    if data.status == ServiceCase.Status.COMPLETED and completed is None:
        errors.add("REQUIRED", "completedAt", "已办结的办件须有办结时间", "A completed case needs its completion time")
    values = _resolve(data, errors)
    errors.raise_if_any()
    values.update(
        applicant_kind=data.applicant_kind, applicant_name=data.applicant_name.strip(), applicant_phone=phone,
        applicant_email=(data.applicant_email or "").strip(), status=data.status, accepted_at=accepted,
        promised_at=promised, completed_at=completed,
        is_overdue=bool(completed and promised and completed > promised),
    )
    return values


def upsert_case(data: CaseInput, *, source_system: str = "") -> tuple[ServiceCase, bool]:
    """Create or update a case by its number. Replaying the same push changes nothing."""
    values = validate_case(data)
    values["source_system"] = source_system[:100]
    from .invitations import invite_for_completed_case  # completion sends the 一事一评 invitations

    for _ in range(2):  # a concurrent first push of the same number: retry as an update
        try:
            with transaction.atomic():
                case = ServiceCase.objects.select_for_update().filter(case_number=data.case_number).first()
                created = case is None
                if created:
                    case = ServiceCase.objects.create(case_number=data.case_number, **values)
                else:
                    for name, value in values.items():
                        setattr(case, name, value)
                    case.save()
                if case.status == ServiceCase.Status.COMPLETED:
                    invite_for_completed_case(case)
                return case, created
        except IntegrityError:
            continue
    raise DomainError("CONFLICT", "办件正在被同时写入，请重试", "The case is being written concurrently; retry", "caseNumber")


def record_overdue_reason(*, case: ServiceCase, reason: str) -> ServiceCase:
    """办理超时须公开说明理由: a late case must carry a reason the portal can publish."""
    errors = ErrorCollector()
    if not case.is_overdue:
        errors.add("NOT_OVERDUE", "caseNumber", "该办件未超期，无需说明", "This case was not late")
    errors.require(reason, "reason", "超期理由", "Reason")
    errors.max_length(reason, 1000, "reason", "超期理由", "Reason")
    errors.raise_if_any()
    case.overdue_reason = reason.strip()
    case.overdue_reason_at = timezone.now()
    with transaction.atomic():
        case.save(update_fields=["overdue_reason", "overdue_reason_at", "updated_at"])
        publish_overdue_reason(case)  # 逾期办件的原因要公开: redacted public copy, in this transaction
    return case
