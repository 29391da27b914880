"""实名 by phone: a one-time SMS code (sent through the outbox) proves the rater holds the phone; the signed
verification token makes the rating real-name (SMS_VERIFIED). A typed-in phone alone is not real-name. Codes
are locked after 5 wrong tries, expire, are rate-limited per phone, and only their digests are stored."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.core.privacy import digest
from haochaping.evaluations.models import Evaluation, PhoneVerification
from haochaping.evaluations.submission import window_qr_token
from haochaping.jobs.services import run_due_jobs
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.organizations.models import Window

REQUEST = """mutation($phone: String!) { requestPhoneCode(phone: $phone) { sent errors { code field } } }"""
VERIFY = """mutation($phone: String!, $code: String!) { verifyPhoneCode(phone: $phone, code: $code) {
  verificationToken errors { code field } } }"""
SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  evaluation { id isRealName } errors { code field } } }"""
PHONE = "13912345678"


@pytest.fixture
def alpha_client(gql):
    return gql("alpha")


def request_code(client, phone=PHONE) -> dict:
    return client(REQUEST, {"phone": phone})["data"]["requestPhoneCode"]


def verify(client, code: str, phone=PHONE) -> dict:
    return client(VERIFY, {"phone": phone, "code": code})["data"]["verifyPhoneCode"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def sent_code(phone=PHONE, schema="alpha") -> str:
    """Deliver what is queued and read the latest code from the recorded SMS."""
    run_due_jobs()
    with schema_context(schema):
        record = SmsRecord.objects.filter(phone=phone).order_by("-pk").first()
    assert record is not None
    return re.search(r"验证码为(\d{6})", record.text).group(1)


def new_code(client, phone=PHONE) -> str:
    assert request_code(client, phone) == {"sent": True, "errors": []}
    return sent_code(phone)


def qr_rating(client, schema="alpha", **values) -> dict:
    with schema_context(schema):
        token = window_qr_token(Window.objects.get(org__code="H01", code="W01"))
    return client(SUBMIT, {"input": {"grade": 4, "channel": "QR_CODE", "windowToken": token, **values}}
                  )["data"]["submitEvaluation"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def test_request_code_queues_an_sms_through_the_outbox(alpha_client):
    assert request_code(alpha_client) == {"sent": True, "errors": []}
    with schema_context("alpha"):
        notification = Notification.objects.get(purpose="phone_code")
        assert notification.channel == "SMS" and notification.recipient == PHONE
        assert notification.state == Notification.State.PENDING
        assert not SmsRecord.objects.exists()  # sent by the worker, not in the request
        code = re.search(r"(\d{6})", notification.body).group(1)
    assert sent_code() == code
    with schema_context("alpha"):
        assert Notification.objects.get(purpose="phone_code").state == Notification.State.SENT


def test_a_verified_phone_makes_the_rating_real_name(alpha_client):
    token = verify(alpha_client, new_code(alpha_client))
    assert token["errors"] == [] and token["verificationToken"]
    rated = qr_rating(alpha_client, raterPhone=PHONE, phoneVerificationToken=token["verificationToken"])
    assert rated["errors"] == [] and rated["evaluation"]["isRealName"] is True
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get()
        assert evaluation.real_name_basis == Evaluation.RealNameBasis.SMS_VERIFIED
        assert evaluation.rater_phone == PHONE and evaluation.channel == "QR_CODE"


def test_the_token_alone_carries_the_verified_phone(alpha_client):
    token = verify(alpha_client, new_code(alpha_client))["verificationToken"]
    rated = qr_rating(alpha_client, phoneVerificationToken=token)
    assert rated["evaluation"]["isRealName"] is True
    with schema_context("alpha"):
        assert Evaluation.objects.get().rater_phone == PHONE


def test_a_typed_phone_without_a_token_is_not_real_name(alpha_client):
    rated = qr_rating(alpha_client, raterPhone=PHONE, raterName="张三")
    assert rated["errors"] == [] and rated["evaluation"]["isRealName"] is False
    with schema_context("alpha"):
        assert Evaluation.objects.get().real_name_basis == Evaluation.RealNameBasis.NONE


def test_a_token_for_another_phone_is_refused(alpha_client):
    token = verify(alpha_client, new_code(alpha_client))["verificationToken"]
    refused = qr_rating(alpha_client, raterPhone="13700000000", phoneVerificationToken=token)
    assert codes(refused) == ["PHONE_NOT_VERIFIED"] and refused["evaluation"] is None
    with schema_context("alpha"):
        assert not Evaluation.objects.exists()


def test_a_forged_token_is_refused(alpha_client):
    refused = qr_rating(alpha_client, raterPhone=PHONE, phoneVerificationToken="forged-token")
    assert codes(refused) == ["INVALID_TOKEN"] and refused["errors"][0]["field"] == "phoneVerificationToken"


def test_a_code_is_single_use(alpha_client):
    code = new_code(alpha_client)
    assert verify(alpha_client, code)["errors"] == []
    assert codes(verify(alpha_client, code)) == ["INVALID_CODE"]


def test_five_wrong_codes_lock_the_code(alpha_client):
    code = new_code(alpha_client)
    for _ in range(5):
        assert codes(verify(alpha_client, wrong(code))) == ["INVALID_CODE"]
    with schema_context("alpha"):
        assert PhoneVerification.objects.get().attempts == 5
    locked = verify(alpha_client, code)
    assert codes(locked) == ["INVALID_CODE"] and locked["verificationToken"] is None
    with schema_context("alpha"):
        verification = PhoneVerification.objects.get()
        assert verification.verified_at is None and verification.attempts == 5
    # A new code (within the hourly limit) can be verified again.
    assert verify(alpha_client, new_code(alpha_client))["errors"] == []


def test_fewer_than_five_wrong_codes_do_not_lock(alpha_client):
    code = new_code(alpha_client)
    for _ in range(4):
        assert codes(verify(alpha_client, wrong(code))) == ["INVALID_CODE"]
    assert verify(alpha_client, code)["errors"] == []


def test_an_expired_code_is_refused(alpha_client):
    code = new_code(alpha_client)
    with schema_context("alpha"):
        PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert codes(verify(alpha_client, code)) == ["INVALID_CODE"]


def test_a_code_expires_after_ten_minutes(alpha_client):
    before = timezone.now()
    new_code(alpha_client)
    with schema_context("alpha"):
        expires = PhoneVerification.objects.get().expires_at
    assert before + timedelta(minutes=10) <= expires <= timezone.now() + timedelta(minutes=10)


def test_an_expired_verification_token_is_refused(alpha_client, monkeypatch):
    code = new_code(alpha_client)
    real = signing.TimestampSigner.timestamp
    monkeypatch.setattr(signing.TimestampSigner, "timestamp",
                        lambda self: signing.b62_encode(int(time.time()) - 31 * 60))
    token = verify(alpha_client, code)["verificationToken"]
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", real)
    refused = qr_rating(alpha_client, raterPhone=PHONE, phoneVerificationToken=token)
    assert codes(refused) == ["INVALID_TOKEN"]


def test_codes_are_rate_limited_per_phone(alpha_client):
    for _ in range(5):
        assert request_code(alpha_client)["sent"] is True
    refused = request_code(alpha_client)
    assert refused["sent"] is False and codes(refused) == ["TOO_MANY_ATTEMPTS"]
    with schema_context("alpha"):
        assert PhoneVerification.objects.count() == 5
        assert Notification.objects.filter(purpose="phone_code").count() == 5
    assert request_code(alpha_client, "13912340000")["sent"] is True  # another phone is not affected


def test_an_invalid_phone_is_refused(alpha_client):
    for phone in ("12345", "0371-12345678", "23912345678", ""):
        refused = request_code(alpha_client, phone)
        assert refused["sent"] is False and codes(refused) == ["INVALID_PHONE"]
    with schema_context("alpha"):
        assert not Notification.objects.exists()


def test_a_verification_from_alpha_is_refused_on_betas_host(gql, alpha_client):
    code = new_code(alpha_client)
    beta_client = gql("beta")
    assert codes(verify(beta_client, code)) == ["INVALID_CODE"]  # the code lives in alpha's schema
    token = verify(alpha_client, code)["verificationToken"]
    refused = qr_rating(beta_client, "beta", raterPhone=PHONE, phoneVerificationToken=token)
    assert codes(refused) == ["INVALID_TOKEN"] and refused["errors"][0]["field"] == "phoneVerificationToken"
    with schema_context("beta"):
        assert not Evaluation.objects.exists()
        assert not PhoneVerification.objects.exists()


def test_only_digests_of_phone_and_code_are_stored(alpha_client):
    code = new_code(alpha_client)
    with schema_context("alpha"):
        row = PhoneVerification.objects.values().get()
    assert row["phone_digest"] == digest(PHONE, "phone") and row["code_digest"] == digest(code, "phone-code")
    stored = " ".join(str(value) for value in row.values())
    assert PHONE not in stored and PHONE[-4:] not in stored and code not in stored
    assert {f.name for f in PhoneVerification._meta.get_fields()} == {
        "id", "phone_digest", "code_digest", "created_at", "expires_at", "attempts", "verified_at"}


def test_one_address_cannot_send_codes_to_many_phones(gql):
    from haochaping.evaluations.phone import CODES_PER_IP_PER_HOUR

    client = gql("alpha")
    send = "mutation($p: String!) { requestPhoneCode(phone: $p) { sent errors { code } } }"
    for n in range(CODES_PER_IP_PER_HOUR):
        assert client(send, {"p": f"1390000{n:04d}"})["data"]["requestPhoneCode"]["sent"] is True
    refused = client(send, {"p": "13999999999"})["data"]["requestPhoneCode"]
    assert refused == {"sent": False, "errors": [{"code": "TOO_MANY_ATTEMPTS"}]}
