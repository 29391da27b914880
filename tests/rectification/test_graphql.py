"""The rectification workflow over GraphQL, end to end: a bad review opens a case on alpha, the handler works it
(follow-up, evidence upload with session + CSRF, fix with feedback), optimistic versions, role refusals, the
masked contact and its logged reveal; rejections decided by a township's own agency on the tenant side and by
the county on the platform side for a department; the working-day calendar on the platform host."""
from __future__ import annotations

import re
import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.core.codes import uscc_check_char
from haochaping.evaluations.models import Evaluation
from haochaping.rectification import services
from haochaping.rectification.models import ContactAccess, Rectification
from haochaping.workcalendar.models import CalendarDay
from tenants.services import TenantSpec, create_tenant

from conftest import PASSWORD

pytestmark = pytest.mark.django_db
ERRORS = "errors { code message messageEn field }"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FIELDS = ("id version state outcome source caseNumber itemName windowName grade channel comment raterName raterPhone "
          "isRealName ratedAt openedAt followUpDue due isOverdue closedAt escalatedAt feedback rejectionKind "
          "rejectionReason handler { username displayName } ownerUnit { slug name } ratingUnit { slug } "
          "events { at actorLabel action fromState toState note } followUps { method raterSaid contactedBy } "
          "evidence { originalName contentType size uploadedAt url }")
SUBMIT = ("mutation($w: ID!) { submitEvaluation(input: {grade: 1, channel: MOBILE_APP, windowId: $w, "
          "comment: \"窗口人员态度差\", raterName: \"张三丰\", raterPhone: \"13812345678\"}) "
          f"{{ {ERRORS} evaluation {{ id isBad rectification {{ state ownerUnit {{ slug }} }} }} }} }}")
ONE = f"query($id: ID!) {{ rectification(id: $id) {{ {FIELDS} }} }}"
LIST = "query($s: RectificationState, $o: Boolean, $m: Boolean) { rectifications(state: $s, overdue: $o, mine: $m) " \
       "{ totalCount edges { node { id state raterName raterPhone handler { username } } } } }"
FOLLOW_UP = ("mutation($id: ID!, $v: Int!) { recordFollowUp(id: $id, version: $v, method: PHONE, "
             f"raterSaid: \"等候时间过长\") {{ {ERRORS} rectification {{ state version }} }} }}")
FIX = ("mutation($id: ID!, $v: Int!) { fixRectificationNow(id: $id, version: $v, feedback: \"已加开窗口并致歉\") "
       f"{{ {ERRORS} rectification {{ state outcome version feedback closedAt }} }} }}")
REVEAL = f"mutation($id: ID!) {{ revealRaterContact(id: $id) {{ {ERRORS} contact {{ name phone }} }} }}"
UPLOAD = (f"mutation($id: ID!, $file: Upload!) {{ uploadEvidence(id: $id, file: $file) {{ {ERRORS} "
          "evidence { originalName contentType size } rectification { version evidence { originalName } } } }")
REQUEST_REJECTION = ("mutation($id: ID!, $v: Int!) { requestRejection(id: $id, version: $v, kind: REJECTED_MISTAKEN, "
                     f"reason: \"评价人确认误点\") {{ {ERRORS} rectification {{ state version rejectionKind }} }} }}")
DECIDE = ("mutation($id: ID!, $v: Int!, $a: Boolean!) { decideRejection(id: $id, version: $v, approve: $a, note: \"同意\") "
          f"{{ {ERRORS} rectification {{ state outcome version }} }} }}")
COUNTY_DECIDE = ("mutation($t: String!, $id: ID!, $v: Int!, $a: Boolean!) { decideRejection(tenant: $t, id: $id, "
                 f"version: $v, approve: $a, note: \"县级同意\") {{ {ERRORS} rectification {{ tenant id state outcome version }} }} }}")


def gid(type_name: str, schema: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def denied(body: dict, field: str) -> None:
    assert (body.get("data") or {}).get(field) is None, body
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", body


def codes(result: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


def bad_review(gql, system_token) -> str:
    """A bad review through a business system's token; returns the new rectification's id on alpha."""
    token = system_token("alpha", ["evaluations:write", "read"])
    with schema_context("alpha"):
        from haochaping.organizations.models import Window

        window = Window.objects.get(code="W01").pk
    connection.set_schema_to_public()
    result = gql("alpha", token=token)(SUBMIT, {"w": gid("Window", "alpha", window)})["data"]["submitEvaluation"]
    assert result["errors"] == [] and result["evaluation"]["isBad"] is True
    assert result["evaluation"]["rectification"] == {"state": "OPEN", "ownerUnit": {"slug": "alpha"}}
    with schema_context("alpha"):
        pk = Rectification.objects.latest("pk").pk
    connection.set_schema_to_public()
    return gid("Rectification", "alpha", pk)


def user_pk(slug: str, username: str) -> int:
    with schema_context(slug):
        return User.objects.get(username=username).pk


def csrf_client(slug: str, username: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    with schema_context(slug):
        client.force_login(User.objects.get(username=username))
    connection.set_schema_to_public()
    response = client.get("/accounts/login/", HTTP_HOST=f"{slug}.localhost")
    assert response.status_code in (200, 302)
    return client, client.cookies["csrftoken"].value


def upload(client: Client, rid: str, content: bytes = PNG, name: str = "现场照片.png", kind: str = "image/png",
           **headers):
    operations = {"query": UPLOAD, "variables": {"id": rid, "file": None}}
    return client.post("/graphql/", data={"operations": json.dumps(operations),
                                          "map": json.dumps({"0": ["variables.file"]}),
                                          "0": SimpleUploadedFile(name, content, content_type=kind)},
                       HTTP_HOST="alpha.localhost", **headers)


# --------------------------------------------------------------------------------------------- the handler's path


def test_bad_review_is_worked_to_closed_by_the_handler(gql, system_token):
    rid = bad_review(gql, system_token)
    admin, handler, viewer = gql("alpha", "tenant_admin"), gql("alpha", "handler"), gql("alpha", "viewer")

    case = viewer(ONE, {"id": rid})["data"]["rectification"]
    assert case["state"] == "OPEN" and case["version"] == 0 and case["source"] == "BAD_REVIEW"
    assert case["grade"] == 1 and case["channel"] == "MOBILE_APP" and case["comment"] == "窗口人员态度差"
    assert case["raterName"] != "张三丰" and "张" in case["raterName"]  # masked
    assert case["raterPhone"] != "13812345678" and "5678" in case["raterPhone"] and "*" in case["raterPhone"]
    assert case["ownerUnit"] == {"slug": "alpha", "name": "甲镇"} and case["ratingUnit"] == {"slug": "alpha"}
    assert case["windowName"] and case["handler"] is None and case["isOverdue"] is False
    assert case["followUpDue"] < case["due"]
    assert [e["action"] for e in case["events"]] == ["OPENED"]

    # A manager names the handler.
    assign = ("mutation($id: ID!, $v: Int!, $h: ID!) { assignRectificationHandler(id: $id, version: $v, handlerId: $h) "
              f"{{ {ERRORS} rectification {{ version handler {{ username }} }} }} }}")
    staff_as_handler = admin(assign, {"id": rid, "v": 0, "h": gid("User", "alpha", user_pk("alpha", "staff"))})
    assert codes(staff_as_handler["data"]["assignRectificationHandler"]) == [("INVALID_HANDLER", "handlerId")]
    beta_user = admin(assign, {"id": rid, "v": 0, "h": gid("User", "beta", user_pk("beta", "handler"))})
    assert codes(beta_user["data"]["assignRectificationHandler"]) == [("NOT_FOUND", "handlerId")]
    ok = admin(assign, {"id": rid, "v": 0, "h": gid("User", "alpha", user_pk("alpha", "handler"))})
    assert ok["data"]["assignRectificationHandler"] == {"errors": [], "rectification": {"version": 1, "handler": {"username": "handler"}}}
    mine = handler(LIST, {"m": True})["data"]["rectifications"]
    assert mine["totalCount"] == 1 and mine["edges"][0]["node"]["id"] == rid
    assert admin(LIST, {"m": True})["data"]["rectifications"]["totalCount"] == 0

    # Follow-up: the contact is masked in lists, revealed by a logged read.
    node = handler(LIST)["data"]["rectifications"]["edges"][0]["node"]
    assert "13812345678" not in json.dumps(node, ensure_ascii=False)
    revealed = handler(REVEAL, {"id": rid})["data"]["revealRaterContact"]
    assert revealed == {"errors": [], "contact": {"name": "张三丰", "phone": "13812345678"}}
    with schema_context("alpha"):
        reads = list(ContactAccess.objects.values_list("user__username", flat=True))
    assert reads == ["handler"]

    followed = handler(FOLLOW_UP, {"id": rid, "v": 1})["data"]["recordFollowUp"]
    assert followed == {"errors": [], "rectification": {"state": "VERIFYING", "version": 2}}

    # A stale version loses.
    stale = handler(FOLLOW_UP, {"id": rid, "v": 1})["data"]["recordFollowUp"]
    assert stale["rectification"] is None and codes(stale) == [("CONFLICT", "version")]

    # A fix needs evidence first.
    no_evidence = handler(FIX, {"id": rid, "v": 2})["data"]["fixRectificationNow"]
    assert codes(no_evidence) == [("EVIDENCE_REQUIRED", "evidence")]

    # Evidence upload: multipart with a session needs the CSRF token.
    client, token = csrf_client("alpha", "handler")
    refused = upload(client, rid)
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    fake = upload(client, rid, content=b"MZ\x90\x00 not an image", name="x.png", HTTP_X_CSRFTOKEN=token).json()
    assert codes(fake["data"]["uploadEvidence"]) == [("INVALID_FILE_TYPE", "file")]
    response = upload(client, rid, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    uploaded = response.json()["data"]["uploadEvidence"]
    assert uploaded["errors"] == []
    assert uploaded["evidence"] == {"originalName": "现场照片.png", "contentType": "image/png", "size": len(PNG)}
    assert uploaded["rectification"]["version"] == 2  # evidence does not bump the version
    with schema_context("alpha"):
        from haochaping.rectification.models import Evidence

        stored = Evidence.objects.get()
        assert stored.file.name.startswith("tenants/alpha/rectification/") and "现场" not in stored.file.name
        stored.file.delete(save=False)

    closed = handler(FIX, {"id": rid, "v": 2})["data"]["fixRectificationNow"]
    assert closed["errors"] == []
    assert closed["rectification"]["state"] == "CLOSED" and closed["rectification"]["outcome"] == "FIXED_NOW"
    assert closed["rectification"]["feedback"] == "已加开窗口并致歉" and closed["rectification"]["closedAt"]

    case = viewer(ONE, {"id": rid})["data"]["rectification"]
    assert [e["action"] for e in case["events"]] == ["OPENED", "ASSIGNED", "FOLLOWED_UP", "EVIDENCE_ADDED", "FIXED_NOW"]
    assert case["events"][-1]["fromState"] == "VERIFYING" and case["events"][-1]["toState"] == "CLOSED"
    assert case["events"][-1]["actorLabel"] == "handler（整改专人）"
    assert case["followUps"] == [{"method": "PHONE", "raterSaid": "等候时间过长", "contactedBy": "handler"}]
    assert case["evidence"][0]["originalName"] == "现场照片.png"
    assert re.fullmatch(r"/rectifications/\d+/evidence/\d+/", case["evidence"][0]["url"])
    assert viewer(LIST, {"s": "CLOSED"})["data"]["rectifications"]["totalCount"] == 1
    assert viewer(LIST, {"s": "OPEN"})["data"]["rectifications"]["totalCount"] == 0
    assert viewer(LIST, {"o": True})["data"]["rectifications"]["totalCount"] == 0

    # A closed case takes no more actions.
    late = handler(FOLLOW_UP, {"id": rid, "v": closed["rectification"]["version"]})["data"]["recordFollowUp"]
    assert codes(late) == [("TRANSITION_NOT_ALLOWED", None)]


def test_roles_are_refused(gql, system_token):
    rid = bad_review(gql, system_token)
    # Staff (the rated side) and read tokens never see rectifications; anonymous neither.
    for client in (gql("alpha", "staff"), gql("alpha", token=system_token("alpha", ["read"])), gql("alpha")):
        denied(client(LIST, expect_errors=True), "rectifications")
        denied(client(ONE, {"id": rid}, expect_errors=True), "rectification")
    # Viewers and the agency do not work cases; viewers and staff do not read the contact.
    for role in ("viewer", "agency", "staff"):
        denied(gql("alpha", role)(FOLLOW_UP, {"id": rid, "v": 0}, expect_errors=True), "recordFollowUp")
    for role in ("viewer", "staff"):
        denied(gql("alpha", role)(REVEAL, {"id": rid}, expect_errors=True), "revealRaterContact")
    # The handler may not decide rejections or assign handlers.
    denied(gql("alpha", "handler")(DECIDE, {"id": rid, "v": 0, "a": True}, expect_errors=True), "decideRejection")
    with schema_context("alpha"):
        r = Rectification.objects.get(pk=base64.b64decode(rid).decode().split(":")[2])
        assert (r.version, r.state) == (0, "OPEN")
        assert not ContactAccess.objects.exists()


def test_beta_ids_are_not_found_on_alpha(gql, system_token):
    rid = bad_review(gql, system_token)
    foreign = base64.b64encode(base64.b64decode(rid).replace(b":alpha:", b":beta:")).decode()
    handler = gql("alpha", "handler")
    assert handler(ONE, {"id": foreign})["data"]["rectification"] is None
    assert handler(ONE, {"id": "xyz"})["data"]["rectification"] is None
    assert codes(handler(FOLLOW_UP, {"id": foreign, "v": 0})["data"]["recordFollowUp"]) == [("NOT_FOUND", "id")]
    assert codes(handler(REVEAL, {"id": foreign})["data"]["revealRaterContact"]) == [("NOT_FOUND", "id")]


# --------------------------------------------------------------------------------------------- rejections


def _to_rejection_pending(gql, rid: str) -> int:
    handler = gql("alpha", "handler")
    assert handler(FOLLOW_UP, {"id": rid, "v": 0})["data"]["recordFollowUp"]["errors"] == []
    requested = handler(REQUEST_REJECTION, {"id": rid, "v": 1})["data"]["requestRejection"]
    assert requested == {"errors": [], "rectification": {"state": "REJECTION_PENDING", "version": 2,
                                                         "rejectionKind": "REJECTED_MISTAKEN"}}
    return 2


def test_a_townships_own_agency_decides_a_rejection(gql, system_token):
    rid = bad_review(gql, system_token)
    version = _to_rejection_pending(gql, rid)
    # The county does not decide for a township.
    county = gql("public", "county_admin")(COUNTY_DECIDE, {"t": "alpha", "id": rid, "v": version, "a": True})
    assert codes(county["data"]["decideRejection"]) == [("TRANSITION_NOT_ALLOWED", None)]
    # Nor the tenant admin (whose unit's score benefits).
    denied(gql("alpha", "tenant_admin")(DECIDE, {"id": rid, "v": version, "a": True}, expect_errors=True), "decideRejection")
    agency = gql("alpha", "agency")
    stale = agency(DECIDE, {"id": rid, "v": version - 1, "a": True})["data"]["decideRejection"]
    assert codes(stale) == [("CONFLICT", "version")]
    decided = agency(DECIDE, {"id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert decided == {"errors": [], "rectification": {"state": "CLOSED", "outcome": "REJECTED_MISTAKEN", "version": 3}}
    with schema_context("alpha"):
        r = Rectification.objects.get(pk=base64.b64decode(rid).decode().split(":")[2])
        assert Evaluation.objects.get(pk=r.source_evaluation_id).excluded_from_scores is True


def test_an_agency_denial_returns_the_case_to_verification(gql, system_token):
    rid = bad_review(gql, system_token)
    version = _to_rejection_pending(gql, rid)
    decided = gql("alpha", "agency")(DECIDE, {"id": rid, "v": version, "a": False})["data"]["decideRejection"]
    assert decided == {"errors": [], "rectification": {"state": "VERIFYING", "outcome": None, "version": 3}}


@pytest.fixture
def department(db):
    """A county department tenant with a handler, an agency user and a rectification awaiting rejection."""
    code17 = "11411325MB0000017"
    tenant = create_tenant(TenantSpec("shichangju", "县市场监管局", "DEPARTMENT", code17 + uscc_check_char(code17)))
    with schema_context("shichangju"):
        users = {}
        for role in (Role.HANDLER, Role.AGENCY):
            users[role] = User(username=role.lower(), role=role)
            users[role].set_password(PASSWORD)
            users[role].save()
        now = timezone.now()
        r = Rectification.objects.create(
            rating_unit=tenant, source_evaluation_id=1, owner_unit=tenant, grade=2, channel="MOBILE_APP",
            comment="恶意刷差评", rater_name="李四", rater_phone="13900001111", rated_at=now, state="VERIFYING",
            follow_up_due=now + timezone.timedelta(days=1), due=now + timezone.timedelta(days=20))
        r = services.request_rejection(r.pk, 0, services.Actor.of(users[Role.HANDLER]), kind="REJECTED_MALICIOUS",
                                       reason="同一号码短时间内多次差评")
        rid = gid("Rectification", "shichangju", r.pk)
    connection.set_schema_to_public()
    return rid, r.version


def test_the_county_decides_a_departments_rejection(gql, department):
    rid, version = department
    # The department's own AGENCY role is not its management agency.
    own = gql("shichangju", "agency")(DECIDE, {"id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert codes(own) == [("TRANSITION_NOT_ALLOWED", None)]

    supervisor = gql("public", "county_supervisor")
    unknown = supervisor(COUNTY_DECIDE, {"t": "nosuch", "id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert codes(unknown) == [("NOT_FOUND", "tenant")]
    public = supervisor(COUNTY_DECIDE, {"t": "public", "id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert codes(public) == [("NOT_FOUND", "tenant")]
    other_schema = supervisor(COUNTY_DECIDE, {"t": "alpha", "id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert codes(other_schema) == [("NOT_FOUND", "id")]
    stale = supervisor(COUNTY_DECIDE, {"t": "shichangju", "id": rid, "v": version - 1, "a": True})["data"]["decideRejection"]
    assert codes(stale) == [("CONFLICT", "version")]
    # Tenant sessions count for nothing on the public host.
    denied(gql("public")(COUNTY_DECIDE, {"t": "shichangju", "id": rid, "v": version, "a": True}, expect_errors=True),
           "decideRejection")

    decided = supervisor(COUNTY_DECIDE, {"t": "shichangju", "id": rid, "v": version, "a": True})["data"]["decideRejection"]
    assert decided == {"errors": [], "rectification": {"tenant": "shichangju", "id": rid, "state": "CLOSED",
                                                        "outcome": "REJECTED_MALICIOUS", "version": version + 1}}
    with schema_context("shichangju"):
        event = Rectification.objects.get().events.latest("pk")
        assert (event.action, event.actor_id, event.actor_label) == ("REJECTION_APPROVED", None, "县级：county_supervisor")


# --------------------------------------------------------------------------------------------- the calendar

DAYS = "query($y: Int!) { calendarDays(year: $y) { date isWorkday name source } calendarYears { year } }"
SET_DAY = ("mutation($d: Date!, $w: Boolean!, $n: String!) { setCalendarDay(date: $d, isWorkday: $w, name: $n) "
           f"{{ {ERRORS} day {{ date isWorkday name source }} }} }}")


def test_calendar_is_public_and_edited_by_the_county_admin(gql):
    anonymous = gql("public")
    data = anonymous(DAYS, {"y": 2026})["data"]
    days = {d["date"]: d for d in data["calendarDays"]}
    assert days["2026-02-14"]["isWorkday"] is True and days["2026-02-16"]["isWorkday"] is False
    assert days["2026-10-10"]["isWorkday"] is True and days["2026-10-01"]["isWorkday"] is False
    assert "2026-03-03" not in days  # ordinary weekdays are not exceptions
    assert {2025, 2026} <= {y["year"] for y in data["calendarYears"]}

    variables = {"d": "2031-01-02", "w": False, "n": "元旦调休"}
    denied(anonymous(SET_DAY, variables, expect_errors=True), "setCalendarDay")
    denied(gql("public", "county_supervisor")(SET_DAY, variables, expect_errors=True), "setCalendarDay")
    on_tenant_host = gql("alpha", "tenant_admin")(SET_DAY, variables, expect_errors=True)  # a platform-only field
    assert any("setCalendarDay" in e["message"] for e in on_tenant_host["errors"])
    assert not CalendarDay.objects.filter(date="2031-01-02").exists()

    admin = gql("public", "county_admin")
    too_long = admin(SET_DAY, {**variables, "n": "节" * 51})["data"]["setCalendarDay"]
    assert codes(too_long) == [("TOO_LONG", "name")] and too_long["day"] is None
    ok = admin(SET_DAY, variables)["data"]["setCalendarDay"]
    assert ok == {"errors": [], "day": {"date": "2031-01-02", "isWorkday": False, "name": "元旦调休", "source": "MANUAL"}}
    data = anonymous(DAYS, {"y": 2031})["data"]
    assert data["calendarDays"] == [ok["day"]] and 2031 in {y["year"] for y in data["calendarYears"]}


@pytest.mark.parametrize("year", [0, -1, 10000])
def test_calendar_year_without_dates_is_a_typed_error(gql, year):
    """Found by the schemathesis run: year 0 was a masked internal error (Django cannot build its bounds)."""
    body = gql("public")(DAYS, {"y": year}, expect_errors=True)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID_YEAR", "field": "year"}
    assert "年份" in error["message"] and "between 1 and 9999" in error["message"]
