"""Adopting catalog items and publishing versions of their service guides."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from haochaping.accounts.models import User
from haochaping.catalog.models import CatalogItem
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.disclosure.services import publish_item
from tenants.models import Tenant

from .models import EVALUATION_CHANNELS, HANDLING_CHANNELS, ServiceGuide, ServiceItem


@dataclass
class GuideInput:
    handling_unit: str
    case_kind: str
    statutory_limit_days: int
    promised_limit_days: int
    channels: list[str] = field(default_factory=list)
    conditions: str = ""
    materials: list[str] = field(default_factory=list)
    procedure: str = ""
    fees: str = ""
    fee_basis: str = ""
    evaluation_channels: list[str] = field(default_factory=list)


def validate_guide(data: GuideInput, errors: ErrorCollector) -> None:
    errors.require(data.handling_unit, "handlingUnit", "受理单位", "Handling unit")
    errors.max_length(data.handling_unit, 100, "handlingUnit", "受理单位", "Handling unit")
    if data.case_kind not in ServiceGuide.CaseKind.values:
        errors.add("INVALID_CASE_KIND", "caseKind", "办件类型须为即办件或承诺件", "Case kind must be IMMEDIATE or PROMISED")
    if data.statutory_limit_days < 0 or data.promised_limit_days < 0 or data.statutory_limit_days > 365:
        errors.add("INVALID_TIME_LIMIT", "statutoryLimitDays", "时限须在0–365个工作日之间", "Time limits must be 0–365 working days")
    if data.promised_limit_days > data.statutory_limit_days:
        errors.add("PROMISED_EXCEEDS_STATUTORY", "promisedLimitDays", "承诺时限不能超过法定时限",
                   "The promised time limit cannot exceed the statutory one")
    if data.case_kind == ServiceGuide.CaseKind.IMMEDIATE and data.promised_limit_days != 0:
        errors.add("IMMEDIATE_HAS_LIMIT", "promisedLimitDays", "即办件的承诺时限应为0（当场办结）",
                   "An immediate case is finished on the spot: promised limit 0")
    bad_channels = sorted(set(data.channels) - set(HANDLING_CHANNELS))
    if bad_channels or not data.channels:
        errors.add("INVALID_CHANNEL", "channels", "办理渠道无效或为空", "Handling channels are empty or unknown")
    bad_eval = sorted(set(data.evaluation_channels) - set(EVALUATION_CHANNELS))
    if bad_eval or not data.evaluation_channels:
        errors.add("INVALID_CHANNEL", "evaluationChannels", "评价渠道无效或为空", "Evaluation channels are empty or unknown")
    if any(not str(m).strip() for m in data.materials) or len(data.materials) > 100:
        errors.add("INVALID_MATERIALS", "materials", "申请材料不能有空项", "Materials must not contain empty entries")
    errors.max_length(data.fees, 200, "fees", "收费标准", "Fees")
    errors.max_length(data.fee_basis, 200, "feeBasis", "收费依据", "Fee basis")


def _publish(item: ServiceItem, data: GuideInput, user: User | None) -> ServiceGuide:
    version = (item.guides.aggregate(v=Max("version"))["v"] or 0) + 1
    return ServiceGuide.objects.create(
        item=item, version=version, handling_unit=data.handling_unit.strip(), channels=sorted(set(data.channels)),
        conditions=data.conditions.strip(), materials=[str(m).strip() for m in data.materials],
        procedure=data.procedure.strip(), case_kind=data.case_kind, statutory_limit_days=data.statutory_limit_days,
        promised_limit_days=data.promised_limit_days, fees=data.fees.strip(), fee_basis=data.fee_basis.strip(),
        evaluation_channels=sorted(set(data.evaluation_channels)), published_by=user,
    )


def adopt_item(*, catalog_code: str, guide: GuideInput, user: User | None = None) -> ServiceItem:
    """认领事项: a tenant lists a base-catalog item with its first service guide."""
    errors = ErrorCollector()
    catalog_item = CatalogItem.objects.filter(code=(catalog_code or "").strip(), is_active=True).first()
    if catalog_item is None:
        errors.add("NOT_FOUND", "catalogCode", "基本目录中没有该事项编码", "No active base-catalog item has that code")
    elif ServiceItem.objects.filter(catalog_item=catalog_item).exists():
        errors.add("ALREADY_ADOPTED", "catalogCode", "本单位已认领该事项", "This unit has already adopted the item")
    validate_guide(guide, errors)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            item = ServiceItem.objects.create(catalog_item=catalog_item)
            _publish(item, guide, user)
            publish_item(item)  # 清单和办事指南要公开: the public copy, in this transaction
    except IntegrityError:
        raise DomainError("ALREADY_ADOPTED", "本单位已认领该事项", "This unit has already adopted the item", "catalogCode")
    return item


def publish_guide(*, item: ServiceItem, guide: GuideInput, user: User | None = None) -> ServiceGuide:
    errors = ErrorCollector()
    validate_guide(guide, errors)
    errors.raise_if_any()
    with transaction.atomic():
        # Lock the item so two editors never publish the same version number.
        ServiceItem.objects.select_for_update().get(pk=item.pk)
        published = _publish(item, guide, user)
        publish_item(item)  # the public copy shows the new version, in this transaction
        return published


def set_item_units(*, item: ServiceItem, lead_slug: str | None, cooperating_slugs: list[str]) -> ServiceItem:
    """跨部门事项: the lead unit and the cooperating units (other tenants)."""
    errors = ErrorCollector()
    wanted = {s for s in cooperating_slugs} | ({lead_slug} if lead_slug else set())
    found = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=wanted).exclude(schema_name="public")}
    missing = sorted(wanted - set(found))
    if missing:
        errors.add("NOT_FOUND", "cooperatingUnits", f"未找到单位：{', '.join(missing)}", f"Unknown units: {', '.join(missing)}")
    if lead_slug and lead_slug in cooperating_slugs:
        errors.add("INVALID_UNITS", "leadUnit", "牵头单位不能同时是配合单位", "The lead unit cannot also cooperate")
    if connection.schema_name in cooperating_slugs:
        errors.add("INVALID_UNITS", "cooperatingUnits", "本单位不能作为自己的配合单位", "A unit cannot cooperate with itself")
    errors.raise_if_any()
    with transaction.atomic():
        item.lead_unit = found.get(lead_slug) if lead_slug and lead_slug != connection.schema_name else None
        item.save(update_fields=["lead_unit", "updated_at"])
        item.cooperating_units.set([found[s] for s in cooperating_slugs])
    return item
