"""The public portal reads only published, redacted copies: receipt lookups and exclusion counts."""
import pytest
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.disclosure.models import PublishedRectification
from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
from haochaping.organizations.models import Window
from haochaping.rectification import services
from haochaping.rectification.models import Evidence, Rectification
from haochaping.rectification.services import Actor


def _bad_qr_review() -> tuple[Rectification, str]:
    from haochaping.evaluations.submission import window_qr_token

    with schema_context("alpha"):
        token = window_qr_token(Window.objects.get(code="W01"))
        evaluation = submit_evaluation(EvaluationInput(grade=1, channel="QR_CODE", window_token=token,
                                                       comment="排队一个小时没人管"), Submitter()).evaluation
        return Rectification.objects.get(evaluation=evaluation), evaluation.receipt_code


def _lookup(code: str):
    client = Client()
    client.get("/receipt/", HTTP_HOST="localhost")
    return client.post("/receipt/", {"code": code}, HTTP_HOST="localhost")


def test_opening_and_closing_are_published_without_personal_data(alpha):
    r, code = _bad_qr_review()
    published = PublishedRectification.objects.get(tenant=alpha, rectification_id=r.pk)
    assert (published.state, published.feedback) == ("OPEN", "")
    assert {f.name for f in PublishedRectification._meta.fields}.isdisjoint({"rater_name", "rater_phone", "comment"})
    page = _lookup(code.lower())
    assert page.status_code == 200 and "甲镇" in page.content.decode() and "排队" not in page.content.decode()

    with schema_context("alpha"):
        handler = Actor.of(User.objects.get(username="handler"))
        r = services.record_follow_up(r.pk, r.version, handler, method="PHONE", rater_said="等候太久")
        Evidence.objects.create(rectification=r, file="tenants/alpha/x.png", stored_name="x.png", original_name="x.png",
                                content_type="image/png", size=8, uploaded_by=handler.user)
        services.fix_now(r.pk, r.version, handler, feedback="已增设导办岗，高峰期增开窗口")
    published.refresh_from_db()
    assert (published.state, published.outcome) == ("CLOSED", "FIXED_NOW")
    page = _lookup(code).content.decode()
    assert "已增设导办岗" in page and "立行立改" in page


def test_unknown_receipts_are_not_found_and_lookups_are_limited(db):
    assert _lookup("NOSUCHCODE").status_code == 404
    statuses = [_lookup("NOSUCHCODE").status_code for _ in range(12)]
    assert statuses[-1] == 429


def test_the_portal_publishes_exclusion_counts(alpha):
    r, _ = _bad_qr_review()
    with schema_context("alpha"):
        handler = Actor.of(User.objects.get(username="handler"))
        r = services.record_follow_up(r.pk, r.version, handler, method="PHONE", rater_said="说是按错了")
        r = services.request_rejection(r.pk, r.version, handler, kind="REJECTED_MISTAKEN", reason="评价人确认误点")
        services.decide_rejection(r.pk, r.version, Actor.of(User.objects.get(username="agency")), approve=True)
    html = Client().get("/", HTTP_HOST="localhost").content.decode()
    row = html[html.index("甲镇"):]
    row = row[: row.index("</tr>")]
    assert "<td>1</td><td>1／0</td>" in row


def test_a_receipt_code_held_in_two_tenants_shows_neither(alpha, beta):
    """Codes are unique within a tenant only: an ambiguous code must never show another rater's answer."""
    from django.utils import timezone

    from haochaping.disclosure.services import receipt_digest

    now = timezone.now()
    for n, tenant in enumerate((alpha, beta), start=1):
        PublishedRectification.objects.create(tenant=tenant, rectification_id=900 + n, receipt_digest=receipt_digest("ABCDEF123456"),
                                              source="BAD_REVIEW", state="OPEN", opened_at=now, due=now)
    assert _lookup("ABCDEF123456").status_code == 404
    PublishedRectification.objects.filter(tenant=beta, rectification_id=902).delete()
    assert _lookup("ABCDEF123456").status_code == 200
