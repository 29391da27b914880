"""热线评价: a hotline agent records a caller's rating (channel HOTLINE), entered on the caller's behalf.

The agent is recorded as 代录人 (entered_by). A phone number the agent types is kept for the follow-up but is not
real-name: only a case the caller's own business system authenticated or an SMS check makes a rating real-name."""
from __future__ import annotations

from dataclasses import dataclass, field

from haochaping.accounts.models import User
from haochaping.rectification.selectors import RectificationSummary, summary_for_evaluation

from .models import Channel, Evaluation
from .paper import parse_grade
from .submission import EvaluationInput, Submitter, submit_evaluation


@dataclass
class HotlineCall:
    grade: int | str | None
    window_id: int | None = None
    case_number: str = ""
    comment: str = ""
    caller_phone: str = ""
    answers: dict = field(default_factory=dict)
    idempotency_key: str | None = None  # one per form shown to the agent: a double submit stores once


@dataclass
class HotlineResult:
    evaluation: Evaluation
    replayed: bool

    @property
    def entered_on_behalf(self) -> bool:
        return self.evaluation.entered_by_id is not None

    @property
    def rectification(self) -> RectificationSummary | None:
        return summary_for_evaluation(self.evaluation)


def record_hotline_rating(call: HotlineCall, agent: User | None) -> HotlineResult:
    """Only a signed-in TENANT_ADMIN, AGENCY or HANDLER may enter (else CHANNEL_NOT_ALLOWED)."""
    answers = {str(k): str(v).strip() for k, v in (call.answers or {}).items() if str(v or "").strip()}
    data = EvaluationInput(
        grade=parse_grade(call.grade), channel=Channel.HOTLINE, idempotency_key=call.idempotency_key or None,
        case_number=(call.case_number or "").strip() or None, window_id=call.window_id,
        comment=call.comment or "", rater_phone=(call.caller_phone or "").strip(), answers=answers,
    )
    result = submit_evaluation(data, Submitter(user=agent))
    return HotlineResult(result.evaluation, result.replayed)
