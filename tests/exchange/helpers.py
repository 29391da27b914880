"""Shared helpers for the exchange tests: cases and case-linked ratings in a tenant schema."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

PII_COMMENT = "电话13812345678 身份证110101199003071234 办事很慢"
PHONE = "13812345678"
ID_NUMBER = "110101199003071234"
# 2025-03-04 01:02:03 UTC = 09:02:03 in Asia/Shanghai.
RATED_AT = datetime(2025, 3, 4, 1, 2, 3, tzinfo=dt_timezone.utc)


def make_case(number: str, slug: str = "alpha"):
    from haochaping.evaluations.cases import CaseInput, upsert_case

    now = timezone.now()
    with schema_context(slug):
        case, _ = upsert_case(CaseInput(
            case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL", applicant_name="王小明",
            accepted_at=now - timedelta(days=3), status="COMPLETED", applicant_phone="13900001111",
            promised_at=now - timedelta(days=1), completed_at=now - timedelta(days=2)))
    connection.set_schema_to_public()
    return case


def stored_evaluation(number: str, *, slug: str = "alpha", grade: int = 2, channel: str = "HOTLINE", round: int = 1,
                      comment: str = PII_COMMENT, rater_name: str = "张三丰", rater_phone: str = "13812345678",
                      rated_at: datetime = RATED_AT, queue: bool = True):
    """An evaluation of a (new) case stored directly, and — like submission does — queued for exchange."""
    from haochaping.evaluations.models import Evaluation, ServiceCase
    from haochaping.exchange.services import queue_exchange

    if round == 1:
        make_case(number, slug)
    with schema_context(slug):
        evaluation = Evaluation.objects.create(
            case=ServiceCase.objects.get(case_number=number), round=round, grade=grade, channel=channel,
            comment=comment, rater_name=rater_name, rater_phone=rater_phone, receipt_code=f"X{round}{number}"[-16:],
            is_bad=grade <= 2, rated_at=rated_at)
        if queue:
            queue_exchange(evaluation)
        evaluation = Evaluation.objects.select_related("case").get(pk=evaluation.pk)
    connection.set_schema_to_public()
    return evaluation


def submit_case_rating(number: str, *, slug: str = "alpha", grade: int = 2, comment: str = PII_COMMENT,
                       key: str | None = None):
    """A hotline rating of a case entered by the tenant admin through the real submission path."""
    from haochaping.accounts.models import User
    from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation

    with schema_context(slug):
        admin = User.objects.get(username="tenant_admin")
        result = submit_evaluation(EvaluationInput(grade=grade, channel="HOTLINE", case_number=number, comment=comment,
                                                   idempotency_key=key, rater_name="李四", rater_phone=PHONE),
                                   Submitter(user=admin))
    connection.set_schema_to_public()
    return result
