"""曝光: a circular goes public only after a second county admin approves it, and only redacted."""
from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.supervision.models import Circular

pytestmark = pytest.mark.django_db
REQUEST = ('mutation($c: ID!) { requestPublicNotice(circularId: $c, title: "关于张先生投诉的通报", '
           'body: "经核实，窗口人员推诿。举报人电话13812345678。") { notice { id state title body } errors { code } } }')
DECIDE = "mutation($id: ID!, $a: Boolean!) { decidePublicNotice(id: $id, approve: $a) { notice { state } errors { code } } }"


def circular_id() -> str:
    import base64

    with schema_context("public"):
        circular = Circular.objects.create(title="内部通报", body="内容", issued_by="县级：测试")
    return base64.b64encode(f"Circular:public:{circular.pk}".encode()).decode()


def test_a_second_admin_approves_and_the_portal_shows_it_redacted(gql, alpha):
    User.objects.create_user(username="county_admin2", password="Correct-Horse-42", role="COUNTY_ADMIN")
    proposed = gql("public", "county_supervisor")(REQUEST, {"c": circular_id()})["data"]["requestPublicNotice"]
    assert proposed["errors"] == [] and proposed["notice"]["state"] == "PENDING"
    assert "13812345678" not in proposed["notice"]["body"] and "张先生" not in proposed["notice"]["title"]
    assert "曝光台" in Client().get("/notices/", HTTP_HOST="localhost").content.decode()
    assert "经核实" not in Client().get("/notices/", HTTP_HOST="localhost").content.decode()  # not yet approved
    denied = gql("public", "county_supervisor").post(DECIDE, {"id": proposed["notice"]["id"], "a": True}).json()
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    approved = gql("public", "county_admin")(DECIDE, {"id": proposed["notice"]["id"], "a": True})["data"]
    assert approved["decidePublicNotice"] == {"notice": {"state": "PUBLISHED"}, "errors": []}
    html = Client().get("/notices/", HTTP_HOST="localhost").content.decode()
    assert "经核实" in html and "13812345678" not in html
    listed = gql("public")("{ publicNotices { title state } }")["data"]["publicNotices"]
    assert listed == [{"title": proposed["notice"]["title"], "state": "PUBLISHED"}]


def test_a_refused_notice_never_appears(gql, alpha):
    proposed = gql("public", "county_supervisor")(REQUEST, {"c": circular_id()})["data"]["requestPublicNotice"]
    refused = gql("public", "county_admin")(DECIDE, {"id": proposed["notice"]["id"], "a": False})["data"]
    assert refused["decidePublicNotice"]["notice"]["state"] == "REFUSED"
    assert gql("public")("{ publicNotices { title } }")["data"]["publicNotices"] == []
