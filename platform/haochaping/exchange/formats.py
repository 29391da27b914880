"""The exchange formats, mapped at the edge (DESIGN.md §3): inside the system grade 5 is best.

- National: GB/T 39046—2020 Table 9 (政务服务绩效评价), Chinese field names, 评价时间 YYYYMMDDThhmmss.
- Provincial: the interface of provincial 好差评 systems (projectNo, pf, satisfaction, evalDetail, assessNumber,
  assessTime "yyyy-MM-dd HH:mm:ss"); the channel codes differ by province (code_tables.json).

Times are local (settings.TIME_ZONE, Asia/Shanghai) with no offset, as both formats expect. Personal data is
masked (评价人) and free text redacted (文字评价 / evalDetail) in every record that leaves the system."""
from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from haochaping.core.errors import DomainError, FieldError
from haochaping.core.privacy import mask_name, redact_text

from . import codes

NATIONAL_FIELDS = ("办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划")
PROVINCIAL_FIELDS = ("projectNo", "pf", "satisfaction", "evalDetail", "assessNumber", "assessTime")
NATIONAL_TIME = "%Y%m%dT%H%M%S"
PROVINCIAL_TIME = "%Y-%m-%d %H:%M:%S"
_NATIONAL_TIME_RE = re.compile(r"^\d{8}T\d{6}$")
_PROVINCIAL_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ANONYMOUS = "匿名"
SATISFACTION_NATIONAL = "gbt39046_a8"
SATISFACTION_PROVINCIAL = "provincial"


class ParsedEvaluation(NamedTuple):
    """What an exchange record says, in internal terms."""

    channel: str
    grade: int
    round: int
    rated_at: datetime
    case_number: str
    comment: str


# --- shared helpers ---------------------------------------------------------------------------------------


def format_time(value: datetime, pattern: str) -> str:
    return timezone.localtime(value, timezone.get_default_timezone()).strftime(pattern)


def parse_time(value, pattern: str, shape: re.Pattern, field: str, example: str) -> datetime:
    if not isinstance(value, str) or not shape.match(value):
        raise DomainError("INVALID_TIME", f"时间格式须为{example}", f"Time must look like {example}", field)
    try:
        naive = datetime.strptime(value, pattern)
    except ValueError:
        raise DomainError("INVALID_TIME", f"时间不存在：{value}", f"No such time: {value}", field) from None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def division_code(tenant) -> str:
    """行政区划 of a unit: the 6-digit GB/T 2260 code of its county-level division.

    A township's official code is its 9-digit (or 12-digit) division code: its first 6 digits. A county
    department or the centre has an 18-character USCC (GB 32100): characters 3–8 are the registering
    authority's division code. The county (public tenant) has its 6-digit code. See docs/exchange.md."""
    code = (getattr(tenant, "official_code", "") or "").strip()
    if len(code) == 18:
        candidate = code[2:8]
    else:
        candidate = code[:6]
    if len(candidate) == 6 and candidate.isdigit():
        return candidate
    raise DomainError("NO_DIVISION_CODE", f"单位“{tenant}”没有可用的行政区划代码",
                      f"Unit {tenant} has no usable division code", "official_code")


def _require(record: dict, fields: tuple[str, ...]) -> None:
    if not isinstance(record, dict):
        raise DomainError("INVALID_RECORD", "交换记录须为对象", "An exchange record must be an object", None)
    missing = [name for name in fields if name not in record]
    if missing:
        raise DomainError(errors=[FieldError("MISSING_FIELD", f"缺少字段{name}", f"Field {name} is missing", name)
                                  for name in missing])


def _case_number(evaluation) -> str:
    case = evaluation.case
    if case is None:
        raise DomainError("NO_CASE", "未关联办件的评价不能交换", "Only an evaluation of a case can be exchanged",
                          "caseNumber")
    return case.case_number


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("INVALID_TEXT", f"{name}须为文字", f"{name} must be text", name)
    return value


# --- national: GB/T 39046—2020 Table 9 ---------------------------------------------------------------------


def to_national(evaluation, tenant=None) -> dict:
    """One Table 9 record. `tenant` (the unit where the rating was stored) defaults to the current schema's."""
    if tenant is None:
        from tenants.resolution import current_tenant

        tenant = current_tenant()
    code = codes.grade_to_code(evaluation.grade, SATISFACTION_NATIONAL)
    return {
        "办件编号": _case_number(evaluation),
        "评价渠道": codes.channel_to_code(evaluation.channel, codes.NATIONAL),
        "评价人": mask_name(evaluation.rater_name) or ANONYMOUS,
        "评价时间": format_time(evaluation.rated_at, NATIONAL_TIME),
        "评价次数": codes.round_to_code(evaluation.round),
        "满意度": codes.satisfaction_label(code, SATISFACTION_NATIONAL),
        "满意度代码": code,
        "文字评价": redact_text(evaluation.comment),
        "行政区划": division_code(tenant),
    }


def from_national(record: dict) -> ParsedEvaluation:
    _require(record, ("办件编号", "评价渠道", "评价时间", "评价次数", "满意度代码"))
    grade = codes.grade_from_code(record["满意度代码"], SATISFACTION_NATIONAL, "满意度代码")
    label = record.get("满意度")
    if label not in (None, "") and label != codes.satisfaction_label(codes.grade_to_code(grade, SATISFACTION_NATIONAL),
                                                                      SATISFACTION_NATIONAL):
        raise DomainError("INCONSISTENT_SATISFACTION", f"满意度“{label}”与满意度代码不一致",
                          f"满意度 {label!r} contradicts 满意度代码", "满意度")
    return ParsedEvaluation(
        channel=codes.channel_from_code(record["评价渠道"], codes.NATIONAL, "评价渠道"),
        grade=grade,
        round=codes.round_from_code(record["评价次数"], "评价次数"),
        rated_at=parse_time(record["评价时间"], NATIONAL_TIME, _NATIONAL_TIME_RE, "评价时间", "YYYYMMDDThhmmss"),
        case_number=_text(record, "办件编号"),
        comment=_text(record, "文字评价"),
    )


# --- provincial 好差评 interface ----------------------------------------------------------------------------


def to_provincial(evaluation, province: str) -> dict:
    """One record of a provincial 好差评 interface. Codes are JSON strings, as provincial systems send them."""
    return {
        "projectNo": _case_number(evaluation),
        "pf": codes.channel_to_code(evaluation.channel, _province(province)),
        "satisfaction": codes.grade_to_code(evaluation.grade, SATISFACTION_PROVINCIAL),
        "evalDetail": redact_text(evaluation.comment),
        "assessNumber": str(codes.round_to_code(evaluation.round)),
        "assessTime": format_time(evaluation.rated_at, PROVINCIAL_TIME),
    }


def from_provincial(record: dict, province: str) -> ParsedEvaluation:
    table = _province(province)
    _require(record, ("projectNo", "pf", "satisfaction", "assessNumber", "assessTime"))
    return ParsedEvaluation(
        channel=codes.channel_from_code(record["pf"], table, "pf"),
        grade=codes.grade_from_code(record["satisfaction"], SATISFACTION_PROVINCIAL, "satisfaction"),
        round=codes.round_from_code(record["assessNumber"], "assessNumber"),
        rated_at=parse_time(record["assessTime"], PROVINCIAL_TIME, _PROVINCIAL_TIME_RE, "assessTime",
                            "yyyy-MM-dd HH:mm:ss"),
        case_number=_text(record, "projectNo"),
        comment=_text(record, "evalDetail"),
    )


def _province(name: str) -> str:
    if name == codes.NATIONAL or name not in codes.provinces():
        raise DomainError("UNKNOWN_CODE_TABLE", f"没有省份“{name}”的评价渠道代码表",
                          f"No provincial channel code table named {name!r}", "province")
    return name


def to_target(evaluation, target: str, tenant=None) -> dict:
    """The record for an exchange target: "national" or a province's table name."""
    if target == codes.NATIONAL:
        return to_national(evaluation, tenant)
    return to_provincial(evaluation, target)
