"""Rating credentials are tenant-bound: a system token, a device token, a window QR token, an invitation
token, a phone verification, a device prompt id and a paper form serial of alpha are refused on beta's host
and change nothing in either schema (nor in the public schema). Each refusal has its positive control: the
same credential on alpha's own host is accepted."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.core.ids import global_id
from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.evaluations.invitations import invitation_url
from haochaping.evaluations.models import DevicePrompt, Invitation, PaperForm, ServiceCase
from haochaping.evaluations.submission import window_qr_token
from haochaping.notifications.models import Notification
from haochaping.organizations import services as orgs
from haochaping.organizations.models import Window

TENANT_LABELS = ("accounts", "organizations", "items", "evaluations", "rectification", "notifications")
PUBLIC_LABELS = ("accounts", "tenants", "integrity", "jobs", "disclosure")
ERRORS = "errors { code message messageEn field }"
SUBMIT = f"""mutation($input: SubmitEvaluationInput!) {{ submitEvaluation(input: $input) {{
  replayed evaluation {{ id }} {ERRORS} }} }}"""
CJK = re.compile(r"[\u4e00-\u9fff]")


def snapshot() -> dict:
    result = {}
    for schema in ("public", "alpha", "beta"):
        labels = PUBLIC_LABELS if schema == "public" else TENANT_LABELS
        with schema_context(schema):
            for label in labels:
                for model in apps.get_app_config(label).get_models(include_auto_created=True):
                    rows = list(model._default_manager.order_by("pk").values())
                    for row in rows:
                        row.pop("last_used_at", None)  # a token's own host marks it used; not a change of data
                    result[(schema, model._meta.label)] = rows
    connection.set_schema_to_public()
    return result


def window(slug: str) -> Window:
    with schema_context(slug):
        return Window.objects.select_related("org").get(org__code="H01", code="W01")


def device_secret(slug: str, serial: str = "DEV100") -> str:
    with schema_context(slug):
        secret = orgs.register_device(window_id=window(slug).pk, serial=serial, name="测试评价器").issued.secret
    connection.set_schema_to_public()
    return secret


def make_case(slug: str, number: str) -> ServiceCase:
    now = timezone.now()
    with schema_context(slug):
        case, _ = upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL",
                                        applicant_name="王小明", accepted_at=now - timedelta(hours=2),
                                        status="COMPLETED", applicant_phone="13800138000",
                                        completed_at=now - timedelta(hours=1), window="H01/W01"))
    connection.set_schema_to_public()
    return case


def submit(client, **values) -> dict:
    return client(SUBMIT, {"input": values})["data"]["submitEvaluation"]


def assert_refused_on_beta(gql, values: dict, code: str, field: str | None, *, beta_client=None) -> None:
    before = snapshot()
    result = submit(beta_client or gql("beta"), **values)
    assert result["evaluation"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)], result
    assert CJK.search(result["errors"][0]["message"]) and result["errors"][0]["messageEn"]
    assert snapshot() == before, "a refused credential changed something"


def assert_accepted(client, values: dict) -> str:
    result = submit(client, **values)
    assert result["errors"] == [] and result["evaluation"], result
    return result["evaluation"]["id"]


def assert_token_refused_on_beta(gql, secret: str, values: dict) -> None:
    before = snapshot()
    response = gql("beta", token=secret).post(SUBMIT, {"input": values})
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert snapshot() == before


def test_system_token_of_alpha_is_refused_on_beta(gql, system_token):
    make_case("alpha", "ISO-SYS-1")
    make_case("beta", "ISO-SYS-1")  # the same case number exists on beta too
    secret = system_token("alpha", ["evaluations:write"])
    values = {"grade": 1, "channel": "MOBILE_APP", "caseNumber": "ISO-SYS-1"}
    assert_token_refused_on_beta(gql, secret, values)
    evaluation_id = assert_accepted(gql("alpha", token=secret), values)
    assert evaluation_id and _count("beta") == 0


def test_device_token_of_alpha_is_refused_on_beta(gql):
    secret = device_secret("alpha")
    device_secret("beta")  # beta has a device with the same serial and primary key
    assert_token_refused_on_beta(gql, secret, {"grade": 5, "channel": "WINDOW_DEVICE"})
    assert_accepted(gql("alpha", token=secret), {"grade": 5, "channel": "WINDOW_DEVICE"})
    assert _count("beta") == 0


def test_window_qr_token_of_alpha_is_refused_on_beta(gql):
    with schema_context("alpha"):
        token = window_qr_token(window("alpha"))
    connection.set_schema_to_public()
    values = {"grade": 4, "channel": "QR_CODE", "windowToken": token}
    assert_refused_on_beta(gql, values, "INVALID_TOKEN", "windowToken")
    # The rating page on beta refuses it too.
    form = gql("beta")(f"query($t: String) {{ ratingForm(windowToken: $t) {{ form {{ windowName }} {ERRORS} }} }}",
                       {"t": token})["data"]["ratingForm"]
    assert form["form"] is None and form["errors"][0]["code"] == "INVALID_TOKEN"
    assert_accepted(gql("alpha"), values)


def test_qr_case_link_of_alpha_is_refused_with_betas_window(gql):
    """A case number and phone digits of alpha's case, on beta's own QR page, find no case on beta."""
    make_case("alpha", "ISO-QR-1")
    with schema_context("beta"):
        token = window_qr_token(window("beta"))
    connection.set_schema_to_public()
    assert_refused_on_beta(gql, {"grade": 4, "channel": "QR_CODE", "windowToken": token, "caseNumber": "ISO-QR-1",
                                 "phoneLast4": "8000"}, "UNKNOWN_CASE", "caseNumber")


def test_invitation_token_of_alpha_is_refused_on_beta(gql):
    case = make_case("alpha", "ISO-INV-1")
    make_case("beta", "ISO-INV-1")  # beta holds an invitation with the same primary key
    with schema_context("alpha"):
        url = invitation_url(Invitation.objects.get(case=case, channel="SMS"))
    connection.set_schema_to_public()
    token = url.rstrip("/").rsplit("/", 1)[1]
    values = {"grade": 2, "channel": "SMS", "invitationToken": token}
    assert_refused_on_beta(gql, values, "INVALID_TOKEN", "invitationToken")
    form = gql("beta")(f"query($t: String) {{ ratingForm(invitationToken: $t) {{ form {{ caseNumber }} {ERRORS} }} }}",
                       {"t": token})["data"]["ratingForm"]
    assert form["form"] is None and form["errors"][0]["code"] == "INVALID_TOKEN"
    assert_accepted(gql("alpha"), values)
    with schema_context("beta"):
        assert Invitation.objects.get(case__case_number="ISO-INV-1", channel="SMS").state == "PENDING"


def test_prompt_id_of_alpha_is_refused_on_beta(gql):
    alpha_secret, beta_secret = device_secret("alpha"), device_secret("beta")
    case = make_case("alpha", "ISO-PR-1")
    with schema_context("alpha"):
        from haochaping.organizations.models import RatingDevice

        prompt = DevicePrompt.objects.create(device=RatingDevice.objects.get(serial="DEV100"), case=case,
                                             expires_at=timezone.now() + timedelta(minutes=5))
    connection.set_schema_to_public()
    values = {"grade": 4, "channel": "WINDOW_DEVICE", "promptId": prompt.pk}
    assert_refused_on_beta(gql, values, "PROMPT_NOT_PENDING", "promptId", beta_client=gql("beta", token=beta_secret))
    assert gql("beta", token=beta_secret)("{ devicePrompt { id } }")["data"]["devicePrompt"] is None
    assert_accepted(gql("alpha", token=alpha_secret), values)


def test_paper_serial_of_alpha_is_refused_on_beta(gql):
    with schema_context("alpha"):
        form = PaperForm.objects.create(serial="PF-ISO-0001", org=window("alpha").org)
    connection.set_schema_to_public()
    values = {"grade": 3, "channel": "PAPER_FORM", "paperSerial": form.serial}
    with schema_context("beta"):
        beta_window = global_id("Window", window("beta").pk)  # beta's own window: only the serial is foreign
    with schema_context("alpha"):
        alpha_window = global_id("Window", window("alpha").pk)
    connection.set_schema_to_public()
    assert_refused_on_beta(gql, dict(values, windowId=beta_window), "UNKNOWN_PAPER_FORM", "paperSerial",
                           beta_client=gql("beta", "tenant_admin"))
    assert_accepted(gql("alpha", "tenant_admin"), dict(values, windowId=alpha_window))


def test_phone_verification_of_alpha_is_refused_on_beta(gql):
    phone = "13800138000"
    alpha = gql("alpha")
    alpha(f'mutation {{ requestPhoneCode(phone: "{phone}") {{ sent {ERRORS} }} }}')
    with schema_context("alpha"):
        code = re.search(r"\d{6}", Notification.objects.get(recipient=phone, purpose="phone_code").body).group(0)
    connection.set_schema_to_public()
    verify = f'mutation($c: String!) {{ verifyPhoneCode(phone: "{phone}", code: $c) {{ verificationToken {ERRORS} }} }}'

    before = snapshot()
    on_beta = gql("beta")(verify, {"c": code})["data"]["verifyPhoneCode"]
    assert on_beta["verificationToken"] is None and on_beta["errors"][0]["code"] == "INVALID_CODE"
    assert snapshot() == before

    token = alpha(verify, {"c": code})["data"]["verifyPhoneCode"]["verificationToken"]
    assert token
    with schema_context("beta"):
        beta_qr = window_qr_token(window("beta"))
    connection.set_schema_to_public()
    assert_refused_on_beta(gql, {"grade": 4, "channel": "QR_CODE", "windowToken": beta_qr,
                                 "phoneVerificationToken": token}, "INVALID_TOKEN", "phoneVerificationToken")


def _count(slug: str) -> int:
    from haochaping.evaluations.models import Evaluation

    with schema_context(slug):
        count = Evaluation.objects.count()
    connection.set_schema_to_public()
    return count


@pytest.mark.parametrize("slug", ["alpha", "beta"])
def test_rating_form_names_only_the_hosts_tenant(gql, slug):
    form = gql(slug)(f"{{ ratingForm {{ form {{ tenantName }} {ERRORS} }} }}")["data"]["ratingForm"]
    assert form == {"form": {"tenantName": {"alpha": "甲镇", "beta": "乙镇"}[slug]}, "errors": []}
