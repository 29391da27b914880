"""County supervision (督办) as GraphQL types. No personal data: rows name the tenant and the rectification's id
(a global id minted in that tenant's schema), case number and item, never the rater."""
from __future__ import annotations

from datetime import datetime

import strawberry
from django_tenants.utils import schema_context

from haochaping.core.ids import global_id as scoped_global_id
from haochaping.supervision import models
from haochaping.supervision.metrics import Rate
from schema.core.enums import TenantKind
from schema.core.nodes import global_id
from schema.rectification.types import RectificationOutcome, RectificationSource, RectificationState, RejectionKind
from schema.tenancy.types import UnitRef, unit_ref

EscalationReason = strawberry.enum(models.Escalation.Reason, name="EscalationReason")


def tenant_gid(schema_name: str, type_name: str, pk: int) -> strawberry.ID:
    """A global id minted in that tenant's schema (it decodes there, and only there)."""
    with schema_context(schema_name):
        return strawberry.ID(scoped_global_id(type_name, pk))


def rejection_kind(value: str | None) -> RejectionKind | None:
    return RejectionKind(value) if value in RejectionKind._value2member_map_ else None


@strawberry.type(description="比率：分子 ÷ 分母（分母为零时无值）")
class SupervisionRate:
    numerator: int
    denominator: int
    percent: float | None = strawberry.field(description="百分比，保留一位小数（分母为零时为空）")


def rate(value: Rate) -> SupervisionRate:
    return SupervisionRate(numerator=value.numerator, denominator=value.denominator, percent=value.percent)


@strawberry.type(description="不予采纳（待审批或已批准）及其理由")
class RejectionSummary:
    rectification_id: strawberry.ID = strawberry.field(description="整改的全局 id（在该单位的模式中）")
    kind: RejectionKind | None
    state: RectificationState
    reason: str


@strawberry.type(description="县级总览：一个单位的整改情况")
class TenantSupervisionOverview:
    slug: str
    name: str
    kind: TenantKind
    open: int = strawberry.field(description="未办结")
    overdue: int = strawberry.field(description="超期未办结")
    escalated: int = strawberry.field(description="已升级督办（未办结）")
    closed: int = strawberry.field(description="已办结")
    on_time_rate: SupervisionRate = strawberry.field(description="按期办结率")
    real_name_follow_up_rectification_rate: SupervisionRate = strawberry.field(
        description="实名差评回访整改率（目标 100%）")
    rejection_count: int = strawberry.field(description="不予采纳数（待审批与已批准）")
    rejections: list[RejectionSummary]


def overview_row(row) -> TenantSupervisionOverview:
    t = row.tenant
    return TenantSupervisionOverview(
        slug=t.schema_name, name=t.name, kind=TenantKind(t.kind), open=row.open, overdue=row.overdue,
        escalated=row.escalated, closed=row.closed, on_time_rate=rate(row.on_time),
        real_name_follow_up_rectification_rate=rate(row.real_name_follow_up_rectification),
        rejection_count=row.rejection_count,
        rejections=[RejectionSummary(rectification_id=tenant_gid(t.schema_name, "Rectification", r.rectification_id),
                                     kind=rejection_kind(r.kind), state=RectificationState(r.state), reason=r.reason)
                    for r in row.rejections])


@strawberry.type(description="县级查看的单位整改台账行（不含评价人信息和评价意见）")
class LedgerEntry:
    id: strawberry.ID = strawberry.field(description="整改的全局 id（在该单位的模式中）")
    source: RectificationSource
    case_number: str
    item_name: str
    window_name: str
    grade: int | None
    channel: str
    is_real_name: bool
    rated_at: datetime
    state: RectificationState
    outcome: RectificationOutcome | None
    rejection_kind: RectificationOutcome | None
    follow_up_due: datetime
    followed_up_at: datetime | None
    due: datetime
    closed_at: datetime | None
    escalated_at: datetime | None
    reopened_count: int
    is_overdue: bool


def ledger_entry(schema_name: str, row: dict, now: datetime) -> LedgerEntry:
    closed = row["state"] == "CLOSED"
    return LedgerEntry(
        id=tenant_gid(schema_name, "Rectification", row["id"]), source=RectificationSource(row["source"]),
        case_number=row["case_number"], item_name=row["item_name"], window_name=row["window_name"], grade=row["grade"],
        channel=row["channel"], is_real_name=row["is_real_name"], rated_at=row["rated_at"],
        state=RectificationState(row["state"]),
        outcome=RectificationOutcome(row["outcome"]) if row["outcome"] else None,
        rejection_kind=RectificationOutcome(row["rejection_kind"]) if row["rejection_kind"] else None,
        follow_up_due=row["follow_up_due"], followed_up_at=row["followed_up_at"], due=row["due"],
        closed_at=row["closed_at"], escalated_at=row["escalated_at"], reopened_count=row["reopened_count"],
        is_overdue=not closed and row["due"] < now)


@strawberry.type(description="升级督办记录（逾期未整改或追评不认可）")
class Escalation:
    id: strawberry.ID
    tenant: UnitRef
    rectification_id: strawberry.ID = strawberry.field(description="整改的全局 id（在该单位的模式中）")
    case_number: str
    item_name: str
    due: datetime
    escalated_at: datetime
    reason: EscalationReason
    rectification_state: RectificationState | None = strawberry.field(description="整改当前状态（已删除时为空）")


def escalation(row: models.Escalation, state: str | None) -> Escalation:
    return Escalation(id=global_id("Escalation", row.pk), tenant=unit_ref(row.tenant),
                      rectification_id=tenant_gid(row.tenant.schema_name, "Rectification", row.rectification_id),
                      case_number=row.case_number, item_name=row.item_name, due=row.due,
                      escalated_at=row.escalated_at, reason=EscalationReason(row.reason),
                      rectification_state=RectificationState(state) if state else None)


@strawberry.type(description="待县级审批的不予采纳申请（县直部门、县政务服务中心）")
class PendingRejection:
    tenant: UnitRef
    id: strawberry.ID = strawberry.field(description="整改的全局 id（在该单位的模式中），供 decideRejection 使用")
    version: int
    kind: RejectionKind | None
    reason: str
    case_number: str
    item_name: str
    due: datetime


@strawberry.type(description="督办意见")
class SupervisionInstruction:
    id: strawberry.ID
    tenant: UnitRef
    rectification_id: strawberry.ID = strawberry.field(description="整改的全局 id（在该单位的模式中）")
    text: str
    issued_by: str
    issued_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str


def instruction(row: models.SupervisionInstruction) -> SupervisionInstruction:
    return SupervisionInstruction(
        id=global_id("SupervisionInstruction", row.pk), tenant=unit_ref(row.tenant),
        rectification_id=tenant_gid(row.tenant.schema_name, "Rectification", row.rectification_id), text=row.text,
        issued_by=row.issued_by, issued_at=row.issued_at, acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by)


@strawberry.type(description="内部通报（县级视图；不在门户公开）")
class Circular:
    id: strawberry.ID
    title: str
    body: str
    issued_by: str
    issued_at: datetime
    tenants: list[UnitRef] = strawberry.field(description="通报范围（为空表示全部单位）")
    subject_tenant: UnitRef | None = strawberry.field(description="涉及单位")
    rectification_id: strawberry.ID | None = strawberry.field(description="涉及整改的全局 id（在涉及单位的模式中）")


def circular(row: models.Circular) -> Circular:
    subject = row.subject_tenant
    rid = (tenant_gid(subject.schema_name, "Rectification", row.rectification_id)
           if subject is not None and row.rectification_id is not None else None)
    return Circular(id=global_id("Circular", row.pk), title=row.title, body=row.body, issued_by=row.issued_by,
                    issued_at=row.issued_at, tenants=[unit_ref(t) for t in row.tenants.all()],
                    subject_tenant=unit_ref(subject) if subject else None, rectification_id=rid)


@strawberry.type(description="本单位收到的内部通报")
class ReceivedCircular:
    id: strawberry.ID
    title: str
    body: str
    issued_by: str
    issued_at: datetime
    addressed_to_all: bool = strawberry.field(description="发给全部单位")


def received_circular(row: models.Circular) -> ReceivedCircular:
    return ReceivedCircular(id=global_id("Circular", row.pk), title=row.title, body=row.body, issued_by=row.issued_by,
                            issued_at=row.issued_at, addressed_to_all=not row.addressed)
