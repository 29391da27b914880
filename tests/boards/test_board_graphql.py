"""Hall boards through HTTP GraphQL on a tenant host: the snapshot for a board link, alerts, acknowledging them,
board links; and tenant isolation with identical primary keys (alpha and beta both have hall H01, window 1)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.boards import services
from haochaping.boards.models import BoardAlert, HallBoard
from haochaping.organizations.models import ServiceOrg, Window

from .conftest import rate

pytestmark = pytest.mark.django_db

SNAPSHOT = """query($hall: String!, $token: String) { hallBoard(hallCode: $hall, boardToken: $token) {
  board { hall hallName seq date totals { total bad satisfaction counts { grade count } }
          windows { code name figures { total } } trend { hour good bad } latest { window grade label comment } }
  errors { code message messageEn field } } }"""
ACK = "mutation($id: ID!) { acknowledgeBoardAlert(id: $id) { alert { id state } errors { code field } } }"


def token(slug: str) -> str:
    with schema_context(slug):
        value = services.board_token(ServiceOrg.objects.get(code="H01"))
    connection.set_schema_to_public()
    return value


def alert(slug: str) -> str:
    from schema.core.nodes import global_id

    with schema_context(slug):
        row = BoardAlert.objects.create(org=ServiceOrg.objects.get(code="H01"), window=Window.objects.get(pk=1),
                                        raised_at=timezone.now(), ratings=4, bad_ratings=3, period_minutes=15,
                                        threshold_percent=50)
        value = global_id("BoardAlert", row.pk)
    connection.set_schema_to_public()
    return value


def test_board_link_opens_the_anonymous_snapshot(gql, alpha):
    with schema_context("alpha"):
        rate("alpha", 5, comment="联系我13900001111")
        rate("alpha", 1)
    connection.set_schema_to_public()
    result = gql("alpha")(SNAPSHOT, {"hall": "H01", "token": token("alpha")})["data"]["hallBoard"]
    assert result["errors"] == []
    board = result["board"]
    assert board["hall"] == "H01" and board["seq"] == 2 and board["hallName"] == "alpha便民服务中心"
    assert board["totals"]["total"] == 2 and board["totals"]["satisfaction"] == 0.5
    assert [w["code"] for w in board["windows"]] == ["W01"]
    assert board["latest"][1]["comment"] == "联系我[电话]"


@pytest.mark.parametrize("case", ["none", "garbage", "beta's token"])
def test_snapshot_without_a_valid_link_is_refused_for_anonymous(gql, alpha, beta, case):
    value = {"none": None, "garbage": "x.y.z", "beta's token": token("beta")}[case]
    result = gql("alpha")(SNAPSHOT, {"hall": "H01", "token": value})["data"]["hallBoard"]
    assert result["board"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_TOKEN", "boardToken")]
    assert result["errors"][0]["message"] and result["errors"][0]["messageEn"]


def test_signed_in_reader_sees_any_hall_without_a_link(gql, alpha):
    result = gql("alpha", "viewer")(SNAPSHOT, {"hall": "H01"})["data"]["hallBoard"]
    assert result["errors"] == [] and result["board"]["hall"] == "H01"
    staff = gql("alpha", "staff")(SNAPSHOT, {"hall": "H01"})["data"]["hallBoard"]
    assert staff["board"] is None and staff["errors"][0]["code"] == "INVALID_TOKEN"


def test_board_alerts_and_acknowledge_on_the_hosts_own_rows(gql, alpha, beta):
    alpha_alert, beta_alert = alert("alpha"), alert("beta")  # same primary key in both schemas
    listed = gql("alpha", "agency")('{ boardAlerts(hallCode: "H01") { id state windowName } }')["data"]["boardAlerts"]
    assert listed == [{"id": alpha_alert, "state": "OPEN", "windowName": "alpha综合窗口"}]

    refused = gql("alpha", "agency")(ACK, {"id": beta_alert})["data"]["acknowledgeBoardAlert"]
    assert refused["alert"] is None and refused["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            assert BoardAlert.objects.get().state == "OPEN"
    connection.set_schema_to_public()

    done = gql("alpha", "agency")(ACK, {"id": alpha_alert})["data"]["acknowledgeBoardAlert"]
    assert done == {"alert": {"id": alpha_alert, "state": "ACKNOWLEDGED"}, "errors": []}
    with schema_context("beta"):
        assert BoardAlert.objects.get().state == "OPEN"


def test_viewer_who_is_not_a_hall_manager_cannot_acknowledge(gql, alpha):
    alpha_alert = alert("alpha")
    result = gql("alpha", "viewer")(ACK, {"id": alpha_alert})["data"]["acknowledgeBoardAlert"]
    assert result["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    denied = gql("alpha", "staff").post(ACK, {"id": alpha_alert}).json()
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_board_link_rotation_is_per_tenant(gql, alpha, beta):
    beta_token = token("beta")
    link = gql("alpha", "tenant_admin")('mutation { hallBoardLink(hallCode: "H01", rotate: true) { url errors { code } } }')
    url = link["data"]["hallBoardLink"]["url"]
    assert url.startswith("http://alpha.") and "/board/H01/?t=" in url
    with schema_context("alpha"):
        assert HallBoard.objects.get().token_version == 2
    with schema_context("beta"):
        assert not HallBoard.objects.filter(token_version=2).exists()
        assert services.hall_for_board_token("H01", beta_token).code == "H01"  # beta's link still works
