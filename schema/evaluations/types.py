from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django
from strawberry.scalars import JSON

from haochaping.core.privacy import mask_name, mask_phone
from haochaping.evaluations import models
from schema.core.nodes import ScopedNode
from schema.items.types import ServiceItem
from schema.organizations.types import ServicePlatform, Window
from schema.tenancy.types import UnitRef, unit_ref

Channel = strawberry.enum(models.Channel, name="EvaluationChannel")
CaseStatus = strawberry.enum(models.ServiceCase.Status, name="CaseStatus")
ApplicantKind = strawberry.enum(models.ServiceCase.ApplicantKind, name="ApplicantKind")
LabelSet = strawberry.enum(models.EvaluationPolicy.LabelSet, name="LabelSet")
RealNameBasis = strawberry.enum(models.Evaluation.RealNameBasis, name="RealNameBasis")


@strawberry_django.type(models.ServiceCase, description="办件（申请人信息已脱敏）")
class ServiceCase(ScopedNode):
    case_number: str
    status: CaseStatus
    applicant_kind: ApplicantKind
    accepted_at: datetime
    promised_at: datetime | None
    completed_at: datetime | None
    is_overdue: bool
    overdue_reason: str
    item: ServiceItem
    window: Window | None
    platform: ServicePlatform | None

    @strawberry_django.field(only=["applicant_name"])
    def applicant_name(self, root: models.ServiceCase) -> str:
        return mask_name(root.applicant_name)

    @strawberry_django.field(only=["applicant_phone"])
    def applicant_phone(self, root: models.ServiceCase) -> str:
        return mask_phone(root.applicant_phone)

    @strawberry_django.field(select_related=["accepting_unit"], description="受理单位")
    def accepting_unit(self, root: models.ServiceCase) -> UnitRef:
        return unit_ref(root.accepting_unit)

    @strawberry_django.field(select_related=["handling_unit"], description="办理单位")
    def handling_unit(self, root: models.ServiceCase) -> UnitRef:
        return unit_ref(root.handling_unit)


@strawberry.type(description="A rectification as the rating side sees it (it may live in the owner's schema)")
class RectificationSummary:
    state: str
    outcome: str
    follow_up_due: datetime
    due: datetime
    owner_unit: UnitRef


def rectification_summary(summary) -> RectificationSummary | None:
    if summary is None:
        return None
    return RectificationSummary(state=summary.state, outcome=summary.outcome, follow_up_due=summary.follow_up_due,
                                due=summary.due, owner_unit=unit_ref(summary.owner_unit))


@strawberry_django.type(models.Evaluation, description="评价（评价人信息已脱敏）")
class Evaluation(ScopedNode):
    grade: int
    round: int
    channel: Channel
    is_bad: bool
    is_supplementary: bool
    real_name_basis: RealNameBasis
    comment: str
    rated_at: datetime
    window: Window | None
    item: ServiceItem | None
    platform: ServicePlatform | None

    @strawberry_django.field(only=["answers"])
    def answers(self, root: models.Evaluation) -> JSON:
        return root.answers

    @strawberry_django.field(select_related=["case"])
    def case_number(self, root: models.Evaluation) -> str | None:
        return root.case.case_number if root.case else None

    @strawberry_django.field(only=["rater_name"])
    def rater_name(self, root: models.Evaluation) -> str:
        return mask_name(root.rater_name)

    @strawberry_django.field(only=["rater_phone"])
    def rater_phone(self, root: models.Evaluation) -> str:
        return mask_phone(root.rater_phone)

    @strawberry_django.field(select_related=["staff"])
    def staff_name(self, root: models.Evaluation) -> str | None:
        return root.staff.name if root.staff else None

    @strawberry.field
    def rectification(self, root: models.Evaluation) -> RectificationSummary | None:
        from haochaping.rectification.selectors import summary_for_evaluation

        return rectification_summary(summary_for_evaluation(root)) if root.is_bad and root.round == 1 else None


@strawberry.type(description="What a rater may see right after submitting (no staff-facing data)")
class SubmittedEvaluation:
    id: strawberry.ID
    grade: int
    round: int
    channel: Channel
    is_bad: bool
    is_real_name: bool
    receipt_code: str = strawberry.field(description="回执码：匿名评价人凭此在门户查看答复")
    rectification: RectificationSummary | None


@strawberry.type(description="A result a staff member may see about themselves: never the rater")
class StaffResult:
    grade: int
    channel: Channel
    rated_at: datetime
    is_bad: bool
    item_name: str | None


@strawberry.type
class GradeLabel:
    grade: int
    label: str
    label_en: str
    is_bad: bool


@strawberry.type
class Question:
    key: str
    text: str
    text_en: str
    kind: str
    options: list[str]


@strawberry.type(description="评价问询表单（版本化）")
class Questionnaire:
    version: int
    questions: list[Question]


@strawberry.type(description="Everything a rating page needs to show")
class RatingForm:
    tenant_name: str
    org_name: str | None
    window_name: str | None
    staff_name: str | None
    item_name: str | None
    case_number: str | None
    channel: Channel
    labels: list[GradeLabel]
    questionnaire: Questionnaire


@strawberry.type(description="“请评价”推送到评价器的办件")
class DevicePrompt:
    id: int
    item_name: str
    expires_at: datetime


@strawberry_django.type(models.EvaluationPolicy, description="本单位评价规则")
class EvaluationPolicy:
    label_set: LabelSet
    supplementary_days: int
    device_min_interval_seconds: int
    device_max_per_hour: int
    ip_max_per_hour: int
    phone_max_per_day: int
    streak_length: int
    streak_seconds: int
    board_alert_bad_percent: int = strawberry.field(description="评价屏差评预警：时段内差评占比（%）达到此值")
    board_alert_minutes: int = strawberry.field(description="评价屏差评预警的滚动时段（分钟）")
    board_alert_min_ratings: int = strawberry.field(description="评价屏差评预警：时段内至少这么多条评价")
