"""12345 work orders through the intake API (platform GraphQL, token scope workorders:write): dispatch routes the
order to its unit as a comment, a repeated dispatch is a no-op, the unit's answer is the reply (回单), 12345 records
the call-back (回访) and an unsatisfied one reopens the comment; a complaint opens a rectification; the order follows
a county 转办; other scopes and anonymous callers are refused; alpha's staff never see beta's order."""
from __future__ import annotations

import base64

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from haochaping.accounts.tokens import issue_token
from haochaping.feedback.models import CommentEvent, PublicComment, WorkOrder
from haochaping.feedback.portal.models import WorkOrderIndex
from haochaping.notifications.models import Notification

from feedback.test_feedback import centre

pytestmark = pytest.mark.django_db

ERRORS = "errors { code field }"
ORDER = ("workOrder { orderNumber unitSlug unitName state receiptCode reply callbackResult callbacks "
         "openedRectification created }")
DISPATCH = ("mutation($input: DispatchWorkOrderInput!) { dispatchWorkOrder(input: $input) { " + ORDER + " " + ERRORS
            + " } }")
CALLBACK = ("mutation($input: WorkOrderCallbackInput!) { recordWorkOrderCallback(input: $input) { " + ORDER + " "
            + ERRORS + " } }")
STATUS = "query($n: String!) { workOrder(orderNumber: $n) { " + ORDER + " " + ERRORS + " } }"
ANSWER = ("mutation($id: ID!, $answer: String!) { answerPublicComment(id: $id, answer: $answer) "
          "{ comment { status } " + ERRORS + " } }")
PHONE = "13812345678"


@pytest.fixture
def hotline(gql, alpha, beta):
    secret = issue_token(name="12345热线平台", kind="SYSTEM", scopes=["workorders:write"]).secret
    return gql("public", token=secret)


def dispatch(client, **fields) -> dict:
    values = {"orderNumber": "GD20261126001", "content": "甲镇窗口办理营业执照要求重复提交材料", "category": "SUGGESTION",
              "unit": "alpha", "contactName": "钱七", "contactPhone": PHONE}
    values.update(fields)
    return client(DISPATCH, {"input": values})["data"]["dispatchWorkOrder"]


def gid(schema: str, pk: int) -> str:
    return base64.b64encode(f"PublicComment:{schema}:{pk}".encode()).decode()


def test_dispatch_reply_and_callback_round_trip(gql, hotline):
    sent = dispatch(hotline)
    assert sent["errors"] == []
    order = sent["workOrder"]
    assert (order["unitSlug"], order["unitName"], order["state"], order["created"]) == ("alpha", "甲镇", "DISPATCHED", True)
    assert order["reply"] == ""
    with schema_context("alpha"):
        comment = PublicComment.objects.get(receipt_code=order["receiptCode"])
        assert (comment.channel, comment.contact_phone, comment.work_order.order_number) == (
            "HOTLINE_12345", PHONE, "GD20261126001")
    connection.set_schema_to_public()
    assert WorkOrderIndex.objects.get(order_number="GD20261126001").tenant.schema_name == "alpha"

    again = dispatch(hotline, content="重复推送的同一工单")  # 12345 retries: nothing new is stored
    assert again["errors"] == [] and again["workOrder"]["created"] is False
    assert again["workOrder"]["receiptCode"] == order["receiptCode"]
    with schema_context("alpha"):
        assert PublicComment.objects.filter(channel="HOTLINE_12345").count() == 1
    connection.set_schema_to_public()

    early = hotline(CALLBACK, {"input": {"orderNumber": "GD20261126001", "result": "SATISFIED"}})
    assert [e["code"] for e in early["data"]["recordWorkOrderCallback"]["errors"]] == ["NOT_REPLIED"]

    answered = gql("alpha", "handler")(ANSWER, {"id": gid("alpha", comment.pk), "answer": "已一次性告知所需材料"})
    assert answered["data"]["answerPublicComment"]["errors"] == []
    status = hotline(STATUS, {"n": "GD20261126001"})["data"]["workOrder"]["workOrder"]
    assert (status["state"], status["reply"]) == ("REPLIED", "已一次性告知所需材料")
    with schema_context("alpha"):  # the citizen hears the answer by SMS
        sms = Notification.objects.get(channel="SMS", recipient=PHONE, purpose="comment-answer")
        assert "已一次性告知所需材料" in sms.body
    connection.set_schema_to_public()

    unhappy = hotline(CALLBACK, {"input": {"orderNumber": "GD20261126001", "result": "UNSATISFIED",
                                           "note": "群众表示仍未解决"}})["data"]["recordWorkOrderCallback"]
    assert unhappy["errors"] == []
    assert (unhappy["workOrder"]["state"], unhappy["workOrder"]["callbackResult"], unhappy["workOrder"]["callbacks"]) == (
        "DISPATCHED", "UNSATISFIED", 1)
    with schema_context("alpha"):
        comment.refresh_from_db()
        assert comment.status == "OPEN"  # reopened for a new answer
        assert CommentEvent.objects.filter(comment=comment, action="REOPENED").exists()
    connection.set_schema_to_public()
    gql("alpha", "handler")(ANSWER, {"id": gid("alpha", comment.pk), "answer": "已上门核实并办结"})
    happy = hotline(CALLBACK, {"input": {"orderNumber": "GD20261126001", "result": "SATISFIED"}})
    order = happy["data"]["recordWorkOrderCallback"]["workOrder"]
    assert (order["state"], order["callbackResult"], order["callbacks"], order["reply"]) == (
        "CALLED_BACK", "SATISFIED", 2, "已上门核实并办结")


def test_a_complaint_order_opens_a_rectification_and_routes_by_text(hotline):
    sent = dispatch(hotline, orderNumber="GD-2", unit=None, category="COMPLAINT", content="乙镇窗口工作人员推诿不办")
    assert sent["errors"] == []
    assert (sent["workOrder"]["unitSlug"], sent["workOrder"]["openedRectification"]) == ("beta", True)


def test_bad_input_is_refused_and_stores_nothing(hotline):
    cases = [({"orderNumber": "x"}, "INVALID_ORDER_NUMBER"), ({"orderNumber": "GD 1"}, "INVALID_ORDER_NUMBER"),
             ({"content": ""}, "REQUIRED"), ({"unit": "nosuchunit"}, None),
             ({"contactPhone": "12"}, "INVALID_PHONE"),
             ({"dispatchedAt": "2026-11-26T10:00:00+08:00", "dueAt": "2026-11-26T09:00:00+08:00"}, "INVALID_DUE")]
    for fields, code in cases:
        errors = dispatch(hotline, **fields)["errors"]
        assert errors, fields
        if code:
            assert errors[0]["code"] == code, (fields, errors)
    assert not WorkOrderIndex.objects.exists()
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            assert not PublicComment.objects.exists() and not WorkOrder.objects.exists()
    connection.set_schema_to_public()
    missing = hotline(STATUS, {"n": "GD-NONE"})["data"]["workOrder"]
    assert missing["workOrder"] is None and missing["errors"][0]["code"] == "NOT_FOUND"
    wrong = hotline(CALLBACK, {"input": {"orderNumber": "GD-NONE", "result": "SATISFIED"}})
    assert wrong["data"]["recordWorkOrderCallback"]["errors"][0]["code"] == "NOT_FOUND"


def test_only_the_work_order_scope_may_call(gql, alpha):
    variables = {"input": {"orderNumber": "GD-9", "content": "意见", "category": "SUGGESTION", "unit": "alpha"}}
    open311 = issue_token(name="Open311中继", kind="SYSTEM", scopes=["comments:write"]).secret
    for client in (gql("public"), gql("public", token=open311), gql("public", "county_admin")):
        denied = client(DISPATCH, variables, expect_errors=True)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", client
    assert gql("alpha", token=open311).post(DISPATCH, variables).status_code == 401  # a public token on a unit's host
    assert not WorkOrderIndex.objects.exists()


def test_the_order_follows_a_county_transfer(gql, hotline):
    hub = centre()
    sent = dispatch(hotline, orderNumber="GD-T", unit=None, content="不知道归哪个单位管的问题")["workOrder"]
    assert sent["unitSlug"] == hub.schema_name
    county = gql("public", "county_supervisor")
    waiting = county("{ commentsAwaitingTransfer { id } }")["data"]["commentsAwaitingTransfer"]
    moved = county("mutation($id: ID!) { transferPublicComment(tenant: \"fbcentre\", id: $id, toTenant: \"beta\", "
                   "reason: \"属乙镇事项\") { comment { tenant } errors { code } } }",
                   {"id": waiting[0]["id"]})["data"]["transferPublicComment"]
    assert moved["errors"] == []
    status = hotline(STATUS, {"n": "GD-T"})["data"]["workOrder"]["workOrder"]
    assert (status["unitSlug"], status["state"], status["receiptCode"]) == ("beta", "DISPATCHED", sent["receiptCode"])
    with schema_context("fbcentre"):
        assert not WorkOrder.objects.exists()
    with schema_context("beta"):
        assert WorkOrder.objects.get(order_number="GD-T").comment.route == "TRANSFER"
    connection.set_schema_to_public()


def test_alpha_staff_cannot_read_or_answer_betas_order(gql, hotline):
    sent = dispatch(hotline, orderNumber="GD-B", unit="beta")["workOrder"]
    with schema_context("beta"):
        pk = PublicComment.objects.get(receipt_code=sent["receiptCode"]).pk
    connection.set_schema_to_public()
    staff = gql("alpha", "handler")
    refused = staff(ANSWER, {"id": gid("beta", pk), "answer": "越权答复"})["data"]["answerPublicComment"]
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    listed = staff("{ publicComments { edges { node { id } } } }", expect_errors=True)
    assert "GD-B" not in str(listed)
    assert hotline(STATUS, {"n": "GD-B"})["data"]["workOrder"]["workOrder"]["state"] == "DISPATCHED"  # not replied


def test_an_unsatisfied_call_back_does_not_reopen_a_hidden_comment(gql, hotline):
    sent = dispatch(hotline, orderNumber="GD-H")["workOrder"]
    with schema_context("alpha"):
        pk = PublicComment.objects.get(receipt_code=sent["receiptCode"]).pk
    connection.set_schema_to_public()
    gql("alpha", "handler")(ANSWER, {"id": gid("alpha", pk), "answer": "已答复"})
    hidden = gql("alpha", "tenant_admin")('mutation($id: ID!) { hidePublicComment(id: $id, reason: "辱骂工作人员") '
                                          "{ errors { code } } }", {"id": gid("alpha", pk)})
    assert hidden["data"]["hidePublicComment"]["errors"] == []
    result = hotline(CALLBACK, {"input": {"orderNumber": "GD-H", "result": "UNSATISFIED"}})
    order = result["data"]["recordWorkOrderCallback"]["workOrder"]
    assert (order["state"], order["callbackResult"]) == ("CALLED_BACK", "UNSATISFIED")
    with schema_context("alpha"):
        comment = PublicComment.objects.get(pk=pk)
        assert (comment.status, comment.is_hidden) == ("ANSWERED", True)
        assert not CommentEvent.objects.filter(comment=comment, action="REOPENED").exists()
    connection.set_schema_to_public()
