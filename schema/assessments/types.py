"""Third-party evaluation as GraphQL types. Evaluator results carry codes, counts and redacted outcomes only."""
from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import ApiToken
from haochaping.assessments import models
from haochaping.assessments.services import score_dimensions
from schema.core.nodes import global_id
from schema.tenancy.types import UnitRef, unit_ref

EvaluatorOrgKind = strawberry.enum(models.EvaluatorOrg.Kind, name="EvaluatorOrgKind")
AssessmentState = strawberry.enum(models.Assessment.State, name="AssessmentState")
FindingSubjectKind = strawberry.enum(models.AssessmentFinding.Subject, name="FindingSubjectKind")


@strawberry.enum(description="汇总层级：单位 / 事项 / 窗口")
class EvaluatorLevel(enum.Enum):
    TENANT = "TENANT"
    ITEM = "ITEM"
    WINDOW = "WINDOW"


@strawberry.type(description="第三方评估机构")
class EvaluatorOrg:
    id: strawberry.ID
    name: str
    kind: EvaluatorOrgKind
    credit_code: str
    owner: UnitRef | None = strawberry.field(description="登记单位；县级登记时为空")
    registered_by: str
    created_at: datetime


def org(row: models.EvaluatorOrg) -> EvaluatorOrg:
    return EvaluatorOrg(id=global_id("EvaluatorOrg", row.pk), name=row.name, kind=EvaluatorOrgKind(row.kind),
                        credit_code=row.credit_code, owner=unit_ref(row.owner_tenant) if row.owner_tenant else None,
                        registered_by=row.registered_by, created_at=row.created_at)


@strawberry.type(description="第三方评估授权：可访问单位、数据期间、到期时间（只读，不含个人信息）")
class EvaluatorGrant:
    id: strawberry.ID
    org: EvaluatorOrg
    tenants: list[UnitRef]
    period_start: date
    period_end: date
    expires_at: datetime
    granted_by: str
    created_at: datetime
    revoked_at: datetime | None
    token_prefix: str = strawberry.field(description="令牌前缀（令牌全文只在授权时显示一次）")


def grant(row: models.EvaluatorGrant) -> EvaluatorGrant:
    # ApiToken exists in every schema: read the grant's (public) token there, whatever host asks.
    with schema_context(get_public_schema_name()):
        prefix = ApiToken.objects.filter(pk=row.token_id).values_list("prefix", flat=True).first() or ""
    return EvaluatorGrant(id=global_id("EvaluatorGrant", row.pk), org=org(row.org),
                          tenants=[unit_ref(t) for t in row.tenants.order_by("schema_name")],
                          period_start=row.period_start, period_end=row.period_end, expires_at=row.expires_at,
                          granted_by=row.granted_by, created_at=row.created_at, revoked_at=row.revoked_at,
                          token_prefix=prefix)


@strawberry.type(description="第三方评估机构的一次查询（含被拒绝的）")
class EvaluatorQueryEntry:
    operation: str
    variables: strawberry.scalars.JSON
    outcome: str = strawberry.field(description="OK，或拒绝的错误代码")
    rows: int
    at: datetime
    org_name: str


def query_entry(row: models.EvaluatorQuery) -> EvaluatorQueryEntry:
    return EvaluatorQueryEntry(operation=row.operation, variables=row.variables, outcome=row.outcome, rows=row.rows,
                               at=row.at, org_name=row.grant.org.name)


@strawberry.type(description="期间内的评价等级计数（公开统计口径，不含工作人员和评价人）")
class EvaluatorCountRow:
    tenant: str
    item_code: str
    org_code: str
    window_code: str
    channel: str = strawberry.field(description="评价渠道；未按渠道分组时为空")
    grades: list[int] = strawberry.field(description="1 至 5 级的计数")
    counted: int
    excluded: int = strawberry.field(description="不予采纳（不计分）的评价数")
    satisfaction_rate: float | None
    bad_review_rate: float | None


@strawberry.type(description="整改结果（不含评价人、回执和反馈内容）")
class EvaluatorOutcomeRow:
    item_name: str
    source: str
    state: str
    outcome: str
    opened_at: datetime
    due: datetime
    closed_at: datetime | None
    on_time: bool | None


@strawberry.type(description="分项得分（0–100）")
class AssessmentScore:
    dimension: str
    label: str
    label_en: str
    score: float


@strawberry.type(description="评估发现的问题，已列入该单位的集中问题整改")
class AssessmentFinding:
    tenant: UnitRef
    subject_kind: FindingSubjectKind
    subject_code: str
    subject_name: str
    dimension: str
    description: str


@strawberry.type(description="评估报告附件")
class AssessmentAttachment:
    id: strawberry.ID
    name: str
    content_type: str
    size: int


@strawberry.type(description="专业评估报告")
class Assessment:
    id: strawberry.ID
    title: str
    org: EvaluatorOrg
    period_start: date
    period_end: date
    tenants: list[UnitRef]
    scores: list[AssessmentScore]
    summary: str
    findings: list[AssessmentFinding]
    attachments: list[AssessmentAttachment]
    state: AssessmentState
    submitted_at: datetime
    decided_at: datetime | None


def scores(values: dict) -> list[AssessmentScore]:
    return [AssessmentScore(dimension=key, label=zh, label_en=en, score=values[key])
            for key, (zh, en) in score_dimensions().items() if key in values]


def assessment(row: models.Assessment) -> Assessment:
    return Assessment(
        id=global_id("Assessment", row.pk), title=row.title, org=org(row.org), period_start=row.period_start,
        period_end=row.period_end, tenants=[unit_ref(t) for t in row.tenants.all()], scores=scores(row.scores),
        summary=row.summary,
        findings=[AssessmentFinding(tenant=unit_ref(f.tenant), subject_kind=FindingSubjectKind(f.subject_kind),
                                    subject_code=f.subject_code, subject_name=f.subject_name, dimension=f.dimension,
                                    description=f.description) for f in row.findings.all()],
        attachments=[attachment(a) for a in row.attachments.all()],
        state=AssessmentState(row.state), submitted_at=row.submitted_at, decided_at=row.decided_at)


def attachment(row: models.AssessmentAttachment) -> AssessmentAttachment:
    return AssessmentAttachment(id=global_id("AssessmentAttachment", row.pk), name=row.original_name,
                                content_type=row.content_type, size=row.size)
