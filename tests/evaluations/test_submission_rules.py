"""The submission rules of `submitEvaluation` (DESIGN.md §4), over GraphQL on a tenant host.

Every refusal is a typed error with a Chinese `message` and an English `messageEn`, and stores nothing (the
evaluation, rectification and notification tables of both tenants and the public integrity and job tables
are compared before and after). Every accepted channel stores the rating with the right targets."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.evaluations import grades
from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.evaluations.models import DevicePrompt, Evaluation, Invitation, PaperForm, PhoneVerification, ServiceCase
from haochaping.evaluations.invitations import invitation_url
from haochaping.evaluations.submission import window_qr_token
from haochaping.integrity.models import SuspicionFlag
from haochaping.items.models import ServiceItem
from haochaping.notifications.models import Notification
from haochaping.organizations import services as orgs
from haochaping.organizations.models import RatingDevice, Staff, Window
from haochaping.rectification.models import Rectification

CJK = re.compile(r"[\u4e00-\u9fff]")
ERRORS = "errors { code message messageEn field }"
SUBMIT = f"""mutation($input: SubmitEvaluationInput!) {{ submitEvaluation(input: $input) {{
  replayed evaluation {{ id grade round channel isBad isRealName receiptCode rectification {{ state ownerUnit {{ slug }} }} }}
  {ERRORS} }} }}"""
PHONE = "13800138000"
TENANT_LABELS = ("evaluations", "rectification", "notifications")
PUBLIC_LABELS = ("integrity", "jobs", "disclosure")


# --------------------------------------------------------------------------------------------- helpers


def snapshot() -> dict:
    """Every row the rating flow can write: both tenants' rating tables, the public flags and jobs."""
    result = {}
    for schema, labels in (("alpha", TENANT_LABELS), ("beta", TENANT_LABELS), ("public", PUBLIC_LABELS)):
        with schema_context(schema):
            for label in labels:
                for model in apps.get_app_config(label).get_models():
                    result[(schema, model._meta.label)] = list(model._default_manager.order_by("pk").values())
    connection.set_schema_to_public()
    return result


def submit(client, **values) -> dict:
    return client(SUBMIT, {"input": values})["data"]["submitEvaluation"]


def assert_refused(result: dict, code: str, field: str | None = "__any__") -> None:
    assert result["evaluation"] is None, result
    assert result["replayed"] is False
    assert [e["code"] for e in result["errors"]] == [code], result["errors"]
    error = result["errors"][0]
    assert CJK.search(error["message"]), error
    assert re.search(r"[A-Za-z]{3}", error["messageEn"]) and not CJK.search(error["messageEn"]), error
    if field != "__any__":
        assert error["field"] == field, error


FLAGS = ("public", "integrity.SuspicionFlag")


def refused(client, code: str, field: str | None = "__any__", *, new_flags: tuple[str, ...] = (), **values) -> dict:
    """Submit, expect exactly this typed error, and check that nothing was stored anywhere but the
    suspicion flags named (a refused flood is flagged for the county agency, not silently dropped)."""
    before = snapshot()
    result = submit(client, **values)
    assert_refused(result, code, field)
    after = snapshot()
    added = [row["kind"] for row in after.pop(FLAGS)[len(before[FLAGS]):]]
    before.pop(FLAGS)
    assert after == before, "a refused submission stored something"
    assert tuple(added) == new_flags
    return result


def accepted(client, **values) -> Evaluation:
    result = submit(client, **values)
    assert result["errors"] == [] and result["evaluation"] is not None, result
    return stored(result)


def stored(result: dict) -> Evaluation:
    from base64 import b64decode

    type_name, schema, pk = b64decode(result["evaluation"]["id"]).decode().split(":")
    assert type_name == "Evaluation"
    with schema_context(schema):
        evaluation = Evaluation.objects.select_related(
            "case", "window", "staff", "item__catalog_item", "device", "entered_by", "questionnaire").get(pk=int(pk))
    connection.set_schema_to_public()
    return evaluation


def make_case(number: str, *, slug: str = "alpha", completed_ago: timedelta | None = timedelta(hours=1),
              phone: str = PHONE, email: str = "", item: str = "TEST-001", handling_unit: str | None = None,
              window: str | None = "H01/W01", staff_no: str | None = "E001", promised_at=None) -> ServiceCase:
    now = timezone.now()
    completed_at = now - completed_ago if completed_ago is not None else None
    with schema_context(slug):
        case, _ = upsert_case(CaseInput(
            case_number=number, item_code=item, applicant_kind="INDIVIDUAL", applicant_name="王小明",
            accepted_at=(completed_at or now) - timedelta(hours=3), status="COMPLETED" if completed_at else "ACCEPTED",
            applicant_phone=phone, applicant_email=email, handling_unit=handling_unit, window=window,
            staff_no=staff_no, promised_at=promised_at, completed_at=completed_at))
    connection.set_schema_to_public()
    return case


def window_pk(slug: str = "alpha") -> int:
    with schema_context(slug):
        return Window.objects.get(org__code="H01", code="W01").pk


def qr_token(slug: str = "alpha") -> str:
    with schema_context(slug):
        token = window_qr_token(Window.objects.get(org__code="H01", code="W01"))
    connection.set_schema_to_public()
    return token


def new_device(slug: str = "alpha", serial: str = "DEV100") -> tuple[str, RatingDevice]:
    """A device paired to W01 with a token we hold (DEV001's secret is not kept by the fixtures)."""
    with schema_context(slug):
        paired = orgs.register_device(window_id=window_pk(slug), serial=serial, name="测试评价器")
    connection.set_schema_to_public()
    return paired.issued.secret, paired.device


def gid(type_name: str, pk: int, schema: str = "alpha") -> str:
    from base64 import b64encode

    return b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def item_pk(code: str, slug: str = "alpha") -> int:
    with schema_context(slug):
        return ServiceItem.objects.get(catalog_item__code=code).pk


def invitation_token(case_number: str, channel: str = "SMS", slug: str = "alpha") -> str:
    with schema_context(slug):
        invitation = Invitation.objects.get(case__case_number=case_number, channel=channel)
        url = invitation_url(invitation)
    connection.set_schema_to_public()
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def system(gql, system_token):
    return gql("alpha", token=system_token("alpha", ["cases:write", "evaluations:write"]))


@pytest.fixture
def anonymous(gql):
    return gql("alpha")


@pytest.fixture
def qr(anonymous):
    """Anonymous rater on alpha's window QR page."""
    token = qr_token()
    return lambda **values: dict({"channel": "QR_CODE", "windowToken": token}, **values)


# --------------------------------------------------------------------------------------------- typed errors


@pytest.mark.parametrize("grade", [0, 6, -1, 100])
def test_invalid_grade(anonymous, qr, grade):
    refused(anonymous, "INVALID_GRADE", "grade", **qr(grade=grade))


def test_unknown_case(system, anonymous, qr):
    refused(system, "UNKNOWN_CASE", "caseNumber", grade=4, channel="MOBILE_APP", caseNumber="NOPE-0001")
    refused(anonymous, "UNKNOWN_CASE", "caseNumber", **qr(grade=4, caseNumber="NOPE-0001", phoneLast4="8000"))


def test_already_rated_on_another_channel(system, anonymous, qr):
    make_case("CASE-AR-1")
    sms = invitation_token("CASE-AR-1")
    first = accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-AR-1")
    assert first.channel == "MOBILE_APP" and first.round == 1
    # The same case and round on the QR page, by the SMS invitation and again by the business system.
    refused(anonymous, "ALREADY_RATED", "caseNumber", **qr(grade=2, caseNumber="CASE-AR-1", phoneLast4="8000"))
    refused(anonymous, "ALREADY_RATED", "invitationToken", grade=2, channel="SMS", invitationToken=sms)
    refused(system, "ALREADY_RATED", "caseNumber", grade=1, channel="WEB", caseNumber="CASE-AR-1", idempotencyKey="other")
    with schema_context("alpha"):
        assert Evaluation.objects.filter(case__case_number="CASE-AR-1").count() == 1
        # Rating on one channel withdrew the case's other invitations.
        assert set(Invitation.objects.filter(case__case_number="CASE-AR-1").values_list("state", flat=True)) == {
            Invitation.State.WITHDRAWN}


def test_rating_period_is_over_after_the_supplementary_days(system):
    make_case("CASE-LATE-16", completed_ago=timedelta(days=16))
    refused(system, "RATING_PERIOD_OVER", "caseNumber", grade=4, channel="MOBILE_APP", caseNumber="CASE-LATE-16")

    make_case("CASE-LATE-14", completed_ago=timedelta(days=14))
    late = accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-LATE-14")
    assert late.is_supplementary is True

    make_case("CASE-NOW", completed_ago=timedelta(seconds=5))
    assert accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-NOW").is_supplementary is False


def test_rating_period_follows_the_tenant_policy(gql, system):
    make_case("CASE-LATE-16B", completed_ago=timedelta(days=16))
    body = gql("alpha", "tenant_admin")(
        f"mutation {{ updateEvaluationPolicy(input: {{supplementaryDays: 20}}) {{ policy {{ supplementaryDays }} {ERRORS} }} }}")
    assert body["data"]["updateEvaluationPolicy"] == {"policy": {"supplementaryDays": 20}, "errors": []}
    assert accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-LATE-16B").is_supplementary is True


def test_channel_not_allowed_for_the_caller(gql, anonymous):
    with schema_context("alpha"):
        form = PaperForm.objects.create(serial="PF-NA-0001", org=Window.objects.get(pk=window_pk()).org)
    connection.set_schema_to_public()
    w = gid("Window", window_pk())
    refused(anonymous, "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="HOTLINE", windowId=w)
    refused(anonymous, "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="MOBILE_APP", windowId=w)
    refused(anonymous, "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="PAPER_FORM", paperSerial=form.serial)
    refused(gql("alpha", "viewer"), "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="PAPER_FORM",
            paperSerial=form.serial)
    refused(gql("alpha", "staff"), "CHANNEL_NOT_ALLOWED", "channel", grade=5, channel="HOTLINE", windowId=w)
    # A device token rates on its own channel only.
    secret, _ = new_device()
    refused(gql("alpha", token=secret), "CHANNEL_NOT_ALLOWED", "channel", grade=5, channel="MOBILE_APP", windowId=w)
    # Positive controls: a handler enters the paper form; a hotline agent enters a call.
    paper = accepted(gql("alpha", "handler"), grade=3, channel="PAPER_FORM", paperSerial=form.serial, windowId=w)
    assert paper.channel == "PAPER_FORM" and paper.paper_form_id == form.pk and paper.entered_by.username == "handler"
    call = accepted(gql("alpha", "handler"), grade=4, channel="HOTLINE", windowId=w)
    assert call.channel == "HOTLINE" and call.real_name_basis == "NONE"


def test_channel_not_allowed_by_the_items_guide(gql, system, anonymous, qr):
    """The guide's latest version names the item's evaluation channels (publishServiceGuide)."""
    guide = {"handlingUnit": "便民服务中心", "caseKind": "IMMEDIATE", "statutoryLimitDays": 0, "promisedLimitDays": 0,
             "channels": ["WINDOW"], "evaluationChannels": ["WINDOW_DEVICE", "QR_CODE"]}
    body = gql("alpha", "tenant_admin")(
        "mutation($item: ID!, $g: ServiceGuideInput!) { publishServiceGuide(itemId: $item, guide: $g) "
        f"{{ guide {{ version evaluationChannels }} {ERRORS} }} }}",
        {"item": gid("ServiceItem", item_pk("TEST-002")), "g": guide})["data"]["publishServiceGuide"]
    assert body["errors"] == [] and body["guide"]["version"] == 2
    make_case("CASE-CH-1", item="TEST-002")
    refused(system, "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="MOBILE_APP", caseNumber="CASE-CH-1")
    refused(system, "CHANNEL_NOT_ALLOWED", "channel", grade=4, channel="WEB", itemId=gid("ServiceItem", item_pk("TEST-002")))
    # Positive controls: an allowed channel for the same case; the other item keeps all its channels.
    assert accepted(anonymous, **qr(grade=4, caseNumber="CASE-CH-1", phoneLast4="8000")).case.case_number == "CASE-CH-1"
    assert accepted(system, grade=4, channel="WEB", itemId=gid("ServiceItem", item_pk("TEST-001"))).channel == "WEB"


def test_too_many_device_presses_within_the_interval(gql):
    secret, device = new_device()
    client = gql("alpha", token=secret)
    first = accepted(client, grade=4, channel="WINDOW_DEVICE", idempotencyKey="press-1")
    assert first.device_id == device.pk
    refused(client, "TOO_MANY_ATTEMPTS", None, grade=5, channel="WINDOW_DEVICE", idempotencyKey="press-2")


def test_too_many_ratings_from_one_ip_on_the_qr_page(anonymous, qr):
    for n in range(20):  # the default ip_max_per_hour; grades vary so no all-5 streak is flagged
        accepted(anonymous, **qr(grade=3 + n % 2))
    refused(anonymous, "TOO_MANY_ATTEMPTS", None, new_flags=("RATE_LIMITED",), **qr(grade=4))
    refused(anonymous, "TOO_MANY_ATTEMPTS", None, **qr(grade=4))  # flagged once per hour, not per attempt


def test_too_many_ratings_from_one_phone_a_day(system):
    item = gid("ServiceItem", item_pk("TEST-001"))
    for n in range(10):  # the default phone_max_per_day
        accepted(system, grade=4, channel="MOBILE_APP", itemId=item, raterPhone=PHONE, idempotencyKey=f"p-{n}")
    refused(system, "TOO_MANY_ATTEMPTS", None, grade=4, channel="MOBILE_APP", itemId=item, raterPhone=PHONE,
            idempotencyKey="p-10", new_flags=("RATE_LIMITED",))
    # Another phone is not limited by it.
    accepted(system, grade=4, channel="MOBILE_APP", itemId=item, raterPhone="13900139000", idempotencyKey="p-x")


def test_follow_up_needs_a_rectification(system):
    make_case("CASE-FU-GOOD")
    accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-FU-GOOD")
    refused(system, "FOLLOW_UP_NOT_ALLOWED", "round", grade=3, channel="MOBILE_APP", caseNumber="CASE-FU-GOOD", round=2)
    refused(system, "FOLLOW_UP_NOT_ALLOWED", "round", grade=3, channel="MOBILE_APP", round=2,
            itemId=gid("ServiceItem", item_pk("TEST-001")))
    refused(system, "INVALID_ROUND", "round", grade=3, channel="MOBILE_APP", caseNumber="CASE-FU-GOOD", round=3)

    make_case("CASE-FU-BAD")
    bad = accepted(system, grade=1, channel="MOBILE_APP", caseNumber="CASE-FU-BAD")
    assert bad.is_bad
    follow_up = accepted(system, grade=4, channel="MOBILE_APP", caseNumber="CASE-FU-BAD", round=2)
    assert follow_up.round == 2 and follow_up.case_id == bad.case_id
    refused(system, "ALREADY_RATED", "caseNumber", grade=5, channel="WEB", caseNumber="CASE-FU-BAD", round=2)


@pytest.mark.parametrize("answers, what", [
    ({"no_such_question": "是"}, "unknown key"),
    ({"guidance_clear": "也许"}, "option not in the list"),
    ({"guidance_clear": "是", "suggestions": "建" * 501}, "text too long"),
])
def test_invalid_answer(anonymous, qr, answers, what):
    refused(anonymous, "INVALID_ANSWER", "answers", **qr(grade=4, answers=answers))


def test_valid_answers_are_stored(anonymous, qr):
    evaluation = accepted(anonymous, **qr(grade=4, answers={"guidance_clear": "是", "suggestions": " 多设座椅 "}))
    assert evaluation.answers == {"guidance_clear": "是", "suggestions": "多设座椅"}
    assert evaluation.questionnaire.version == 1


def test_invalid_token(anonymous):
    refused(anonymous, "INVALID_TOKEN", "windowToken", grade=4, channel="QR_CODE", windowToken=qr_token("beta"))
    refused(anonymous, "INVALID_TOKEN", "windowToken", grade=4, channel="QR_CODE", windowToken="garbage")
    refused(anonymous, "INVALID_TOKEN", "windowToken", grade=4, channel="QR_CODE")
    refused(anonymous, "INVALID_TOKEN", "invitationToken", grade=4, channel="WEB", invitationToken="garbage.x:y")
    # A QR token for a window that was closed since the poster was printed.
    token = qr_token()
    with schema_context("alpha"):
        Window.objects.filter(pk=window_pk()).update(is_active=False)
    connection.set_schema_to_public()
    refused(anonymous, "INVALID_TOKEN", "windowToken", grade=4, channel="QR_CODE", windowToken=token)


def test_prompt_not_pending(gql, system):
    secret, device = new_device()
    client = gql("alpha", token=secret)
    refused(client, "PROMPT_NOT_PENDING", "promptId", grade=4, channel="WINDOW_DEVICE", promptId=999999)

    make_case("CASE-PR-1")
    with schema_context("alpha"):
        done = DevicePrompt.objects.create(device=device, case=ServiceCase.objects.get(case_number="CASE-PR-1"),
                                           state=DevicePrompt.State.DONE, expires_at=timezone.now() + timedelta(minutes=5))
        stale = DevicePrompt.objects.create(device=device, case=done.case, expires_at=timezone.now() - timedelta(seconds=1))
        other_device = RatingDevice.objects.get(serial="DEV001")
        foreign = DevicePrompt.objects.create(device=other_device, case=done.case,
                                              expires_at=timezone.now() + timedelta(minutes=5))
    connection.set_schema_to_public()
    refused(client, "PROMPT_NOT_PENDING", "promptId", grade=4, channel="WINDOW_DEVICE", promptId=done.pk)
    refused(client, "PROMPT_NOT_PENDING", "promptId", grade=4, channel="WINDOW_DEVICE", promptId=stale.pk)
    # Another device's pending prompt is not this device's to answer.
    refused(client, "PROMPT_NOT_PENDING", "promptId", grade=4, channel="WINDOW_DEVICE", promptId=foreign.pk)


# --------------------------------------------------------------------------------------------- channels store right


def test_device_walk_up_rates_the_window_and_its_only_staff_member(gql):
    secret, device = new_device()
    evaluation = accepted(gql("alpha", token=secret), grade=5, channel="WINDOW_DEVICE")
    assert evaluation.channel == "WINDOW_DEVICE" and evaluation.device_id == device.pk
    assert evaluation.window.code == "W01" and evaluation.staff.employee_no == "E001"
    assert evaluation.case is None and evaluation.item is None and evaluation.real_name_basis == "NONE"


def test_walk_up_with_two_staff_members_rates_the_window_only(gql):
    with schema_context("alpha"):
        window = Window.objects.get(pk=window_pk())
        orgs.save_staff(orgs.StaffInput(employee_no="E002", name="第二员工", org_id=window.org_id, window_ids=[window.pk]))
    connection.set_schema_to_public()
    secret, _ = new_device()
    evaluation = accepted(gql("alpha", token=secret), grade=4, channel="WINDOW_DEVICE")
    assert evaluation.window.code == "W01" and evaluation.staff is None


@pytest.fixture
def clerk(alpha):
    """A STAFF login linked to E001 at W01, and W01's one usable device (DEV001's secret is not kept)."""
    with schema_context("alpha"):
        user = User.objects.get(username="staff")
        Staff.objects.filter(employee_no="E001").update(user=user)
        RatingDevice.objects.filter(serial="DEV001").update(is_active=False)
    connection.set_schema_to_public()
    return new_device()


def test_device_prompt_from_request_rating_ties_the_press_to_the_case(gql, clerk):
    secret, device = clerk
    make_case("CASE-DP-1")
    clerk_client = gql("alpha", "staff")
    body = clerk_client(f'mutation {{ requestRating(caseNumber: "CASE-DP-1") {{ promptId {ERRORS} }} }}')
    result = body["data"]["requestRating"]
    assert result["errors"] == [] and result["promptId"]
    prompt_id = result["promptId"]

    device_client = gql("alpha", token=secret)
    shown = device_client("{ devicePrompt { id itemName } }")["data"]["devicePrompt"]
    assert shown == {"id": prompt_id, "itemName": "测试事项1"}
    state = f"{{ ratingRequestState(promptId: {prompt_id}) }}"
    assert clerk_client(state)["data"]["ratingRequestState"] == "PENDING"

    evaluation = accepted(device_client, grade=2, channel="WINDOW_DEVICE", promptId=prompt_id)
    assert evaluation.case.case_number == "CASE-DP-1" and evaluation.real_name_basis == "APPLICANT"
    assert evaluation.window.code == "W01" and evaluation.staff.employee_no == "E001"
    assert evaluation.item.catalog_item.code == "TEST-001" and evaluation.device_id == device.pk
    # The clerk learns that the rater is done, never the grade.
    assert clerk_client(state)["data"]["ratingRequestState"] == "DONE"
    assert device_client("{ devicePrompt { id } }")["data"]["devicePrompt"] is None
    # The prompt is used up.
    refused(device_client, "PROMPT_NOT_PENDING", "promptId", grade=5, channel="WINDOW_DEVICE", promptId=prompt_id)


def test_qr_with_case_number_and_phone_digits_links_the_case(anonymous, qr):
    make_case("CASE-QR-1")
    refused(anonymous, "UNKNOWN_CASE", "caseNumber", **qr(grade=4, caseNumber="CASE-QR-1", phoneLast4="0000"))
    refused(anonymous, "UNKNOWN_CASE", "caseNumber", **qr(grade=4, caseNumber="CASE-QR-1"))
    evaluation = accepted(anonymous, **qr(grade=4, caseNumber="CASE-QR-1", phoneLast4="8000"))
    assert evaluation.channel == "QR_CODE" and evaluation.case.case_number == "CASE-QR-1"
    assert evaluation.real_name_basis == "APPLICANT" and evaluation.window.code == "W01"
    assert evaluation.item.catalog_item.code == "TEST-001" and evaluation.client_key and "127.0.0.1" not in evaluation.client_key


def test_qr_without_a_case_is_an_anonymous_window_rating(anonymous, qr):
    evaluation = accepted(anonymous, **qr(grade=3))
    assert evaluation.case is None and evaluation.window.code == "W01" and evaluation.staff.employee_no == "E001"
    assert evaluation.real_name_basis == "NONE"


@pytest.mark.parametrize("channel", ["SMS", "EMAIL"])
def test_invitation_link_rates_its_case_once(anonymous, channel):
    make_case(f"CASE-INV-{channel}", email="wang@example.cn")
    token = invitation_token(f"CASE-INV-{channel}", channel)
    submitted_channel = "SMS" if channel == "SMS" else "WEB"
    evaluation = accepted(anonymous, grade=5, channel=submitted_channel, invitationToken=token)
    assert evaluation.channel == submitted_channel and evaluation.case.case_number == f"CASE-INV-{channel}"
    assert evaluation.real_name_basis == "APPLICANT"
    with schema_context("alpha"):
        states = dict(Invitation.objects.filter(case=evaluation.case).values_list("channel", "state"))
    assert states == {channel: "USED", ({"SMS", "EMAIL"} - {channel}).pop(): "WITHDRAWN"}
    refused(anonymous, "ALREADY_RATED", "invitationToken", grade=1, channel=submitted_channel, invitationToken=token)


@pytest.mark.parametrize("channel", ["MOBILE_APP", "SELF_SERVICE", "WEB"])
def test_system_channels_rate_the_case_as_its_applicant(system, channel):
    make_case(f"CASE-SYS-{channel}")
    evaluation = accepted(system, grade=4, channel=channel, caseNumber=f"CASE-SYS-{channel}")
    assert evaluation.channel == channel and evaluation.real_name_basis == "APPLICANT"
    assert evaluation.window.code == "W01" and evaluation.staff.employee_no == "E001" and evaluation.entered_by is None


def test_system_channel_without_a_case_rates_a_platform(system):
    with schema_context("alpha"):
        from haochaping.organizations.models import ServicePlatform

        platform = ServicePlatform.objects.get(code="P01")
    connection.set_schema_to_public()
    evaluation = accepted(system, grade=4, channel="MOBILE_APP", platformId=gid("ServicePlatform", platform.pk))
    assert evaluation.platform_id == platform.pk and evaluation.case is None and evaluation.real_name_basis == "NONE"
    refused(system, "NO_TARGET", "caseNumber", grade=4, channel="MOBILE_APP")


def test_hotline_by_system_is_not_real_name(system):
    make_case("CASE-HL-1")
    evaluation = accepted(system, grade=4, channel="HOTLINE", caseNumber="CASE-HL-1")
    assert evaluation.channel == "HOTLINE" and evaluation.real_name_basis == "NONE"


def test_no_default_ratings(system):
    """默认好评 is forbidden: a completed case nobody rated stays unrated, however old."""
    make_case("CASE-NR-1", completed_ago=timedelta(days=30))
    make_case("CASE-NR-2", completed_ago=timedelta(minutes=1))
    with schema_context("alpha"):
        for number in ("CASE-NR-1", "CASE-NR-2"):
            case = ServiceCase.objects.get(case_number=number)
            assert case.evaluations.count() == 0
        assert Evaluation.objects.count() == 0


def test_bad_review_opens_one_rectification_owned_by_the_handling_unit(system):
    make_case("CASE-BAD-1")
    result = submit(system, grade=2, channel="MOBILE_APP", caseNumber="CASE-BAD-1", comment="态度差")
    assert result["errors"] == []
    assert result["evaluation"]["isBad"] is True
    assert result["evaluation"]["rectification"] == {"state": "OPEN", "ownerUnit": {"slug": "alpha"}}
    with schema_context("alpha"):
        rectifications = list(Rectification.objects.filter(case_number="CASE-BAD-1"))
        assert len(rectifications) == 1 and rectifications[0].evaluation.grade == 2
        assert rectifications[0].owner_unit.schema_name == "alpha"
        assert rectifications[0].rating_unit.schema_name == "alpha"
        assert rectifications[0].evaluation.case.case_number == "CASE-BAD-1"


def test_bad_review_of_another_units_case_is_owned_by_that_unit(system):
    """The county centre's one-stop window (综合窗口) accepted it on alpha; beta handled it: beta owns the fix."""
    make_case("CASE-BAD-BETA", handling_unit="beta")
    result = submit(system, grade=1, channel="MOBILE_APP", caseNumber="CASE-BAD-BETA")
    assert result["evaluation"]["rectification"] == {"state": "OPEN", "ownerUnit": {"slug": "beta"}}
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get(case__case_number="CASE-BAD-BETA")
        assert evaluation.case.accepting_unit.schema_name == "alpha"
        # Handed off: nothing of it in the rating unit's own rectification table.
        assert not Rectification.objects.filter(case_number="CASE-BAD-BETA").exists()
    with schema_context("beta"):
        # It lives in the owner's schema, carrying the rater's data and pointing back at the rating.
        rectification = Rectification.objects.get(case_number="CASE-BAD-BETA")
        assert rectification.owner_unit.schema_name == "beta"
        assert rectification.rating_unit.schema_name == "alpha"
        assert rectification.source_evaluation_id == evaluation.pk and rectification.evaluation_id is None
        assert rectification.grade == 1 and rectification.state == "OPEN"
        assert list(rectification.events.values_list("action", flat=True)) == ["HANDED_OFF"]


def test_bad_walk_up_rating_without_a_case_is_owned_by_the_host(gql):
    secret, _ = new_device()
    evaluation = accepted(gql("alpha", token=secret), grade=1, channel="WINDOW_DEVICE")
    with schema_context("alpha"):
        rectification = Rectification.objects.get(evaluation=evaluation)
        assert rectification.owner_unit.schema_name == "alpha"


@pytest.mark.parametrize("grade", [3, 4, 5])
def test_good_review_opens_no_rectification(system, grade):
    make_case(f"CASE-GOOD-{grade}")
    result = submit(system, grade=grade, channel="MOBILE_APP", caseNumber=f"CASE-GOOD-{grade}")
    assert result["evaluation"]["isBad"] is False and result["evaluation"]["rectification"] is None
    with schema_context("alpha"):
        assert Rectification.objects.count() == 0


# --------------------------------------------------------------------------------------------- replay and streaks


def test_device_offline_replay(gql):
    secret, device = new_device()
    client = gql("alpha", token=secret)
    start = timezone.now() - timedelta(minutes=30)
    presses = [(f"offline-{n}", start + timedelta(seconds=10 * n), grade) for n, grade in enumerate([5, 4, 3, 5, 2])]
    ids = []
    for key, rated_at, grade in presses:  # replayed back to back: the press times are what count
        result = submit(client, grade=grade, channel="WINDOW_DEVICE", idempotencyKey=key, ratedAt=rated_at.isoformat())
        assert result["errors"] == [] and result["replayed"] is False
        ids.append(result["evaluation"]["id"])
    with schema_context("alpha"):
        rows = list(Evaluation.objects.filter(device=device).order_by("rated_at"))
        assert [(e.grade, e.rated_at) for e in rows] == [(g, t) for _, t, g in presses]
        assert Rectification.objects.filter(evaluation__device=device).count() == 1
    connection.set_schema_to_public()

    before = snapshot()
    again = submit(client, grade=5, channel="WINDOW_DEVICE", idempotencyKey="offline-2", ratedAt=presses[2][1].isoformat())
    assert again["replayed"] is True and again["errors"] == [] and again["evaluation"]["id"] == ids[2]
    assert again["evaluation"]["grade"] == 3  # the first result, not the retry's content
    assert snapshot() == before
    # A queued press closer than the interval to another is refused, even offline.
    refused(client, "TOO_MANY_ATTEMPTS", None, grade=5, channel="WINDOW_DEVICE", idempotencyKey="offline-x",
            ratedAt=(presses[-1][1] + timedelta(seconds=3)).isoformat())
    refused(client, "INVALID_TIME", "ratedAt", grade=5, channel="WINDOW_DEVICE", idempotencyKey="offline-y",
            ratedAt=(timezone.now() - timedelta(days=4)).isoformat())


def test_offline_presses_replayed_after_a_live_press_keep_the_interval(gql):
    """The interval holds between any two presses of a device, not only against its latest one."""
    secret, _ = new_device()
    client = gql("alpha", token=secret)
    accepted(client, grade=4, channel="WINDOW_DEVICE", idempotencyKey="live")
    queued = timezone.now() - timedelta(minutes=20)
    accepted(client, grade=4, channel="WINDOW_DEVICE", idempotencyKey="q-1", ratedAt=queued.isoformat())
    refused(client, "TOO_MANY_ATTEMPTS", None, grade=5, channel="WINDOW_DEVICE", idempotencyKey="q-2",
            ratedAt=(queued + timedelta(seconds=3)).isoformat())
    refused(client, "TOO_MANY_ATTEMPTS", None, grade=5, channel="WINDOW_DEVICE", idempotencyKey="q-0",
            ratedAt=(queued - timedelta(seconds=3)).isoformat())
    accepted(client, grade=5, channel="WINDOW_DEVICE", idempotencyKey="q-3", ratedAt=(queued + timedelta(seconds=10)).isoformat())


def test_idempotency_keys_are_per_caller(gql, system, system_token):
    item = gid("ServiceItem", item_pk("TEST-001"))
    first = submit(system, grade=4, channel="MOBILE_APP", itemId=item, idempotencyKey="shared")
    other_system = gql("alpha", token=system_token("alpha", ["evaluations:write"]))
    second = submit(other_system, grade=4, channel="MOBILE_APP", itemId=item, idempotencyKey="shared")
    assert second["replayed"] is False and second["evaluation"]["id"] != first["evaluation"]["id"]


def test_suspicious_all_top_streak_is_flagged_once(alpha, anonymous, qr):
    def flags():
        with schema_context("public"):
            return list(SuspicionFlag.objects.filter(tenant=alpha, kind=SuspicionFlag.Kind.FAST_TOP_STREAK))

    for _ in range(7):
        accepted(anonymous, **qr(grade=5))
    assert flags() == []
    eighth = accepted(anonymous, **qr(grade=5))
    found = flags()
    assert len(found) == 1 and found[0].window_code == "H01/W01"
    assert eighth.pk in found[0].evaluation_ids and len(found[0].evaluation_ids) == 8
    ninth = accepted(anonymous, **qr(grade=5))
    assert len(flags()) == 1, "one streak, one flag"
    # Flagged, never dropped.
    with schema_context("alpha"):
        assert Evaluation.objects.filter(pk=ninth.pk).exists() and Evaluation.objects.count() == 9


def test_a_lower_grade_breaks_the_streak(alpha, anonymous, qr):
    for grade in [5, 5, 5, 5, 4, 5, 5, 5, 5]:
        accepted(anonymous, **qr(grade=grade))
    with schema_context("public"):
        assert not SuspicionFlag.objects.filter(tenant=alpha).exists()


# --------------------------------------------------------------------------------------------- labels and grades


LABELS = "labels { grade label labelEn isBad }"


def test_label_set_changes_the_rating_form(gql):
    admin = gql("alpha", "tenant_admin")
    form = f'query($t: String) {{ ratingForm(windowToken: $t) {{ form {{ windowName {LABELS} }} {ERRORS} }} }}'
    token = qr_token()
    default = gql("alpha")(form, {"t": token})["data"]["ratingForm"]["form"]
    assert [label["label"] for label in default["labels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    body = admin(f"mutation {{ updateEvaluationPolicy(input: {{labelSet: QUALITY}}) {{ policy {{ labelSet }} {ERRORS} }} }}")
    assert body["data"]["updateEvaluationPolicy"] == {"policy": {"labelSet": "QUALITY"}, "errors": []}
    quality = gql("alpha")(form, {"t": token})["data"]["ratingForm"]["form"]
    assert quality["labels"] == [
        {"grade": 5, "label": "很好", "labelEn": "Very good", "isBad": False},
        {"grade": 4, "label": "好", "labelEn": "Good", "isBad": False},
        {"grade": 3, "label": "一般", "labelEn": "Fair", "isBad": False},
        {"grade": 2, "label": "差", "labelEn": "Poor", "isBad": True},
        {"grade": 1, "label": "很差", "labelEn": "Very poor", "isBad": True},
    ]
    assert gql("alpha")("{ evaluationPolicy { labelSet } }")["data"]["evaluationPolicy"] == {"labelSet": "QUALITY"}
    # Beta keeps its own setting.
    assert gql("beta")("{ evaluationPolicy { labelSet } }")["data"]["evaluationPolicy"] == {"labelSet": "SATISFACTION"}


def test_reading_the_policy_stores_nothing(gql):
    before = snapshot()
    body = gql("alpha")("{ evaluationPolicy { labelSet supplementaryDays ipMaxPerHour streakLength } }")
    assert body["data"]["evaluationPolicy"] == {"labelSet": "SATISFACTION", "supplementaryDays": 15,
                                                "ipMaxPerHour": 20, "streakLength": 8}
    gql("alpha")(f"{{ ratingForm {{ form {{ tenantName }} {ERRORS} }} }}")
    assert snapshot() == before


def test_bad_policy_update_changes_nothing(gql):
    before = snapshot()
    body = gql("alpha", "tenant_admin")(
        f"mutation {{ updateEvaluationPolicy(input: {{supplementaryDays: 0, streakLength: 1}}) {{ policy {{ labelSet }} {ERRORS} }} }}")
    result = body["data"]["updateEvaluationPolicy"]
    assert result["policy"] is None
    assert sorted((e["code"], e["field"]) for e in result["errors"]) == [
        ("OUT_OF_RANGE", "streakLength"), ("OUT_OF_RANGE", "supplementaryDays")]
    assert snapshot() == before


@pytest.mark.parametrize("grade", grades.GRADES)
def test_gbt39046_mapping_round_trips(grade):
    code = grades.to_gbt39046(grade)
    assert code in (1, 2, 3, 4, 5)
    assert grades.from_gbt39046(code) == grade


def test_gbt39046_mapping_direction():
    # GB/T 39046 A.8: 1 = 非常满意 … 5 = 非常不满意; inside the system 5 is best.
    assert grades.to_gbt39046(5) == 1 and grades.to_gbt39046(1) == 5 and grades.to_gbt39046(3) == 3
    assert grades.LABELS["SATISFACTION"][grades.from_gbt39046(1)] == "非常满意"
    assert grades.is_bad(grades.from_gbt39046(4)) and not grades.is_bad(grades.from_gbt39046(3))


@pytest.mark.parametrize("code", [0, 6, -1, 100, None, "1", 1.0, True])
def test_gbt39046_mapping_rejects_out_of_range_codes(code):
    with pytest.raises(ValueError):
        grades.from_gbt39046(code)
    with pytest.raises(ValueError):
        grades.to_gbt39046(code)


# --------------------------------------------------------------------------------------------- processing time


UPSERT = f"""mutation($input: ServiceCaseInput!) {{ upsertServiceCase(input: $input) {{
  created case {{ caseNumber isOverdue overdueReason }} {ERRORS} }} }}"""
OVERDUE = f"""mutation($n: String!, $r: String!) {{ recordOverdueReason(caseNumber: $n, reason: $r) {{
  case {{ caseNumber isOverdue overdueReason }} {ERRORS} }} }}"""


def _case_input(number: str, promised: str, completed: str) -> dict:
    return {"caseNumber": number, "itemCode": "TEST-001", "applicantKind": "ENTERPRISE", "applicantName": "某某公司",
            "status": "COMPLETED", "acceptedAt": "2026-11-02T09:00:00+08:00", "promisedAt": promised,
            "completedAt": completed}


def test_case_completed_after_its_promised_time_is_overdue_and_needs_a_reason(gql, system):
    late = system(UPSERT, {"input": _case_input("CASE-OT-LATE", "2026-11-09T17:00:00+08:00",
                                                 "2026-11-10T10:00:00+08:00")})["data"]["upsertServiceCase"]
    assert late["errors"] == [] and late["case"]["isOverdue"] is True
    on_time = system(UPSERT, {"input": _case_input("CASE-OT-OK", "2026-11-09T17:00:00+08:00",
                                                   "2026-11-09T16:00:00+08:00")})["data"]["upsertServiceCase"]
    assert on_time["case"]["isOverdue"] is False

    admin = gql("alpha", "tenant_admin")
    stored_reason = admin(OVERDUE, {"n": "CASE-OT-LATE", "r": " 申请人补正材料延误 "})["data"]["recordOverdueReason"]
    assert stored_reason == {"case": {"caseNumber": "CASE-OT-LATE", "isOverdue": True, "overdueReason": "申请人补正材料延误"},
                             "errors": []}
    with schema_context("alpha"):
        assert ServiceCase.objects.get(case_number="CASE-OT-LATE").overdue_reason_at is not None
    connection.set_schema_to_public()

    before = snapshot()
    result = admin(OVERDUE, {"n": "CASE-OT-OK", "r": "无"})["data"]["recordOverdueReason"]
    assert result["case"] is None and [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_OVERDUE", "caseNumber")]
    assert CJK.search(result["errors"][0]["message"]) and "late" in result["errors"][0]["messageEn"]
    with schema_context("alpha"):
        assert ServiceCase.objects.get(case_number="CASE-OT-OK").overdue_reason == ""
    assert snapshot() == before


# --------------------------------------------------------------------------------------------- who sees what


def test_staff_see_their_own_grades_never_the_rater(gql, clerk, anonymous, qr):
    secret, _ = clerk
    accepted(anonymous, **qr(grade=2, raterName="王小明", raterPhone=PHONE, comment="窗口人员态度差"))
    accepted(gql("alpha", token=secret), grade=5, channel="WINDOW_DEVICE")
    # A rating of someone else at another window.
    with schema_context("alpha"):
        hall = Window.objects.get(pk=window_pk()).org
        other = orgs.save_window(orgs.WindowInput(org_id=hall.pk, code="W02", name="第二窗口"))
        orgs.save_staff(orgs.StaffInput(employee_no="E002", name="他人", org_id=hall.pk, window_ids=[other.pk]))
        other_token = window_qr_token(other)
    connection.set_schema_to_public()
    accepted(anonymous, grade=1, channel="QR_CODE", windowToken=other_token)

    body = gql("alpha", "staff")("{ myResults { grade channel isBad itemName ratedAt } }")
    results = body["data"]["myResults"]
    assert sorted((r["grade"], r["channel"], r["isBad"]) for r in results) == [(2, "QR_CODE", True),
                                                                                (5, "WINDOW_DEVICE", False)]
    text = str(body)
    assert "王" not in text and PHONE not in text and "态度差" not in text
    fields = gql("alpha", "staff")('{ __type(name: "StaffResult") { fields { name } } }')["data"]["__type"]["fields"]
    assert not {f["name"] for f in fields} & {"raterName", "raterPhone", "comment", "caseNumber", "answers"}

    # A staff member cannot list evaluations at all; readers see the rater masked.
    denied = gql("alpha", "staff")("{ evaluations { totalCount } }", expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    rows = gql("alpha", "viewer")("{ evaluations { edges { node { grade raterName raterPhone } } } }")
    raters = [edge["node"] for edge in rows["data"]["evaluations"]["edges"] if edge["node"]["raterName"]]
    assert raters == [{"grade": 2, "raterName": "王**", "raterPhone": "138****8000"}]
    with schema_context("alpha"):  # stored whole for the handling workflow
        assert Evaluation.objects.filter(rater_name="王小明", rater_phone=PHONE).count() == 1


def test_my_results_is_for_staff_only(gql):
    for role in ("viewer", "tenant_admin"):
        denied = gql("alpha", role)("{ myResults { grade } }", expect_errors=True)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # A staff login without a staff profile sees nothing rather than someone else's results.
    assert gql("alpha", "staff")("{ myResults { grade } }")["data"]["myResults"] == []


# --------------------------------------------------------------------------------------------- real name by SMS


def _sent_code(phone: str) -> str:
    with schema_context("alpha"):
        body = Notification.objects.filter(recipient=phone, purpose="phone_code").latest("pk").body
    connection.set_schema_to_public()
    return re.search(r"\d{6}", body).group(0)


PHONE_CODE = f'mutation($p: String!) {{ requestPhoneCode(phone: $p) {{ sent {ERRORS} }} }}'
VERIFY = f'mutation($p: String!, $c: String!) {{ verifyPhoneCode(phone: $p, code: $c) {{ verificationToken {ERRORS} }} }}'


def test_sms_verified_phone_makes_a_real_name_rating(anonymous, qr):
    assert anonymous(PHONE_CODE, {"p": PHONE})["data"]["requestPhoneCode"] == {"sent": True, "errors": []}
    code = _sent_code(PHONE)
    token = anonymous(VERIFY, {"p": PHONE, "c": code})["data"]["verifyPhoneCode"]["verificationToken"]
    assert token
    refused(anonymous, "PHONE_NOT_VERIFIED", "raterPhone",
            **qr(grade=4, raterPhone="13900139000", phoneVerificationToken=token))
    evaluation = accepted(anonymous, **qr(grade=4, phoneVerificationToken=token))
    assert evaluation.real_name_basis == "SMS_VERIFIED" and evaluation.rater_phone == PHONE
    refused(anonymous, "INVALID_TOKEN", "phoneVerificationToken", **qr(grade=4, phoneVerificationToken="forged"))


def test_wrong_codes_use_up_the_verification(anonymous):
    anonymous(PHONE_CODE, {"p": PHONE})
    code = _sent_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        result = anonymous(VERIFY, {"p": PHONE, "c": wrong})["data"]["verifyPhoneCode"]
        assert [e["code"] for e in result["errors"]] == ["INVALID_CODE"]
    with schema_context("alpha"):
        assert PhoneVerification.objects.get().attempts == 5
    connection.set_schema_to_public()
    # After five wrong guesses even the right code is refused: no brute force of a six-digit code.
    result = anonymous(VERIFY, {"p": PHONE, "c": code})["data"]["verifyPhoneCode"]
    assert result["verificationToken"] is None and [e["code"] for e in result["errors"]] == ["INVALID_CODE"]


def test_a_clerk_pushes_only_to_their_own_windows_device(gql):
    """requestRating from a STAFF user: their window's device, never another window's by serial."""
    from haochaping.accounts.models import User
    from haochaping.evaluations.models import DevicePrompt, ServiceCase
    from haochaping.organizations.models import ServiceOrg, Staff, Window
    from haochaping.organizations.services import WindowInput, register_device, save_window
    from tenants.models import Tenant
    from django.utils import timezone

    with schema_context("alpha"):
        Staff.objects.filter(employee_no="E001").update(user=User.objects.get(username="staff"))
        other = save_window(WindowInput(org_id=ServiceOrg.objects.get(code="H01").pk, code="W77", name="其他窗口"))
        register_device(window_id=other.pk, serial="OTHER-PAD", name="其他窗口评价器")
        tenant = Tenant.objects.get(schema_name="alpha")
        ServiceCase.objects.create(
            case_number="PUSH-0001", item_id=1, accepting_unit=tenant, handling_unit=tenant, applicant_kind="INDIVIDUAL",
            applicant_name="某人", status="COMPLETED", accepted_at=timezone.now(), completed_at=timezone.now())
        ServiceCase.objects.filter(case_number="PUSH-0001").update(item=Window.objects.get(code="W01").items.first())
    clerk = gql("alpha", "STAFF")
    push = "mutation($n: String!, $s: String) { requestRating(caseNumber: $n, deviceSerial: $s) { promptId errors { code } } }"
    refused = clerk(push, {"n": "PUSH-0001", "s": "OTHER-PAD"})["data"]["requestRating"]
    assert [e["code"] for e in refused["errors"]] == ["NOT_YOUR_DEVICE"] and refused["promptId"] is None
    own = clerk(push, {"n": "PUSH-0001", "s": None})["data"]["requestRating"]
    assert own["errors"] == [] and own["promptId"]
    with schema_context("alpha"):
        assert list(DevicePrompt.objects.filter(case__case_number="PUSH-0001").values_list("device__serial", flat=True)) == ["DEV001"]


def test_anonymous_idempotency_keys_must_be_long(gql, alpha):
    from haochaping.evaluations.submission import window_qr_token
    from haochaping.organizations.models import Window

    with schema_context("alpha"):
        token = window_qr_token(Window.objects.get(code="W01"))
    body = gql("alpha")("""mutation($i: SubmitEvaluationInput!) { submitEvaluation(input: $i) {
        evaluation { id } errors { code message messageEn } } }""",
                        {"i": {"grade": 5, "channel": "QR_CODE", "windowToken": token, "idempotencyKey": "short"}})
    errors = body["data"]["submitEvaluation"]["errors"]
    assert [e["code"] for e in errors] == ["INVALID_IDEMPOTENCY_KEY"] and errors[0]["message"] and errors[0]["messageEn"]
    with schema_context("alpha"):
        from haochaping.evaluations.models import Evaluation

        assert not Evaluation.objects.filter(idempotency_key__endswith=":short").exists()
