"""Online 一事一评: a completed case pushed by a business system gets an SMS and/or email invitation with a signed,
single-use link, delivered by the worker; a rating through it is real-name (linked to the applicant), uses that
invitation and withdraws the others; one evaluation per case and round whatever the channel."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.evaluations.models import Evaluation, Invitation, ServiceCase
from haochaping.evaluations.policy import update_policy
from haochaping.jobs.models import Job
from haochaping.jobs.services import run_due_jobs
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.notifications.services import DELIVER_JOB
from haochaping.organizations import services as orgs
from haochaping.organizations.models import Window

UPSERT = """mutation($input: ServiceCaseInput!) { upsertServiceCase(input: $input) {
  created case { caseNumber status } errors { code message } } }"""
SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  replayed evaluation { id grade isRealName channel } errors { code message messageEn field } } }"""
FORM = """query($token: String!) { ratingForm(invitationToken: $token) {
  form { tenantName caseNumber itemName channel } errors { code field } } }"""
REQUEST_RATING = """mutation($case: String!, $serial: String) {
  requestRating(caseNumber: $case, deviceSerial: $serial) { promptId errors { code } } }"""

LINK = re.compile(r"(?P<scheme>https?)://(?P<host>[^/\s]+)/e/(?P<token>[^/\s]+)/")


def iso(moment) -> str:
    return timezone.localtime(moment).isoformat()


def case_input(number: str, *, status="COMPLETED", completed_ago=timedelta(hours=1), **overrides) -> dict:
    now = timezone.now()
    values = {"caseNumber": number, "itemCode": "TEST-001", "applicantKind": "INDIVIDUAL", "applicantName": "王小明",
              "applicantPhone": "13800138000", "applicantEmail": "wang@example.com", "status": status,
              "acceptedAt": iso(now - completed_ago - timedelta(days=2))}
    if status == "COMPLETED":
        values["completedAt"] = iso(now - completed_ago)
    values.update(overrides)
    return values


@pytest.fixture
def system(gql, system_token):
    """alpha's business system: pushes cases (and may rate on its own channels)."""
    return gql("alpha", token=system_token("alpha", ["cases:write", "evaluations:write"]))


def push(system, case: dict) -> dict:
    body = system(UPSERT, {"input": case})["data"]["upsertServiceCase"]
    assert body["errors"] == [], body
    return body


def invitations(number: str, schema="alpha") -> dict[str, Invitation]:
    with schema_context(schema):
        return {i.channel: i for i in Invitation.objects.filter(case__case_number=number)}


def invitation_notifications(schema="alpha") -> list[Notification]:
    with schema_context(schema):
        return list(Notification.objects.filter(purpose="invitation").order_by("channel"))


def link_in(text: str) -> re.Match:
    match = LINK.search(text)
    assert match, text
    return match


def deliver_and_read_links() -> dict[str, str]:
    """Run the worker; the invitation tokens by channel, read from what was sent."""
    mail.outbox.clear()
    assert run_due_jobs() >= 1
    tokens = {}
    with schema_context("alpha"):
        for record in SmsRecord.objects.all():
            tokens["SMS"] = link_in(record.text)["token"]
    for message in mail.outbox:
        tokens["EMAIL"] = link_in(message.body)["token"]
    return tokens


def submit(client, **values) -> dict:
    return client(SUBMIT, {"input": {"grade": 5, **values}})["data"]["submitEvaluation"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def test_a_completed_case_queues_one_sms_and_one_email_invitation_once(system):
    case = case_input("INV-0001")
    assert push(system, case)["created"] is True
    by_channel = invitations("INV-0001")
    assert set(by_channel) == {"SMS", "EMAIL"}
    assert {i.state for i in by_channel.values()} == {Invitation.State.PENDING}
    sms, email = sorted(invitation_notifications(), key=lambda n: n.channel != "SMS")
    assert (sms.channel, sms.recipient, sms.subject) == ("SMS", "13800138000", "")
    assert (email.channel, email.recipient) == ("EMAIL", "wang@example.com")
    assert email.subject == "政务服务“好差评”邀请您评价"
    assert {n.state for n in (sms, email)} == {Notification.State.PENDING}
    assert "INV-0001" in sms.body and "测试事项1" in sms.body and "甲镇" in sms.body
    assert Job.objects.filter(kind=DELIVER_JOB, schema_name="alpha").count() == 2

    # The business system pushes the same case again (a retry, or an update): nothing more is queued.
    assert push(system, case)["created"] is False
    assert push(system, dict(case, applicantName="王小明 "))["created"] is False
    assert len(invitation_notifications()) == 2 and len(invitations("INV-0001")) == 2
    assert Job.objects.filter(kind=DELIVER_JOB).count() == 2

    tokens = deliver_and_read_links()
    assert set(tokens) == {"SMS", "EMAIL"} and tokens["SMS"] != tokens["EMAIL"]
    assert {n.state for n in invitation_notifications()} == {Notification.State.SENT}
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]
    assert mail.outbox[0].subject == "政务服务“好差评”邀请您评价"
    with schema_context("alpha"):
        record = SmsRecord.objects.get()
    link = link_in(record.text)
    assert record.phone == "13800138000"
    assert link["scheme"] == settings.BASE_SCHEME and link["host"] == f"alpha.{settings.BASE_DOMAIN}"
    page = Client().get(f"/e/{link['token']}/", HTTP_HOST="alpha.localhost")  # the link opens the rating page
    assert page.status_code == 200 and "INV-0001" in page.content.decode()

    push(system, case)  # after delivery too
    assert run_due_jobs() == 0
    assert len(invitation_notifications()) == 2


def test_only_the_channels_with_an_address_are_invited(system):
    push(system, case_input("INV-0002", applicantEmail=""))
    assert set(invitations("INV-0002")) == {"SMS"}
    push(system, case_input("INV-0003", applicantPhone=""))
    assert set(invitations("INV-0003")) == {"EMAIL"}
    push(system, case_input("INV-0004", applicantPhone="", applicantEmail=""))
    assert invitations("INV-0004") == {}
    assert [n.channel for n in invitation_notifications()] == ["EMAIL", "SMS"]


@pytest.mark.parametrize("used, channel", [("SMS", "SMS"), ("EMAIL", "WEB")])
def test_rating_through_the_link_is_real_name_and_single_use(gql, system, used, channel):
    push(system, case_input("INV-0101"))
    tokens = deliver_and_read_links()
    anonymous = gql("alpha")

    form = anonymous(FORM, {"token": tokens[used]})["data"]["ratingForm"]
    assert form["errors"] == []
    assert form["form"]["caseNumber"] == "INV-0101" and form["form"]["itemName"] == "测试事项1"
    assert form["form"]["tenantName"] == "甲镇"
    assert form["form"]["channel"] == ("SMS" if used == "SMS" else "WEB")

    first = submit(anonymous, channel=channel, invitationToken=tokens[used], idempotencyKey="invitation-key-0001")
    assert first["errors"] == [] and first["evaluation"]["isRealName"] is True
    assert first["evaluation"]["channel"] == channel
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get(case__case_number="INV-0101")
        assert evaluation.real_name_basis == Evaluation.RealNameBasis.APPLICANT
        assert evaluation.round == 1 and evaluation.channel == channel
    by_channel = invitations("INV-0101")
    other = "EMAIL" if used == "SMS" else "SMS"
    assert by_channel[used].state == Invitation.State.USED and by_channel[used].used_at is not None
    assert by_channel[other].state == Invitation.State.WITHDRAWN

    # A retry with the same idempotency key returns the first result.
    replay = submit(anonymous, channel=channel, invitationToken=tokens[used], idempotencyKey="invitation-key-0001")
    assert replay["replayed"] is True and replay["evaluation"]["id"] == first["evaluation"]["id"]
    # The same link again, and the other channel's link: already rated.
    assert codes(submit(anonymous, channel=channel, invitationToken=tokens[used])) == ["ALREADY_RATED"]
    assert codes(submit(anonymous, channel=channel, invitationToken=tokens[used], grade=1,
                        idempotencyKey="invitation-key-0002")) == ["ALREADY_RATED"]
    other_channel = "SMS" if other == "SMS" else "WEB"
    assert codes(submit(anonymous, channel=other_channel, invitationToken=tokens[other])) == ["ALREADY_RATED"]
    with schema_context("alpha"):
        assert Evaluation.objects.filter(case__case_number="INV-0101").count() == 1


def test_a_rating_on_another_channel_withdraws_every_invitation(gql, system):
    push(system, case_input("INV-0102"))
    tokens = deliver_and_read_links()
    rated = submit(system, channel="MOBILE_APP", caseNumber="INV-0102")
    assert rated["errors"] == []
    assert {i.state for i in invitations("INV-0102").values()} == {Invitation.State.WITHDRAWN}
    anonymous = gql("alpha")
    assert codes(submit(anonymous, channel="SMS", invitationToken=tokens["SMS"])) == ["ALREADY_RATED"]
    assert codes(submit(anonymous, channel="WEB", invitationToken=tokens["EMAIL"])) == ["ALREADY_RATED"]


def test_an_invitation_link_only_works_on_its_own_tenants_host(gql, system):
    push(system, case_input("INV-0103"))
    tokens = deliver_and_read_links()
    other_host = gql("beta")
    form = other_host(FORM, {"token": tokens["SMS"]})["data"]["ratingForm"]
    assert form["form"] is None and [e["code"] for e in form["errors"]] == ["INVALID_TOKEN"]
    refused = submit(other_host, channel="SMS", invitationToken=tokens["SMS"])
    assert codes(refused) == ["INVALID_TOKEN"] and refused["errors"][0]["field"] == "invitationToken"
    with schema_context("beta"):
        assert not Evaluation.objects.exists()
    assert {i.state for i in invitations("INV-0103").values()} == {Invitation.State.PENDING}


def test_a_tampered_or_foreign_token_is_invalid(gql, system):
    push(system, case_input("INV-0104"))
    tokens = deliver_and_read_links()
    anonymous = gql("alpha")
    for token in (tokens["SMS"][:-2] + "xx", "not-a-token", ""):
        assert codes(submit(anonymous, channel="SMS", invitationToken=token or " ")) == ["INVALID_TOKEN"]


def test_the_rating_period_ends_supplementary_days_after_completion(gql, system):
    push(system, case_input("INV-0105", completed_ago=timedelta(days=3)))
    tokens = deliver_and_read_links()
    with schema_context("alpha"):
        update_policy(supplementary_days=2)
    anonymous = gql("alpha")
    refused = submit(anonymous, channel="SMS", invitationToken=tokens["SMS"])
    assert codes(refused) == ["RATING_PERIOD_OVER"]
    assert {i.state for i in invitations("INV-0105").values()} == {Invitation.State.PENDING}
    with schema_context("alpha"):
        update_policy(supplementary_days=4)
    assert submit(anonymous, channel="SMS", invitationToken=tokens["SMS"])["errors"] == []


def test_a_case_pushed_after_its_rating_period_gets_no_invitation(system):
    """Backfilling old cases must not send links that can only answer RATING_PERIOD_OVER."""
    push(system, case_input("INV-0106", completed_ago=timedelta(days=16)))  # default period: 15 days
    assert invitations("INV-0106") == {}
    assert invitation_notifications() == []


@pytest.mark.parametrize("status", ["ACCEPTED", "PROCESSING", "REJECTED"])
def test_a_case_not_completed_gets_no_invitation(system, status):
    push(system, case_input("INV-0201", status=status))
    assert invitations("INV-0201") == {}
    assert invitation_notifications() == []
    assert run_due_jobs() == 0
    if status != "REJECTED":
        push(system, case_input("INV-0201"))  # then it completes
        assert set(invitations("INV-0201")) == {"SMS", "EMAIL"}


def test_a_case_rated_at_the_window_before_its_completion_push_gets_no_invitation(gql, system):
    push(system, case_input("INV-0301", status="PROCESSING", window="H01/W01"))
    with schema_context("alpha"):
        window = Window.objects.get(org__code="H01", code="W01")
        paired = orgs.register_device(window_id=window.pk, serial="DEV-INV-1", name="邀请测试评价器")
    prompt = system(REQUEST_RATING, {"case": "INV-0301", "serial": "DEV-INV-1"})["data"]["requestRating"]
    assert prompt["errors"] == []
    device = gql("alpha", token=paired.issued.secret)
    rated = submit(device, channel="WINDOW_DEVICE", promptId=prompt["promptId"])
    assert rated["errors"] == [] and rated["evaluation"]["isRealName"] is True

    push(system, case_input("INV-0301", window="H01/W01"))
    with schema_context("alpha"):
        assert ServiceCase.objects.get(case_number="INV-0301").status == ServiceCase.Status.COMPLETED
    assert invitations("INV-0301") == {}
    assert invitation_notifications() == []


def test_an_invitation_not_yet_sent_is_cancelled_when_the_case_is_rated_elsewhere(gql, system_token):
    """Rated at the window before the worker ran: the withdrawn invitation's SMS is never sent."""
    from haochaping.evaluations.models import Invitation
    from haochaping.jobs.services import run_due_jobs
    from haochaping.notifications.models import Notification, SmsRecord

    system = gql("alpha", token=system_token("alpha", ["cases:write", "evaluations:write"]))
    case = {"caseNumber": "CANCEL-0001", "itemCode": "TEST-001", "applicantKind": "INDIVIDUAL", "applicantName": "赵六",
            "applicantPhone": "13811112222", "status": "COMPLETED", "acceptedAt": "2026-11-25T09:00:00+08:00",
            "completedAt": "2026-11-25T10:00:00+08:00"}
    assert system("""mutation($i: ServiceCaseInput!) { upsertServiceCase(input: $i) { errors { code } } }""",
                  {"i": case})["data"]["upsertServiceCase"]["errors"] == []
    rated = system("""mutation($i: SubmitEvaluationInput!) { submitEvaluation(input: $i) { errors { code } } }""",
                   {"i": {"grade": 5, "channel": "MOBILE_APP", "caseNumber": "CANCEL-0001"}})
    assert rated["data"]["submitEvaluation"]["errors"] == []
    run_due_jobs()
    with schema_context("alpha"):
        invitation = Invitation.objects.get(case__case_number="CANCEL-0001", channel="SMS")
        assert invitation.state == Invitation.State.WITHDRAWN
        notification = Notification.objects.get(dedupe_key__endswith=f":invitation:{invitation.pk}")
        assert notification.state == Notification.State.CANCELLED
        assert not SmsRecord.objects.filter(notification=notification).exists()
