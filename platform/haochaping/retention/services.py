"""个人信息保护: personal data is kept no longer than its purpose needs. Run in one tenant schema (the worker runs it
once a day per tenant), this anonymises rows older than the retention periods in place: names, phone numbers and
e-mail addresses are blanked (or set to a marker where a value is required), free text goes through redact_text.
What statistics need stays (grades, channels, dates, outcomes, the real-name basis).

Rows still needed keep their contact data, however old: a rectification until it is closed (and the evaluation
and case it came from), a comment until it is answered or its 12345 work order replied, a call-back until it is
made, a notification until it has been tried. Idempotent: a row is saved only when anonymising changes it, so a
second run changes nothing; each run records its counts per model (RetentionRun).

Rectification events are append-only: their trigger lets this job, and only it, redact an event's note and data.
Not touched: contact-access logs (who read a contact, no rater data), exchange records (masked and redacted
when built), staff and user accounts (employees, not raters)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from haochaping.core.privacy import redact_text
from haochaping.evaluations.models import Evaluation, PhoneVerification, ServiceCase
from haochaping.feedback.models import CommentEvent, PublicComment, WorkOrder
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.rectification.models import FollowUp, Rectification, RectificationEvent
from haochaping.surveys.models import CallBack, SurveyResponse

from .models import RetentionRun

RETENTION_JOB = "privacy.retention"
# Written where a value is required (a case's applicant, a notification's recipient and body).
ANONYMISED = "[已匿名]"
BATCH = 500
OPEN_RECTIFICATION = ~Q(state=Rectification.State.CLOSED)


@dataclass(frozen=True)
class RetentionPolicy:
    personal_days: int  # ratings, cases, rectifications, comments, surveys, call-backs
    notification_days: int  # notification recipients and bodies, SMS records, phone verifications

    @classmethod
    def from_settings(cls) -> "RetentionPolicy":
        return cls(settings.PRIVACY_RETENTION_DAYS, settings.PRIVACY_NOTIFICATION_RETENTION_DAYS)


def _blank(value: str) -> str:
    return ""


def _marker(value: str) -> str:
    return ANONYMISED if value else value


def _redact(value: str) -> str:
    # redact_text is stable on its own output, which keeps the job idempotent.
    return redact_text(value) if value else value


def _redact_json(value: Any) -> Any:
    if isinstance(value, str):
        return _redact(value)
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v) for k, v in value.items()}
    return value


def _rewrite(queryset: QuerySet, fields: dict[str, Callable[[Any], Any]]) -> int:
    """Apply each field's cleaner to every row of queryset; save only rows that change. Returns how many did."""
    model, names, last, changed = queryset.model, list(fields), 0, 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").only("pk", *names)[:BATCH])
        if not rows:
            return changed
        last = rows[-1].pk
        dirty = []
        for row in rows:
            new = {name: clean(getattr(row, name)) for name, clean in fields.items()}
            if any(getattr(row, name) != value for name, value in new.items()):
                for name, value in new.items():
                    setattr(row, name, value)
                dirty.append(row)
        if dirty:
            model.objects.bulk_update(dirty, names)
            changed += len(dirty)


def _open_rectifications() -> QuerySet:
    return Rectification.objects.filter(OPEN_RECTIFICATION)


def _needed_evaluation_ids() -> QuerySet:
    """Evaluations whose rater is still to be contacted: an unclosed rectification or a pending call-back.
    (Subqueries never yield NULL: NOT IN over a NULL matches nothing.)"""
    return Evaluation.objects.filter(
        Q(pk__in=_open_rectifications().filter(evaluation__isnull=False).values("evaluation_id"))
        | Q(pk__in=CallBack.objects.filter(state=CallBack.State.PENDING).values("evaluation_id"))).values("pk")


def _evaluations(cutoff: datetime) -> int:
    rows = (Evaluation.objects.filter(created_at__lt=cutoff)
            .filter(~Q(rater_name="") | ~Q(rater_phone="") | ~Q(comment="") | ~Q(answers={}))
            .exclude(pk__in=_needed_evaluation_ids()))
    return _rewrite(rows, {"rater_name": _blank, "rater_phone": _blank, "comment": _redact, "answers": _redact_json})


def _cases(cutoff: datetime) -> int:
    open_case_numbers = _open_rectifications().exclude(case_number="").values("case_number")
    needed_cases = Evaluation.objects.filter(pk__in=_needed_evaluation_ids(), case__isnull=False).values("case_id")
    rows = (ServiceCase.objects
            .filter(status__in=[ServiceCase.Status.COMPLETED, ServiceCase.Status.REJECTED])
            .annotate(ended_at=Coalesce("completed_at", "accepted_at")).filter(ended_at__lt=cutoff)
            .filter(~Q(applicant_name=ANONYMISED) | ~Q(applicant_phone="") | ~Q(applicant_email=""))
            # A real-name rating's follow-up may need the applicant's phone (DESIGN §4).
            .exclude(pk__in=needed_cases)
            .exclude(case_number__in=open_case_numbers))
    return _rewrite(rows, {"applicant_name": _marker, "applicant_phone": _blank, "applicant_email": _blank})


def _set_event_redaction(on: bool) -> None:
    # Transaction-local: the append-only trigger then lets note and data change, nothing else (migration 0005).
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('haochaping.retention', %s, true)", ["on" if on else "off"])


def _rectifications(cutoff: datetime) -> tuple[int, int, int]:
    closed = Rectification.objects.filter(state=Rectification.State.CLOSED, closed_at__lt=cutoff)
    rects = _rewrite(closed, {"rater_name": _blank, "rater_phone": _blank, "comment": _redact, "feedback": _redact,
                              "rejection_reason": _redact, "extension_reason": _redact})
    follow_ups = _rewrite(FollowUp.objects.filter(rectification__in=closed.values("pk")), {"rater_said": _redact})
    with transaction.atomic():  # a failure rolls the savepoint back, and the setting with it
        _set_event_redaction(True)
        events = _rewrite(RectificationEvent.objects.filter(rectification__in=closed.values("pk")),
                          {"note": _redact, "data": _redact_json})
        _set_event_redaction(False)
    return rects, follow_ups, events


def _comments(cutoff: datetime) -> tuple[int, int, int]:
    done = (PublicComment.objects.filter(submitted_at__lt=cutoff).exclude(status=PublicComment.Status.OPEN)
            .exclude(work_order__state=WorkOrder.State.DISPATCHED)
            .exclude(Q(rectification_id__isnull=False) & Q(rectification_id__in=_open_rectifications().values("pk"))))
    comments = _rewrite(done, {"contact_name": _blank, "contact_phone": _blank, "contact_email": _blank,
                               "text": _redact, "answer": _redact, "hidden_reason": _redact})
    events = _rewrite(CommentEvent.objects.filter(comment__in=done.values("pk")), {"note": _redact, "data": _redact_json})
    orders = _rewrite(WorkOrder.objects.filter(comment__in=done.values("pk")), {"callback_note": _redact})
    return comments, events, orders


def _surveys(cutoff: datetime) -> tuple[int, int]:
    responses = _rewrite(SurveyResponse.objects.filter(submitted_at__lt=cutoff), {"text": _redact})
    calls = _rewrite(CallBack.objects.filter(drawn_at__lt=cutoff, state=CallBack.State.DONE), {"notes": _redact})
    return responses, calls


def _notifications(cutoff: datetime) -> tuple[int, int, int]:
    tried = (Notification.objects.filter(created_at__lt=cutoff).exclude(state=Notification.State.PENDING)
             .exclude(recipient=ANONYMISED))
    notifications = _rewrite(tried, {"recipient": _marker, "subject": _redact, "body": _marker})
    sms = _rewrite(SmsRecord.objects.filter(sent_at__lt=cutoff).exclude(phone=ANONYMISED)
                   .exclude(notification__state=Notification.State.PENDING),
                   {"phone": _marker, "text": _marker})
    # Only digests, but of no use once expired.
    verifications, _ = PhoneVerification.objects.filter(expires_at__lt=cutoff).delete()
    return notifications, sms, verifications


def apply_retention(now: datetime | None = None, policy: RetentionPolicy | None = None) -> RetentionRun:
    """Anonymise what is past its retention period in the current tenant schema; returns the run's record."""
    now = now or timezone.now()
    policy = policy or RetentionPolicy.from_settings()
    personal = now - timedelta(days=policy.personal_days)
    short = now - timedelta(days=policy.notification_days)
    with transaction.atomic():
        counts: dict[str, int] = {}
        # Rectifications first: only closed ones are anonymised, and the rest keep their sources' contacts.
        (counts["rectification.Rectification"], counts["rectification.FollowUp"],
         counts["rectification.RectificationEvent"]) = _rectifications(personal)
        counts["evaluations.Evaluation"] = _evaluations(personal)
        counts["evaluations.ServiceCase"] = _cases(personal)
        (counts["feedback.PublicComment"], counts["feedback.CommentEvent"],
         counts["feedback.WorkOrder"]) = _comments(personal)
        counts["surveys.SurveyResponse"], counts["surveys.CallBack"] = _surveys(personal)
        (counts["notifications.Notification"], counts["notifications.SmsRecord"],
         counts["evaluations.PhoneVerification"]) = _notifications(short)
        return RetentionRun.objects.create(personal_cutoff=personal, notification_cutoff=short, counts=counts,
                                           total=sum(counts.values()))
