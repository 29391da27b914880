"""差评整改 as the owning unit's staff see it: the rater's contact masked (revealRaterContact is the logged read)."""
from __future__ import annotations

import enum
from datetime import datetime

import strawberry
import strawberry_django
from django.utils import timezone

from haochaping.core.privacy import mask_name, mask_phone
from haochaping.rectification import models
from schema.core.nodes import ScopedNode, global_id
from schema.tenancy.types import UnitRef, unit_ref

RectificationState = strawberry.enum(models.Rectification.State, name="RectificationState")
RectificationOutcome = strawberry.enum(models.Rectification.Outcome, name="RectificationOutcome")
RectificationSource = strawberry.enum(models.Rectification.Source, name="RectificationSource")
FollowUpMethod = strawberry.enum(models.FollowUp.Method, name="FollowUpMethod")


@strawberry.enum(name="RejectionKind", description="不予采纳的类型")
class RejectionKind(enum.Enum):
    REJECTED_MISTAKEN = "REJECTED_MISTAKEN"
    REJECTED_MALICIOUS = "REJECTED_MALICIOUS"


@strawberry.type(description="整改专人")
class RectificationHandler:
    id: strawberry.ID
    username: str
    display_name: str


def handler_ref(user) -> RectificationHandler | None:
    if user is None:
        return None
    return RectificationHandler(id=global_id("User", user.pk), username=user.username, display_name=user.display_name)


@strawberry_django.type(models.RectificationEvent, description="整改过程记录（只增不改）")
class RectificationEvent:
    at: datetime
    actor_label: str
    action: str
    from_state: str
    to_state: str
    note: str


@strawberry_django.type(models.FollowUp, description="回访核实")
class FollowUp:
    contacted_at: datetime
    method: FollowUpMethod
    rater_said: str
    recorded_at: datetime

    @strawberry_django.field(select_related=["contacted_by"])
    def contacted_by(self, root: models.FollowUp) -> str:
        return str(root.contacted_by)


@strawberry_django.type(models.Evidence, description="整改证明材料")
class Evidence:
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime

    @strawberry_django.field(only=["id", "rectification_id"],
                             description="本租户主机上的下载地址（需登录，按角色校验；材料不公开发布）")
    def url(self, root: models.Evidence) -> str:
        from django.urls import reverse

        return reverse("web:rectification_evidence", kwargs={"pk": root.rectification_id, "evidence_id": root.pk},
                       urlconf="config.urls_tenant")


def _blank_none(value: str):
    return value or None


@strawberry_django.type(models.Rectification, name="Rectification", description="差评整改（由差评或投诉开启）")
class RectificationCase(ScopedNode):
    case_number: str
    item_name: str
    window_name: str
    grade: int | None = strawberry_django.field(description="差评等级；投诉为空")
    channel: str
    comment: str
    is_real_name: bool
    rated_at: datetime
    opened_at: datetime
    follow_up_due: datetime
    followed_up_at: datetime | None
    due: datetime
    closed_at: datetime | None
    escalated_at: datetime | None
    version: int
    feedback: str
    rejection_reason: str
    extension_requested_days: int | None
    extension_reason: str
    rater_confirmed: bool | None
    events: list[RectificationEvent]
    follow_ups: list[FollowUp]
    evidence: list[Evidence]

    @strawberry_django.field(only=["state"])
    def state(self, root: models.Rectification) -> RectificationState:
        return RectificationState(root.state)

    @strawberry_django.field(only=["source"])
    def source(self, root: models.Rectification) -> RectificationSource:
        return RectificationSource(root.source)

    @strawberry_django.field(only=["outcome"])
    def outcome(self, root: models.Rectification) -> RectificationOutcome | None:
        return RectificationOutcome(root.outcome) if root.outcome else None

    @strawberry_django.field(only=["rejection_kind"])
    def rejection_kind(self, root: models.Rectification) -> RectificationOutcome | None:
        return RectificationOutcome(root.rejection_kind) if root.rejection_kind else None

    @strawberry_django.field(only=["rater_name"], description="评价人（脱敏）")
    def rater_name(self, root: models.Rectification) -> str:
        return mask_name(root.rater_name)

    @strawberry_django.field(only=["rater_phone"], description="评价人电话（脱敏）")
    def rater_phone(self, root: models.Rectification) -> str:
        return mask_phone(root.rater_phone)

    @strawberry_django.field(only=["state", "due"], description="未办结且已过整改反馈期限")
    def is_overdue(self, root: models.Rectification) -> bool:
        return root.state != models.Rectification.State.CLOSED and root.due < timezone.now()

    @strawberry_django.field(select_related=["handler"])
    def handler(self, root: models.Rectification) -> RectificationHandler | None:
        return handler_ref(root.handler)

    @strawberry_django.field(select_related=["owner_unit"], description="责任单位（谁办理、谁负责）")
    def owner_unit(self, root: models.Rectification) -> UnitRef:
        return unit_ref(root.owner_unit)

    @strawberry_django.field(select_related=["rating_unit"], description="评价发生的单位")
    def rating_unit(self, root: models.Rectification) -> UnitRef:
        return unit_ref(root.rating_unit)


@strawberry.type(description="评价人联系方式（未脱敏；每次读取均有记录）")
class RaterContact:
    name: str
    phone: str
