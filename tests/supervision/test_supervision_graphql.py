"""County supervision over GraphQL: the platform fields are the county's alone (anonymous callers and tenant
sessions are refused), the overview's numbers on a hand-built set, the ledger without personal data, an instruction
issued on the platform host that appears on the tenant host and is acknowledged there, the pending rejections of a
department consumed by the county's decideRejection, circulars, and tenant isolation of instructions."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.codes import uscc_check_char
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.supervision.models import Circular, Escalation, SupervisionInstruction
from tenants.models import Tenant
from tenants.services import TenantSpec, create_tenant

pytestmark = pytest.mark.django_db
S, O = Rectification.State, Rectification.Outcome
ERRORS = "errors { code message messageEn field }"
RATE = "{ numerator denominator percent }"
OVERVIEW = ("{ countyOverview { slug name kind open overdue escalated closed onTimeRate " + RATE +
            " realNameFollowUpRectificationRate " + RATE + " rejectionCount rejections { rectificationId kind state reason } } }")
LEDGER = ("query($t: String!, $s: RectificationState, $o: Boolean) { tenantLedger(tenant: $t, state: $s, overdue: $o) "
          "{ id caseNumber itemName state isOverdue isRealName grade } }")
ESCALATIONS = ("query($t: String, $o: Boolean) { escalations(tenant: $t, open: $o) "
               "{ id tenant { slug } rectificationId caseNumber reason rectificationState } }")
PENDING = "{ pendingRejections { tenant { slug name kind } id version kind reason caseNumber itemName } }"
CIRCULARS = "{ circulars { id title body issuedBy tenants { slug } subjectTenant { slug } rectificationId } }"
ISSUE = ("mutation($t: String!, $r: ID!, $text: String!) { issueSupervisionInstruction(tenant: $t, rectificationId: $r, "
         f"text: $text) {{ {ERRORS} instruction {{ id tenant {{ slug }} rectificationId text issuedBy acknowledgedAt }} }} }}")
ISSUE_CIRCULAR = ("mutation($title: String!, $body: String!, $tenants: [String!], $r: ID) { issueCircular(title: $title, "
                  f"body: $body, tenants: $tenants, rectificationId: $r) {{ {ERRORS} circular {{ id title tenants {{ slug }} "
                  "subjectTenant { slug } rectificationId } } }")
INSTRUCTIONS = ("query($u: Boolean) { supervisionInstructions(unacknowledged: $u) "
                "{ id rectificationId text issuedBy acknowledgedAt acknowledgedBy tenant { slug } } }")
ACK = (f"mutation($id: ID!) {{ acknowledgeSupervisionInstruction(id: $id) {{ {ERRORS} "
       "instruction { id acknowledgedAt acknowledgedBy } } }")
RECEIVED = "{ circulars { id title body issuedBy addressedToAll } }"
COUNTY_DECIDE = ("mutation($t: String!, $id: ID!, $v: Int!) { decideRejection(tenant: $t, id: $id, version: $v, approve: true) "
                 f"{{ {ERRORS} rectification {{ tenant id state outcome version }} }} }}")

PLATFORM_FIELDS = {
    "countyOverview": (OVERVIEW, {}),
    "tenantLedger": (LEDGER, {"t": "alpha"}),
    "escalations": (ESCALATIONS, {}),
    "pendingRejections": (PENDING, {}),
    "circulars": (CIRCULARS, {}),
    "issueSupervisionInstruction": (ISSUE, {"t": "alpha", "r": None, "text": "请尽快整改"}),
    "issueCircular": (ISSUE_CIRCULAR, {"title": "通报", "body": "内容"}),
}


def gid(type_name: str, schema: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def make_rect(schema: str, *, real_name=True, followed=False, state=S.VERIFYING, closed_late=None, overdue=False,
              escalated=False, **extra) -> Rectification:
    now = timezone.now()
    values = dict(case_number="CASE-9", item_name="测试事项1", grade=1, channel="WINDOW", rater_name="李四某",
                  rater_phone="13900000000", comment="态度很差", is_real_name=real_name, rated_at=now - timedelta(days=3),
                  state=state, follow_up_due=now + timedelta(days=1),
                  due=now - timedelta(days=1) if overdue else now + timedelta(days=10),
                  followed_up_at=now - timedelta(days=2) if followed else None, escalated_at=now if escalated else None)
    if closed_late is not None:
        values.update(state=S.CLOSED, outcome=O.EXPLAINED, due=now - timedelta(days=2),
                      closed_at=now - timedelta(days=1) if closed_late else now - timedelta(days=3))
    values.update(extra)
    with schema_context(schema):
        tenant = Tenant.objects.get(schema_name=schema)
        r = Rectification.objects.create(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=0, **values)
        Rectification.objects.filter(pk=r.pk).update(source_evaluation_id=r.pk)
    connection.set_schema_to_public()
    return r


def denied(body: dict, field: str) -> None:
    assert (body.get("data") or {}).get(field) is None, body
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", body


def codes(result: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


def department() -> Tenant:
    code17 = "11411325MB0000033"
    return create_tenant(TenantSpec("gongan", "县公安局", "DEPARTMENT", code17 + uscc_check_char(code17)))


# --------------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("principal", ["anonymous", "alpha:tenant_admin", "alpha:agency", "alpha:viewer"])
@pytest.mark.parametrize("field", sorted(PLATFORM_FIELDS))
def test_platform_fields_refuse_anonymous_and_tenant_users(gql, principal, field):
    r = make_rect("alpha")
    query, variables = PLATFORM_FIELDS[field]
    variables = {**variables, "r": gid("Rectification", "alpha", r.pk)} if "r" in variables else variables
    if principal == "anonymous":
        client = gql("public")
    else:
        home, role = principal.split(":")
        client = gql("public", client=gql(home, role).client)
    denied(client(query, variables, expect_errors=True), field)
    assert not SupervisionInstruction.objects.exists() and not Circular.objects.exists()


@pytest.mark.parametrize("role", ["county_admin", "county_supervisor"])
@pytest.mark.parametrize("field", sorted(PLATFORM_FIELDS))
def test_county_users_may_call_every_platform_field(gql, role, field):
    r = make_rect("alpha")
    query, variables = PLATFORM_FIELDS[field]
    variables = {**variables, "r": gid("Rectification", "alpha", r.pk)} if "r" in variables else variables
    value = gql("public", role)(query, variables)["data"][field]
    assert value is not None
    if isinstance(value, dict):
        assert value["errors"] == []


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_tenant_fields_refuse_anonymous_and_staff(gql, role):
    client = gql("alpha") if role == "anonymous" else gql("alpha", role)
    denied(client(INSTRUCTIONS, expect_errors=True), "supervisionInstructions")
    denied(client(RECEIVED, expect_errors=True), "circulars")
    denied(client(ACK, {"id": gid("SupervisionInstruction", "alpha", 1)}, expect_errors=True),
           "acknowledgeSupervisionInstruction")


@pytest.mark.parametrize("role", ["agency", "handler", "viewer"])
def test_only_the_tenant_admin_acknowledges(gql, role):
    county = User.objects.get(username="county_admin")
    r = make_rect("alpha")
    from haochaping.supervision import services

    instruction = services.issue_instruction(Tenant.objects.get(schema_name="alpha"), r.pk, "请整改", county)
    connection.set_schema_to_public()
    client = gql("alpha", role)
    assert len(client(INSTRUCTIONS)["data"]["supervisionInstructions"]) == 1  # readers see it
    denied(client(ACK, {"id": gid("SupervisionInstruction", "alpha", instruction.pk)}, expect_errors=True),
           "acknowledgeSupervisionInstruction")
    assert SupervisionInstruction.objects.get(pk=instruction.pk).acknowledged_at is None


# --------------------------------------------------------------------------------------------- overview and ledger


def test_county_overview_numbers(gql):
    # alpha: 4 real-name bad reviews (less the approved rejection): 2 followed up and closed → 50%.
    make_rect("alpha", followed=True, closed_late=False)
    make_rect("alpha", followed=True, closed_late=True)
    make_rect("alpha", followed=True, overdue=True, escalated=True)
    make_rect("alpha", followed=False)
    make_rect("alpha", real_name=False, followed=True, closed_late=False)
    pending = make_rect("alpha", real_name=False, followed=True, state=S.REJECTION_PENDING,
                        rejection_kind=O.REJECTED_MISTAKEN, rejection_reason="评价人选错等级")
    approved = make_rect("alpha", followed=True, state=S.CLOSED, outcome=O.REJECTED_MALICIOUS,
                         rejection_kind=O.REJECTED_MALICIOUS, rejection_reason="同一号码连续恶意差评",
                         closed_at=timezone.now())
    rows = {row["slug"]: row for row in gql("public", "county_supervisor")(OVERVIEW)["data"]["countyOverview"]}
    assert set(rows) == {"alpha", "beta"}  # never the platform itself or the base schema
    a = rows["alpha"]
    assert (a["name"], a["kind"]) == ("甲镇", "TOWNSHIP")
    assert (a["open"], a["overdue"], a["escalated"], a["closed"]) == (3, 1, 1, 4)
    assert a["realNameFollowUpRectificationRate"] == {"numerator": 2, "denominator": 4, "percent": 50.0}
    assert a["onTimeRate"] == {"numerator": 3, "denominator": 4, "percent": 75.0}
    assert a["rejectionCount"] == 2
    assert sorted(a["rejections"], key=lambda x: x["reason"]) == [
        {"rectificationId": gid("Rectification", "alpha", approved.pk), "kind": "REJECTED_MALICIOUS", "state": "CLOSED",
         "reason": "同一号码连续恶意差评"},
        {"rectificationId": gid("Rectification", "alpha", pending.pk), "kind": "REJECTED_MISTAKEN",
         "state": "REJECTION_PENDING", "reason": "评价人选错等级"},
    ]
    b = rows["beta"]
    assert (b["open"], b["overdue"], b["escalated"], b["closed"], b["rejectionCount"]) == (0, 0, 0, 0, 0)
    assert b["onTimeRate"] == {"numerator": 0, "denominator": 0, "percent": None}
    assert b["realNameFollowUpRectificationRate"]["percent"] is None


def test_tenant_ledger_has_no_personal_data(gql):
    late = make_rect("alpha", overdue=True, case_number="LATE-1")
    make_rect("alpha", closed_late=False, case_number="DONE-1")
    make_rect("beta", case_number="BETA-1")
    county = gql("public", "county_admin")
    body = county(LEDGER, {"t": "alpha"})
    rows = body["data"]["tenantLedger"]
    assert sorted(row["caseNumber"] for row in rows) == ["DONE-1", "LATE-1"]
    text = json.dumps(body, ensure_ascii=False)
    assert "李四" not in text and "13900000000" not in text and "态度很差" not in text
    assert all(base64.b64decode(row["id"]).decode().split(":")[1] == "alpha" for row in rows)
    overdue = county(LEDGER, {"t": "alpha", "o": True})["data"]["tenantLedger"]
    assert [(row["id"], row["isOverdue"]) for row in overdue] == [(gid("Rectification", "alpha", late.pk), True)]
    assert [row["caseNumber"] for row in county(LEDGER, {"t": "alpha", "s": "CLOSED"})["data"]["tenantLedger"]] == ["DONE-1"]
    assert county(LEDGER, {"t": "nosuch"})["data"]["tenantLedger"] == []
    assert county(LEDGER, {"t": "public"})["data"]["tenantLedger"] == []


def test_escalations_filtered_by_tenant_and_open(gql):
    from haochaping.supervision.services import record_escalation

    alpha, beta = Tenant.objects.get(schema_name="alpha"), Tenant.objects.get(schema_name="beta")
    still_open = make_rect("alpha", overdue=True, escalated=True, case_number="A-OPEN")
    done = make_rect("alpha", overdue=True, escalated=True, case_number="A-DONE")
    other = make_rect("beta", overdue=True, escalated=True, case_number="B-OPEN")
    for tenant, r in ((alpha, still_open), (alpha, done), (beta, other)):
        record_escalation(tenant, r, Escalation.Reason.OVERDUE)
    with schema_context("alpha"):
        Rectification.objects.filter(pk=done.pk).update(state=S.CLOSED, outcome=O.EXPLAINED, closed_at=timezone.now())
    connection.set_schema_to_public()
    county = gql("public", "county_supervisor")
    every = county(ESCALATIONS)["data"]["escalations"]
    assert sorted(e["caseNumber"] for e in every) == ["A-DONE", "A-OPEN", "B-OPEN"]
    alpha_open = county(ESCALATIONS, {"t": "alpha", "o": True})["data"]["escalations"]
    assert [(e["caseNumber"], e["rectificationState"], e["reason"]) for e in alpha_open] == [("A-OPEN", "VERIFYING", "OVERDUE")]
    assert alpha_open[0]["rectificationId"] == gid("Rectification", "alpha", still_open.pk)
    assert [e["caseNumber"] for e in county(ESCALATIONS, {"o": False})["data"]["escalations"]] == ["A-DONE"]
    assert county(ESCALATIONS, {"t": "nosuch"})["data"]["escalations"] == []


# --------------------------------------------------------------------------------------------- instructions


def test_instruction_issued_by_the_county_is_acknowledged_on_the_tenant_host(gql):
    r = make_rect("alpha", overdue=True, escalated=True)
    county = gql("public", "county_supervisor")
    issued = county(ISSUE, {"t": "alpha", "r": gid("Rectification", "alpha", r.pk), "text": "请于三个工作日内整改"})
    result = issued["data"]["issueSupervisionInstruction"]
    assert result["errors"] == []
    assert result["instruction"]["tenant"] == {"slug": "alpha"}
    assert result["instruction"]["rectificationId"] == gid("Rectification", "alpha", r.pk)
    assert result["instruction"]["issuedBy"].startswith("县级：") and result["instruction"]["acknowledgedAt"] is None

    admin = gql("alpha", "tenant_admin")
    [seen] = admin(INSTRUCTIONS)["data"]["supervisionInstructions"]
    assert seen["text"] == "请于三个工作日内整改" and seen["rectificationId"] == gid("Rectification", "alpha", r.pk)
    assert base64.b64decode(seen["id"]).decode().startswith("SupervisionInstruction:alpha:")
    assert len(admin(INSTRUCTIONS, {"u": True})["data"]["supervisionInstructions"]) == 1
    assert gql("beta", "tenant_admin")(INSTRUCTIONS)["data"]["supervisionInstructions"] == []

    done = admin(ACK, {"id": seen["id"]})["data"]["acknowledgeSupervisionInstruction"]
    assert done["errors"] == [] and done["instruction"]["acknowledgedAt"]
    assert done["instruction"]["acknowledgedBy"].startswith("甲镇")
    again = admin(ACK, {"id": seen["id"]})["data"]["acknowledgeSupervisionInstruction"]
    assert again["instruction"]["acknowledgedAt"] == done["instruction"]["acknowledgedAt"]
    assert admin(INSTRUCTIONS, {"u": True})["data"]["supervisionInstructions"] == []
    with schema_context("alpha"):
        actions = list(RectificationEvent.objects.filter(rectification_id=r.pk).values_list("action", flat=True))
    assert actions == ["SUPERVISION_INSTRUCTION", "SUPERVISION_ACKNOWLEDGED"]


def test_tenant_b_cannot_see_or_acknowledge_tenant_as_instruction(gql):
    r = make_rect("alpha")
    county = gql("public", "county_admin")
    issued = county(ISSUE, {"t": "alpha", "r": gid("Rectification", "alpha", r.pk), "text": "督办"})
    pk = SupervisionInstruction.objects.get().pk
    assert issued["data"]["issueSupervisionInstruction"]["errors"] == []
    beta = gql("beta", "tenant_admin")
    assert beta(INSTRUCTIONS)["data"]["supervisionInstructions"] == []
    # alpha's id on beta's host, and a beta-minted id naming alpha's instruction by primary key: not found.
    for node_id in (gid("SupervisionInstruction", "alpha", pk), gid("SupervisionInstruction", "beta", pk)):
        result = beta(ACK, {"id": node_id})["data"]["acknowledgeSupervisionInstruction"]
        assert result["instruction"] is None and codes(result) == [("NOT_FOUND", "id")]
    assert SupervisionInstruction.objects.get(pk=pk).acknowledged_at is None
    # Positive control.
    ok = gql("alpha", "tenant_admin")(ACK, {"id": gid("SupervisionInstruction", "alpha", pk)})
    assert ok["data"]["acknowledgeSupervisionInstruction"]["errors"] == []


def test_instruction_needs_a_case_of_that_tenant(gql):
    r = make_rect("alpha")
    county = gql("public", "county_admin")
    wrong_schema = county(ISSUE, {"t": "beta", "r": gid("Rectification", "alpha", r.pk), "text": "督办"})
    assert codes(wrong_schema["data"]["issueSupervisionInstruction"]) == [("NOT_FOUND", "rectificationId")]
    empty = county(ISSUE, {"t": "alpha", "r": gid("Rectification", "alpha", r.pk), "text": "  "})
    assert codes(empty["data"]["issueSupervisionInstruction"]) == [("REQUIRED", "text")]
    assert not SupervisionInstruction.objects.exists()


# --------------------------------------------------------------------------------------------- rejections


def test_pending_rejections_of_a_department_are_decided_by_the_county(gql):
    unit = department()
    now = timezone.now()
    with schema_context("gongan"):
        r = Rectification.objects.create(
            rating_unit=unit, source_evaluation_id=1, owner_unit=unit, grade=1, channel="WEB", rated_at=now,
            rater_name="王五某", rater_phone="13700000000", case_number="GA-1", item_name="户籍迁移",
            state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MALICIOUS, rejection_reason="同一号码连续差评",
            follow_up_due=now, due=now + timedelta(days=5), version=3)
    connection.set_schema_to_public()
    make_rect("alpha", state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MISTAKEN, rejection_reason="乡镇的")

    county = gql("public", "county_supervisor")
    body = county(PENDING)
    assert "王五" not in json.dumps(body, ensure_ascii=False) and "13700000000" not in json.dumps(body)
    [pending] = body["data"]["pendingRejections"]  # the township's own agency decides alpha's
    assert pending == {"tenant": {"slug": "gongan", "name": "县公安局", "kind": "DEPARTMENT"},
                       "id": gid("Rectification", "gongan", r.pk), "version": 3, "kind": "REJECTED_MALICIOUS",
                       "reason": "同一号码连续差评", "caseNumber": "GA-1", "itemName": "户籍迁移"}

    decided = county(COUNTY_DECIDE, {"t": pending["tenant"]["slug"], "id": pending["id"], "v": pending["version"]})
    result = decided["data"]["decideRejection"]
    assert result["errors"] == []
    assert result["rectification"]["state"] == "CLOSED" and result["rectification"]["outcome"] == "REJECTED_MALICIOUS"
    assert result["rectification"]["id"] == pending["id"]
    assert county(PENDING)["data"]["pendingRejections"] == []


# --------------------------------------------------------------------------------------------- circulars


def test_circulars_reach_the_units_they_are_addressed_to(gql):
    r = make_rect("alpha", overdue=True)
    county = gql("public", "county_admin")
    named = county(ISSUE_CIRCULAR, {"title": "关于甲镇整改逾期的通报", "body": "造成不良影响。", "tenants": ["alpha"],
                                    "r": gid("Rectification", "alpha", r.pk)})["data"]["issueCircular"]
    assert named["errors"] == []
    assert named["circular"]["tenants"] == [{"slug": "alpha"}] and named["circular"]["subjectTenant"] == {"slug": "alpha"}
    assert named["circular"]["rectificationId"] == gid("Rectification", "alpha", r.pk)
    everyone = county(ISSUE_CIRCULAR, {"title": "全县通报", "body": "各单位引以为戒。"})["data"]["issueCircular"]
    assert everyone["errors"] == [] and everyone["circular"]["tenants"] == []

    assert sorted(c["title"] for c in county(CIRCULARS)["data"]["circulars"]) == ["全县通报", "关于甲镇整改逾期的通报"]
    alpha = gql("alpha", "viewer")(RECEIVED)["data"]["circulars"]
    assert sorted((c["title"], c["addressedToAll"]) for c in alpha) == [("全县通报", True), ("关于甲镇整改逾期的通报", False)]
    beta = gql("beta", "viewer")(RECEIVED)["data"]["circulars"]
    assert [(c["title"], c["addressedToAll"]) for c in beta] == [("全县通报", True)]
    assert all(base64.b64decode(c["id"]).decode().split(":")[1] == "beta" for c in beta)
    with schema_context("alpha"):
        assert RectificationEvent.objects.filter(rectification_id=r.pk, action="CIRCULATED").count() == 1


def test_circular_with_a_case_of_an_unknown_unit(gql):
    county = gql("public", "county_admin")
    result = county(ISSUE_CIRCULAR, {"title": "通报", "body": "内容", "r": gid("Rectification", "nosuch", 1)})
    assert codes(result["data"]["issueCircular"]) == [("NOT_FOUND", "rectificationId")]
    result = county(ISSUE_CIRCULAR, {"title": "通报", "body": "内容", "tenants": ["alpha", "nosuch"]})
    assert codes(result["data"]["issueCircular"]) == [("NOT_FOUND", "tenants")]
    assert not Circular.objects.exists()
