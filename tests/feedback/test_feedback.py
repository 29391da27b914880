"""综合点评 end to end: the suggestion box on both hosts, the hotline entry, Open311, routing and 转办, answers
published only with consent and redacted, complaints opening rectifications, throttling, hiding, roles and
tenant isolation. Real PostgreSQL and Redis; requests go through Django's test client."""
from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.codes import uscc_check_char
from haochaping.core.errors import DomainError
from haochaping.disclosure.models import PublicName, PublishedRectification
from haochaping.disclosure.services import receipt_digest
from haochaping.feedback import services
from haochaping.feedback.models import CommentEvent, PublicComment
from haochaping.feedback.portal.models import PublishedComment
from haochaping.items.services import adopt_item
from haochaping.rectification.models import Rectification
from tenants.services import TenantSpec, create_tenant

from conftest import PASSWORD, guide_input

PHONE = "13812345678"
ERRORS = "errors { code message messageEn field }"


def centre():
    code17 = "11411325MB0000077"
    return create_tenant(TenantSpec("fbcentre", "县政务服务中心", "CENTER", code17 + uscc_check_char(code17)))


def csrf_client(host: str, path: str = "/suggest/") -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.get(path, HTTP_HOST=host).status_code == 200
    return client


def post_form(client: Client, host: str, data: dict, path: str = "/suggest/", ip: str = "10.0.0.1"):
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **data}
    return client.post(path, data, HTTP_HOST=host, REMOTE_ADDR=ip)


def submit(**kwargs) -> services.Submitted:
    # Trusted: these calls test routing and handling, not the per-IP limit (tested with real requests below).
    values = dict(channel="SUGGESTION_BOX", text="窗口服务态度需要改进", category="SUGGESTION", trusted=True)
    values.update(kwargs)
    result = services.submit_comment(**values)
    connection.set_schema_to_public()
    return result


def in_schema(slug: str, **filters):
    with schema_context(slug):
        return list(PublicComment.objects.filter(**filters))


def gid(schema: str, pk: int) -> str:
    return base64.b64encode(f"PublicComment:{schema}:{pk}".encode()).decode()


def login(slug: str, username: str, client: Client | None = None) -> Client:
    client = client or Client()
    with schema_context(slug):
        client.force_login(User.objects.get(username=username))
    connection.set_schema_to_public()
    return client


# ----------------------------------------------------------------------------------------------- intake


def test_public_suggestion_box_end_to_end(alpha, beta):
    client = csrf_client("localhost")
    page = client.get("/suggest/", HTTP_HOST="localhost").content.decode()
    assert "甲镇" in page and "允许公开答复" in page and "csrfmiddlewaretoken" in page
    # CSRF stays on for the form.
    refused = client.post("/suggest/", {"text": "x", "category": "SUGGESTION"}, HTTP_HOST="localhost")
    assert refused.status_code == 403
    response = post_form(client, "localhost", {"unit": "alpha", "category": "SUGGESTION", "text": "希望延长午间办理时间",
                                               "name": "张三", "phone": PHONE, "publish": "on"})
    assert response.status_code == 302
    code = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    [comment] = in_schema("alpha", receipt_code=code)
    assert (comment.channel, comment.route, comment.allow_publish, comment.contact_phone) == (
        "SUGGESTION_BOX", "EXPLICIT", True, PHONE)
    assert in_schema("beta", receipt_code=code) == []
    receipt = client.get(response["Location"], HTTP_HOST="localhost")
    assert receipt.status_code == 200
    body = receipt.content.decode()
    assert "甲镇" in body and code in body and PHONE not in body and "张三" not in body
    assert client.get("/suggest/NOSUCHCODE/", HTTP_HOST="localhost").status_code == 404


def test_bad_form_input_stores_nothing(alpha):
    client = csrf_client("localhost")
    response = post_form(client, "localhost", {"unit": "alpha", "category": "RUMOUR", "text": "字" * 1001,
                                               "phone": "123"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "INVALID_CATEGORY" in body and "TOO_LONG" in body and "INVALID_PHONE" in body
    assert in_schema("alpha") == []
    assert not PublishedComment.objects.exists()


def test_tenant_host_suggestion_box_goes_to_that_tenant(alpha, beta):
    client = csrf_client("beta.localhost")
    page = client.get("/suggest/", HTTP_HOST="beta.localhost").content.decode()
    assert 'name="unit"' not in page  # the unit is the host's
    response = post_form(client, "beta.localhost", {"category": "PRAISE", "text": "甲镇的同事也很好，但这是乙镇的页面"})
    assert response.status_code == 302
    [comment] = in_schema("beta")
    assert comment.route == "HOST" and comment.category == "PRAISE"
    assert in_schema("alpha") == []
    assert client.get(response["Location"], HTTP_HOST="beta.localhost").status_code == 200


def test_hotline_entry_page_and_roles(alpha):
    handler = login("alpha", "handler")
    page = handler.get("/comments/hotline/", HTTP_HOST="alpha.localhost")
    assert page.status_code == 200
    response = handler.post("/comments/hotline/", {"category": "CONSULTATION", "text": "来电咨询社保办理地点",
                                                   "name": "李四", "phone": PHONE}, HTTP_HOST="alpha.localhost")
    assert response.status_code == 200 and "hotline-result" in response.content.decode()
    [comment] = in_schema("alpha")
    assert comment.channel == "HOTLINE" and comment.route == "HOST"
    with schema_context("alpha"):
        assert comment.entered_by.username == "handler"
    connection.set_schema_to_public()
    for role in ("viewer", "staff"):
        assert login("alpha", role).get("/comments/hotline/", HTTP_HOST="alpha.localhost").status_code == 403
    # Anonymous: the login page.
    assert Client().get("/comments/hotline/", HTTP_HOST="alpha.localhost").status_code == 302


def test_hotline_graphql_mutation(gql, alpha):
    mutation = ("mutation($input: HotlineCommentInput!) { recordHotlineComment(input: $input) "
                "{ receiptCode comment { channel category contactPhone route } " + ERRORS + " } }")
    variables = {"input": {"text": "来电反映排队时间长", "category": "SUGGESTION", "contactPhone": PHONE}}
    result = gql("alpha", "agency")(mutation, variables)["data"]["recordHotlineComment"]
    assert result["errors"] == [] and len(result["receiptCode"]) == 12
    assert result["comment"] == {"channel": "HOTLINE", "category": "SUGGESTION", "contactPhone": "138****5678",
                                 "route": "HOST"}
    bad = gql("alpha", "agency")(mutation, {"input": {"text": " ", "category": "SUGGESTION", "contactPhone": "12"}})
    assert sorted((e["code"], e["field"]) for e in bad["data"]["recordHotlineComment"]["errors"]) == [
        ("INVALID_PHONE", "contactPhone"), ("REQUIRED", "text")]
    denied = gql("alpha", "viewer")(mutation, variables, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert len(in_schema("alpha")) == 1


# ---------------------------------------------------------------------------------------------- routing


def test_routing_by_item_code(alpha, beta):
    with schema_context("alpha"):
        adopt_item(catalog_code="TEST-003", guide=guide_input())  # published by alpha only
    connection.set_schema_to_public()
    result = submit(item_code="TEST-003", text="这个事项材料太多")
    assert (result.tenant.schema_name, result.route) == ("alpha", "ITEM")
    assert result.comment.item_name == "测试事项3"
    # TEST-001 is published by both units: not decisive, the text then decides.
    result = submit(item_code="TEST-001", text="乙镇办理这个事项很快")
    assert (result.tenant.schema_name, result.route) == ("beta", "TEXT")
    with pytest.raises(DomainError) as error:
        submit(item_code="NOPE-1")
    assert error.value.codes == ["UNKNOWN_ITEM"]


def test_routing_by_org_text_explicit_and_fallback(alpha, beta):
    PublicName.objects.create(tenant=beta, kind="ORG", code="H01", name="乙镇便民服务中心")
    result = submit(org_code="beta/H01")
    assert (result.tenant.schema_name, result.route, result.comment.org_name) == ("beta", "ORG", "乙镇便民服务中心")
    result = submit(text="甲镇窗口午休不办事")
    assert (result.tenant.schema_name, result.route) == ("alpha", "TEXT")
    result = submit(unit="beta", text="甲镇窗口午休不办事")  # an explicit choice beats the text
    assert (result.tenant.schema_name, result.route) == ("beta", "EXPLICIT")
    for kwargs, code in (({"unit": "nowhere"}, "UNKNOWN_UNIT"), ({"org_code": "beta/H99"}, "UNKNOWN_ORG"),
                         ({"text": "甲镇和乙镇都有问题"}, "UNROUTABLE")):  # no centre yet: nothing to fall back to
        with pytest.raises(DomainError) as error:
            submit(**kwargs)
        assert error.value.codes == [code]
    hub = centre()
    result = submit(text="甲镇和乙镇都有问题")  # two units named: the county centre, for 转办
    assert (result.tenant.pk, result.route) == (hub.pk, "FALLBACK")


def test_county_transfer_moves_the_comment_and_audits(gql, alpha, beta):
    hub = centre()
    result = submit(text="不知道该找哪个单位投诉", category="COMPLAINT", contact_phone=PHONE)
    assert result.tenant.pk == hub.pk and result.rectification_id is None  # no owner yet
    county = gql("public", "county_supervisor")
    waiting = county("{ commentsAwaitingTransfer { id tenant category text } }")["data"]["commentsAwaitingTransfer"]
    assert [(w["tenant"], w["category"]) for w in waiting] == [("fbcentre", "COMPLAINT")]
    mutation = ("mutation($tenant: String!, $id: ID!, $to: String!, $reason: String!) { transferPublicComment("
                "tenant: $tenant, id: $id, toTenant: $to, reason: $reason) { comment { id tenant } " + ERRORS + " } }")
    variables = {"tenant": "fbcentre", "id": waiting[0]["id"], "to": "beta", "reason": "涉及乙镇窗口"}
    for principal in (None, "county_admin"):  # anonymous is refused; a tenant's session counts for nothing here
        client = gql("public", principal) if principal is None else gql("public", client=login("alpha", "tenant_admin"))
        denied = client(mutation, variables, expect_errors=True)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    moved = county(mutation, variables)["data"]["transferPublicComment"]
    assert moved["errors"] == [] and moved["comment"]["tenant"] == "beta"
    with schema_context("fbcentre"):
        original = PublicComment.objects.get(receipt_code=result.receipt_code)
        assert (original.status, original.transferred_to_id) == ("TRANSFERRED", beta.pk)
        assert CommentEvent.objects.filter(comment=original, action="TRANSFERRED_OUT", note="涉及乙镇窗口").exists()
    with schema_context("beta"):
        copy = PublicComment.objects.get(receipt_code=result.receipt_code)
        assert (copy.route, copy.status, copy.contact_phone, copy.transferred_from_id) == ("TRANSFER", "OPEN", PHONE, hub.pk)
        assert CommentEvent.objects.filter(comment=copy, action="TRANSFERRED_IN").exists()
        rect = Rectification.objects.get(pk=copy.rectification_id)  # the complaint opens its rectification here
        assert rect.source == "COMPLAINT"
    connection.set_schema_to_public()
    published = PublishedComment.objects.get(receipt_digest=receipt_digest(result.receipt_code))
    assert published.tenant_id == beta.pk
    again = county(mutation, variables)["data"]["transferPublicComment"]  # the original is no longer open
    assert [e["code"] for e in again["errors"]] == ["NOT_ALLOWED"]
    assert county("{ commentsAwaitingTransfer { id } }")["data"]["commentsAwaitingTransfer"] == []


# ------------------------------------------------------------------------------------------- answering


ANSWER = ("mutation($id: ID!, $answer: String!) { answerPublicComment(id: $id, answer: $answer) "
          "{ comment { status answer answeredBy } " + ERRORS + " } }")
HIDE = ("mutation($id: ID!, $reason: String!) { hidePublicComment(id: $id, reason: $reason) "
        "{ comment { isHidden hiddenReason } " + ERRORS + " } }")


def test_answer_published_only_with_consent_and_redacted(gql, alpha):
    public = submit(unit="alpha", text="办事员王五让我打电话13900001111再来", allow_publish=True,
                    contact_name="赵六", contact_phone=PHONE)
    private = submit(unit="alpha", text="不愿公开的意见")
    staff = gql("alpha", "handler")
    for result in (public, private):
        answered = staff(ANSWER, {"id": gid("alpha", result.comment.pk),
                                  "answer": "已核实，请张先生拨打13700002222联系窗口"})["data"]["answerPublicComment"]
        assert answered["errors"] == [] and answered["comment"]["status"] == "ANSWERED"
        assert answered["comment"]["answeredBy"] == "handler"
    page = Client().get("/comments/", HTTP_HOST="localhost").content.decode()
    assert page.count("published-comment") == 1
    assert "[电话]" in page and "13700002222" not in page and "13900001111" not in page
    assert "赵六" not in page and PHONE not in page and "张先生" not in page and "王五" not in page
    assert "不愿公开的意见" not in page
    assert Client().get("/comments/?unit=beta", HTTP_HOST="localhost").content.decode().count("published-comment") == 0
    # The holder of the receipt still reads the (redacted) answer.
    receipt = Client().get(f"/suggest/{private.receipt_code}/", HTTP_HOST="localhost").content.decode()
    assert "receipt-answer" in receipt and "[电话]" in receipt
    row = PublishedComment.objects.get(receipt_digest=receipt_digest(private.receipt_code))
    assert (row.is_public, row.text) == (False, "")


def test_complaint_opens_a_rectification(alpha):
    client = csrf_client("localhost")
    response = post_form(client, "localhost", {"unit": "alpha", "category": "COMPLAINT", "text": "窗口人员推诿",
                                               "phone": PHONE})
    assert response.status_code == 302
    [comment] = in_schema("alpha")
    with schema_context("alpha"):
        r = Rectification.objects.get(pk=comment.rectification_id)
        assert (r.source, r.channel, r.rater_phone, r.state) == ("COMPLAINT", "MAILBOX", PHONE, "OPEN")
        assert r.due > r.follow_up_due > r.rated_at
        assert r.events.filter(action="COMPLAINT_OPENED").exists()
    connection.set_schema_to_public()
    assert PublishedRectification.objects.filter(tenant=alpha, rectification_id=r.pk,
                                                 receipt_digest=receipt_digest(comment.receipt_code)).exists()
    # Other categories open none.
    submit(unit="alpha", category="SUGGESTION")
    with schema_context("alpha"):
        assert Rectification.objects.count() == 1


def test_hiding_is_audited_and_removes_from_portal(gql, alpha):
    result = submit(unit="alpha", text="很好的建议", allow_publish=True)
    gql("alpha", "handler")(ANSWER, {"id": gid("alpha", result.comment.pk), "answer": "感谢"})
    assert "published-comment" in Client().get("/comments/", HTTP_HOST="localhost").content.decode()
    denied = gql("alpha", "handler")(HIDE, {"id": gid("alpha", result.comment.pk), "reason": "x"}, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    empty = gql("alpha", "agency")(HIDE, {"id": gid("alpha", result.comment.pk), "reason": " "})
    assert [e["code"] for e in empty["data"]["hidePublicComment"]["errors"]] == ["REQUIRED"]
    hidden = gql("alpha", "agency")(HIDE, {"id": gid("alpha", result.comment.pk), "reason": "含辱骂内容"})
    assert hidden["data"]["hidePublicComment"]["comment"] == {"isHidden": True, "hiddenReason": "含辱骂内容"}
    assert "published-comment" not in Client().get("/comments/", HTTP_HOST="localhost").content.decode()
    with schema_context("alpha"):
        event = CommentEvent.objects.get(comment_id=result.comment.pk, action="HIDDEN")
        assert event.note == "含辱骂内容" and event.actor.username == "agency"
    again = gql("alpha", "handler")(ANSWER, {"id": gid("alpha", result.comment.pk), "answer": "再答"})
    assert [e["code"] for e in again["data"]["answerPublicComment"]["errors"]] == ["NOT_ALLOWED"]
    row = PublishedComment.objects.get(receipt_digest=receipt_digest(result.receipt_code))
    assert (row.is_public, row.text, row.answer, row.status) == (False, "", "", "HIDDEN")


def test_staff_pages_filter_mask_and_log_contact_reads(alpha):
    submit(unit="alpha", category="COMPLAINT", text="投诉排队", contact_name="钱七", contact_phone=PHONE)
    praise = submit(unit="alpha", category="PRAISE", text="表扬窗口")
    handler = login("alpha", "handler")
    page = handler.get("/comments/?category=COMPLAINT", HTTP_HOST="alpha.localhost").content.decode()
    assert "投诉排队" in page and "表扬窗口" not in page and "138****5678" in page and PHONE not in page
    assert "钱七" not in page
    [complaint] = in_schema("alpha", category="COMPLAINT")
    detail = handler.get(f"/comments/{complaint.pk}/", HTTP_HOST="alpha.localhost").content.decode()
    assert PHONE not in detail and 'value="contact"' in detail
    revealed = handler.post(f"/comments/{complaint.pk}/", {"action": "contact"}, HTTP_HOST="alpha.localhost")
    assert PHONE in revealed.content.decode() and "钱七" in revealed.content.decode()
    with schema_context("alpha"):
        assert CommentEvent.objects.filter(comment=complaint, action="CONTACT_READ", actor__username="handler").count() == 1
    connection.set_schema_to_public()
    viewer = login("alpha", "viewer")
    assert 'value="contact"' not in viewer.get(f"/comments/{complaint.pk}/", HTTP_HOST="alpha.localhost").content.decode()
    assert viewer.post(f"/comments/{complaint.pk}/", {"action": "contact"}, HTTP_HOST="alpha.localhost").status_code == 403
    answered = handler.post(f"/comments/{praise.comment.pk}/", {"action": "answer", "answer": "谢谢您的表扬"},
                            HTTP_HOST="alpha.localhost")
    assert answered.status_code == 302
    assert in_schema("alpha", pk=praise.comment.pk)[0].status == "ANSWERED"
    assert login("alpha", "staff").get("/comments/", HTTP_HOST="alpha.localhost").status_code == 403


# ------------------------------------------------------------------------------------------------ abuse


def test_throttling_per_ip_and_per_phone(alpha):
    client = csrf_client("localhost")
    data = {"unit": "alpha", "category": "SUGGESTION", "text": "同一地址反复提交"}
    for _ in range(5):
        assert post_form(client, "localhost", data, ip="10.9.9.9").status_code == 302
    limited = post_form(client, "localhost", data, ip="10.9.9.9")
    assert limited.status_code == 429 and "RATE_LIMITED" in limited.content.decode()
    assert post_form(client, "localhost", data, ip="10.9.9.10").status_code == 302  # another address
    # Per phone, whatever the address (and across hosts: the counters are county-wide).
    phone = {**data, "phone": "13600001111"}
    for n in range(3):
        assert post_form(client, "localhost", phone, ip=f"10.8.0.{n}").status_code == 302
    tenant_client = csrf_client("alpha.localhost")
    limited = post_form(tenant_client, "alpha.localhost", {"category": "SUGGESTION", "text": "再来",
                                                           "phone": "13600001111"}, ip="10.8.1.1")
    assert limited.status_code == 429
    assert len(in_schema("alpha")) == 5 + 1 + 3
    # Staff entry is not throttled.
    for _ in range(7):
        submit(channel="HOTLINE", host_tenant=alpha, contact_phone="13600001111", client_ip="10.9.9.9")


# ---------------------------------------------------------------------------------------------- Open311


def test_open311_end_to_end(gql, alpha):
    client = Client(enforce_csrf_checks=True)  # an API: CSRF-exempt
    services_list = client.get("/open311/v2/services.json", HTTP_HOST="localhost").json()
    assert [s["service_code"] for s in services_list] == ["SUGGESTION", "COMPLAINT", "PRAISE", "CONSULTATION"]
    assert {"service_name", "description", "metadata", "type", "keywords", "group"} <= set(services_list[0])
    created = client.post("/open311/v2/requests.json", {
        "service_code": "SUGGESTION", "description": "甲镇大厅需要增加座椅", "first_name": "八", "last_name": "孙",
        "phone": PHONE, "attribute[publish_answer]": "true"}, HTTP_HOST="localhost", REMOTE_ADDR="10.1.1.1")
    assert created.status_code == 201, created.content
    [body] = created.json()
    request_id = body["service_request_id"]
    [comment] = in_schema("alpha", receipt_code=request_id)
    assert (comment.channel, comment.route, comment.contact_name, comment.allow_publish) == ("OPEN311", "TEXT", "孙 八", True)
    [status] = client.get(f"/open311/v2/requests/{request_id}.json", HTTP_HOST="localhost").json()
    assert (status["status"], status["status_notes"], status["agency_responsible"]) == ("open", None, "甲镇")
    assert PHONE not in str(status)
    gql("alpha", "handler")(ANSWER, {"id": gid("alpha", comment.pk), "answer": "已增加，联系13700002222"})
    [status] = client.get(f"/open311/v2/requests/{request_id}.json", HTTP_HOST="localhost").json()
    assert status["status"] == "closed" and status["status_notes"] == "已增加，联系[电话]"
    # GeoReport error format.
    missing = client.post("/open311/v2/requests.json", {"description": "x"}, HTTP_HOST="localhost")
    assert missing.status_code == 400 and missing.json()[0]["code"] == 400 and missing.json()[0]["description"]
    unknown = client.post("/open311/v2/requests.json", {"service_code": "POTHOLE", "description": "x"}, HTTP_HOST="localhost")
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    bad_key = client.post("/open311/v2/requests.json", {"service_code": "PRAISE", "description": "x", "api_key": "hcp_x_y"},
                          HTTP_HOST="localhost")
    assert bad_key.status_code == 403 and bad_key.json()[0]["code"] == 403
    nf = client.get("/open311/v2/requests/FFFFFFFFFFFF.json", HTTP_HOST="localhost")
    assert nf.status_code == 404 and nf.json() == [{"code": 404, "description": nf.json()[0]["description"]}]
    # Served on the county portal only.
    assert client.get("/open311/v2/services.json", HTTP_HOST="alpha.localhost").status_code == 404


def test_open311_throttling_and_api_key(alpha):
    from haochaping.accounts.tokens import issue_token

    client = Client()
    data = {"service_code": "SUGGESTION", "description": "乙镇需要改进", "attribute[unit]": "alpha"}
    for _ in range(5):
        assert client.post("/open311/v2/requests.json", data, HTTP_HOST="localhost", REMOTE_ADDR="10.2.2.2").status_code == 201
    limited = client.post("/open311/v2/requests.json", data, HTTP_HOST="localhost", REMOTE_ADDR="10.2.2.2")
    assert limited.status_code == 429 and limited.json()[0]["code"] == 429
    read_only = issue_token(name="只读", kind="SYSTEM", scopes=["read"]).secret
    assert client.post("/open311/v2/requests.json", {**data, "api_key": read_only}, HTTP_HOST="localhost",
                       REMOTE_ADDR="10.2.2.2").status_code == 403
    relay = issue_token(name="12345转办系统", kind="SYSTEM", scopes=["comments:write"]).secret
    assert client.post("/open311/v2/requests.json", {**data, "api_key": relay}, HTTP_HOST="localhost",
                       REMOTE_ADDR="10.2.2.2").status_code == 201
    assert len(in_schema("alpha")) == 6


# -------------------------------------------------------------------------------------------- isolation


def test_alpha_staff_never_see_or_answer_betas_comments(gql, alpha, beta):
    theirs = submit(unit="beta", text="乙镇的意见", contact_phone=PHONE)
    ours = submit(unit="alpha", text="甲镇的意见")
    staff = gql("alpha", "tenant_admin")
    listed = staff("{ publicComments { totalCount items { text } } }")["data"]["publicComments"]
    assert listed == {"totalCount": 1, "items": [{"text": "甲镇的意见"}]}
    beta_id = gid("beta", theirs.comment.pk)
    assert staff("query($id: ID!) { publicComment(id: $id) { text } }", {"id": beta_id})["data"]["publicComment"] is None
    # Beta's id carries beta's primary key; alpha's row with the same pk (if any) is not touched either.
    for mutation, variables, field in ((ANSWER, {"id": beta_id, "answer": "越权答复"}, "answerPublicComment"),
                                       (HIDE, {"id": beta_id, "reason": "越权屏蔽"}, "hidePublicComment")):
        result = staff(mutation, variables)["data"][field]
        assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    with schema_context("beta"):
        row = PublicComment.objects.get(pk=theirs.comment.pk)
        assert (row.status, row.is_hidden, row.answer) == ("OPEN", False, "")
    with schema_context("alpha"):
        row = PublicComment.objects.get(pk=ours.comment.pk)
        assert (row.status, row.is_hidden) == ("OPEN", False)
    connection.set_schema_to_public()
    # Alpha's own id on beta's host: not found either (positive control on alpha).
    assert gql("beta", "tenant_admin")("query($id: ID!) { publicComment(id: $id) { text } }",
                                       {"id": gid("alpha", ours.comment.pk)})["data"]["publicComment"] is None
    assert staff("query($id: ID!) { publicComment(id: $id) { text } }",
                 {"id": gid("alpha", ours.comment.pk)})["data"]["publicComment"] == {"text": "甲镇的意见"}
    # Pages: beta's comment is not on alpha's host; a beta session counts for nothing on alpha.
    alpha_admin = login("alpha", "tenant_admin")
    if not in_schema("alpha", pk=theirs.comment.pk):
        assert alpha_admin.get(f"/comments/{theirs.comment.pk}/", HTTP_HOST="alpha.localhost").status_code == 404
    assert "乙镇的意见" not in alpha_admin.get("/comments/", HTTP_HOST="alpha.localhost").content.decode()
    beta_admin = login("beta", "tenant_admin")
    assert beta_admin.get("/comments/", HTTP_HOST="alpha.localhost").status_code == 302


def test_a_transfer_takes_the_contact_along_and_leaves_none_behind(gql, alpha, beta):
    hub = centre()
    result = submit(text="不知道该找哪个单位", contact_name="孙八", contact_phone=PHONE, contact_email="sun@example.com")
    county = User.objects.get(username="county_supervisor")
    services.transfer_comment(hub, result.comment.pk, beta, county_user=county, reason="属乙镇")
    connection.set_schema_to_public()
    with schema_context("alpha"):
        admin = User.objects.get(username="tenant_admin")  # any handling role: the refusal is about the state
    with schema_context("fbcentre"):
        original = PublicComment.objects.get(pk=result.comment.pk)
        assert (original.contact_name, original.contact_phone, original.contact_email) == ("", "", "")
        with pytest.raises(DomainError) as refused:
            services.read_contact(original.pk, user=admin)
        assert refused.value.errors[0].code == "NOT_ALLOWED"
    with schema_context("beta"):
        copy = PublicComment.objects.get(receipt_code=result.receipt_code)
        assert (copy.contact_name, copy.contact_phone, copy.contact_email) == ("孙八", PHONE, "sun@example.com")
    connection.set_schema_to_public()


def test_a_complaint_with_a_rectification_is_not_transferred(alpha, beta):
    result = submit(unit="alpha", text="窗口推诿", category="COMPLAINT", contact_name="周九", contact_phone=PHONE)
    assert result.rectification_id is not None
    with pytest.raises(DomainError) as refused:
        services.transfer_comment(alpha, result.comment.pk, beta, reason="转乙镇",
                                  county_user=User.objects.get(username="county_supervisor"))
    assert refused.value.errors[0].code == "HAS_RECTIFICATION"
    connection.set_schema_to_public()
    with schema_context("alpha"):
        assert PublicComment.objects.get(pk=result.comment.pk).status == "OPEN"
        # A name and phone typed into a public form are not 实名 (only staff taking the call vouch for them).
        assert Rectification.objects.get(pk=result.rectification_id).is_real_name is False
    connection.set_schema_to_public()
