"""Hall boards over websockets, through the real ASGI application (config.asgi): tenant from the Host header, board
tokens, order of events, snapshots, manager alerts, and GraphQL subscriptions over graphql-transport-ws.

Ratings are committed (the consumer reads on channels' own database thread); `committed` removes them."""
from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django_tenants.utils import schema_context

from config.asgi import application
from realtime.consumers import SNAPSHOT_MIN_INTERVAL
from conftest import host_of

from .conftest import rate

pytestmark = [pytest.mark.django_db, pytest.mark.asyncio, pytest.mark.usefixtures("committed")]


def socket(slug: str, path: str, *, cookie: str | None = None, subprotocols=None, host: str | None = None):
    host = host or host_of(slug)
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)


@database_sync_to_async
def board_token(slug: str, hall: str = "H01") -> str:
    from haochaping.boards import services

    with schema_context(slug):
        return services.board_token(services.hall_by_code(hall))


@database_sync_to_async
def session_cookie(slug: str, username: str, email: str = "") -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from haochaping.accounts.models import User

    with schema_context(slug):
        user = User.objects.get(username=username)
        if email:
            User.objects.filter(pk=user.pk).update(email=email)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"sessionid={session.session_key}"


committed_rate = database_sync_to_async(rate)


async def open_board(slug: str, token: str, hall: str = "H01"):
    board = socket(slug, f"/ws/board/{hall}/?t={token}")
    connected, _ = await board.connect()
    assert connected
    snapshot = await board.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot" and snapshot["v"] == 1 and snapshot["hall"] == hall
    return board, snapshot


# --- the board socket ------------------------------------------------------------------------------------------


async def test_board_receives_its_halls_events_in_order():
    board, snapshot = await open_board("alpha", await board_token("alpha"))
    try:
        start = snapshot["seq"]
        grades = [5, 4, 3, 5, 1]
        for grade in grades:
            await committed_rate("alpha", grade, comment=f"第{grade}级")
        events = [await board.receive_json_from(timeout=5) for _ in grades]
        assert [e["seq"] for e in events] == list(range(start + 1, start + 6))
        assert [e["rating"]["grade"] for e in events] == grades
        assert all(e["type"] == "rating" and e["hall"] == "H01" and e["v"] == 1 for e in events)
        # A board that saw a gap asks for a snapshot, which already counts them all.
        await asyncio.sleep(SNAPSHOT_MIN_INTERVAL)
        await board.send_json_to({"type": "snapshot"})
        fresh = await board.receive_json_from(timeout=5)
        assert fresh["seq"] == start + 5 and fresh["totals"]["total"] == snapshot["totals"]["total"] + 5
    finally:
        await board.disconnect()


async def test_tenant_b_board_hears_nothing_of_tenant_a():
    alpha, _ = await open_board("alpha", await board_token("alpha"))
    beta, _ = await open_board("beta", await board_token("beta"))  # same hall code, same primary keys
    try:
        await committed_rate("alpha", 2, comment="甲镇的差评")
        event = await alpha.receive_json_from(timeout=5)
        assert event["rating"]["comment"] == "甲镇的差评"
        assert await beta.receive_nothing(timeout=0.5)
        await committed_rate("beta", 5)
        assert (await beta.receive_json_from(timeout=5))["rating"]["grade"] == 5
        assert await alpha.receive_nothing(timeout=0.5)
    finally:
        await alpha.disconnect()
        await beta.disconnect()


@pytest.mark.parametrize("case", ["no token", "garbage", "other tenant's token", "other hall", "unknown hall",
                                  "unknown host"])
async def test_bad_tokens_unknown_halls_and_hosts_are_refused_before_accept(case):
    alpha_token, beta_token = await board_token("alpha"), await board_token("beta")
    path, slug, host = f"/ws/board/H01/?t={alpha_token}", "alpha", None
    if case == "no token":
        path = "/ws/board/H01/"
    elif case == "garbage":
        path = "/ws/board/H01/?t=abc.def"
    elif case == "other tenant's token":
        path = f"/ws/board/H01/?t={beta_token}"
    elif case == "other hall":
        await database_sync_to_async(_second_hall)()
        path = f"/ws/board/H02/?t={alpha_token}"
    elif case == "unknown hall":
        path = f"/ws/board/NOPE/?t={alpha_token}"
    elif case == "unknown host":
        host = "nowhere.localhost"
    communicator = socket(slug, path, host=host)
    connected, code = await communicator.connect()
    assert not connected
    assert code == {"unknown host": 4404, "unknown hall": 4404}.get(case, 4403)


def _second_hall():
    from haochaping.organizations.models import ServiceOrg

    with schema_context("alpha"):
        ServiceOrg.objects.get_or_create(code="H02", defaults={"kind": "HALL", "name": "甲镇第二大厅"})


async def test_snapshot_requests_are_rate_limited_per_socket():
    board, _ = await open_board("alpha", await board_token("alpha"))
    try:
        await asyncio.sleep(SNAPSHOT_MIN_INTERVAL)
        await board.send_json_to({"type": "snapshot"})
        await board.send_json_to({"type": "snapshot"})
        assert (await board.receive_json_from(timeout=5))["type"] == "snapshot"
        assert await board.receive_nothing(timeout=0.3)  # the second one within a second was ignored
        await board.send_json_to({"type": "ping"})
        assert (await board.receive_json_from(timeout=5))["type"] == "pong"
        await board.send_to(text_data="not json")  # ignored, the socket stays up
        await board.send_json_to({"type": "ping"})
        assert (await board.receive_json_from(timeout=5))["type"] == "pong"
    finally:
        await board.disconnect()


# --- the manager view and alerts -------------------------------------------------------------------------------


async def test_manager_view_gets_alerts_the_board_does_not():
    cookie = await session_cookie("alpha", "agency", email="agency@example.com")
    manager = socket("alpha", "/ws/board/H01/manage/", cookie=cookie)
    connected, _ = await manager.connect()
    assert connected
    snapshot = await manager.receive_json_from(timeout=5)
    assert snapshot["alerts"] == []
    board, board_snapshot = await open_board("alpha", await board_token("alpha"))
    assert "alerts" not in board_snapshot
    try:
        for grade in (5, 1, 2, 1):
            await committed_rate("alpha", grade)
        received = [await manager.receive_json_from(timeout=5) for _ in range(5)]
        alerts = [m for m in received if m["type"] == "alert"]
        assert len(alerts) == 1 and alerts[0]["alert"]["state"] == "OPEN" and alerts[0]["alert"]["window"] == "W01"
        assert alerts[0]["alert"]["badRatings"] == 3 and alerts[0]["alert"]["ratings"] == 4
        assert received[-1] == alerts[0]  # the alert follows the rating that raised it
        board_messages = [await board.receive_json_from(timeout=5) for _ in range(4)]
        assert {m["type"] for m in board_messages} == {"rating"}
        assert await board.receive_nothing(timeout=0.3)

        # Acknowledged (by the service the mutation calls): the manager view hears that too.
        await database_sync_to_async(_acknowledge_open_alert)("alpha", "agency")
        acked = await manager.receive_json_from(timeout=5)
        assert acked["type"] == "alert" and acked["alert"]["state"] == "ACKNOWLEDGED"
        assert await board.receive_nothing(timeout=0.3)
    finally:
        await manager.disconnect()
        await board.disconnect()


def _acknowledge_open_alert(slug: str, username: str):
    from haochaping.accounts.models import User
    from haochaping.boards.models import BoardAlert
    from haochaping.boards.services import acknowledge_alert

    with schema_context(slug):
        acknowledge_alert(BoardAlert.objects.get(state="OPEN").pk, User.objects.get(username=username))


@pytest.mark.parametrize("who", ["anonymous", "viewer", "alpha agency on beta"])
async def test_manager_view_refuses_non_managers(who):
    cookie = None
    slug = "alpha"
    if who == "viewer":
        cookie = await session_cookie("alpha", "viewer")
    elif who == "alpha agency on beta":
        cookie, slug = await session_cookie("alpha", "agency"), "beta"
    manager = socket(slug, "/ws/board/H01/manage/", cookie=cookie)
    connected, code = await manager.connect()
    assert not connected and code == 4403


# --- GraphQL subscriptions (graphql-transport-ws) --------------------------------------------------------------

SUBSCRIBE = "subscription($hall: String!) { evaluationAdded(hallCode: $hall) { version hall seq rating { grade window comment } } }"


async def graphql_socket(slug: str, init: dict | None, *, cookie: str | None = None):
    ws = socket(slug, "/graphql/", cookie=cookie, subprotocols=["graphql-transport-ws"])
    connected, protocol = await ws.connect()
    assert connected and protocol == "graphql-transport-ws"
    if init is not None:
        await ws.send_json_to({"type": "connection_init", "payload": init})
    return ws


async def subscribe(ws, op_id: str, hall: str = "H01", query: str = SUBSCRIBE):
    await ws.send_json_to({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": {"hall": hall}}})


async def test_subscription_with_a_board_token_streams_its_hall_only():
    ws = await graphql_socket("alpha", {"boardToken": await board_token("alpha"), "hallCode": "H01"})
    beta_ws = await graphql_socket("beta", {"boardToken": await board_token("beta"), "hallCode": "H01"})
    try:
        assert (await ws.receive_json_from(timeout=5))["type"] == "connection_ack"
        assert (await beta_ws.receive_json_from(timeout=5))["type"] == "connection_ack"
        await subscribe(ws, "1")
        await subscribe(beta_ws, "1")
        await ws.receive_nothing(timeout=0.3)  # the subscription joins its group before the rating
        await committed_rate("alpha", 4, comment="窗口服务好")
        message = await ws.receive_json_from(timeout=5)
        assert message["type"] == "next" and message["id"] == "1"
        event = message["payload"]["data"]["evaluationAdded"]
        assert event["hall"] == "H01" and event["version"] == 1 and event["rating"] == {
            "grade": 4, "window": "W01", "comment": "窗口服务好"}
        assert await beta_ws.receive_nothing(timeout=0.5)

        # The board token opens its own hall only.
        await database_sync_to_async(_second_hall)()
        await subscribe(ws, "2", hall="H02")
        refused = await ws.receive_json_from(timeout=5)
        assert refused["id"] == "2" and refused["type"] in ("error", "next")
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    finally:
        await ws.disconnect()
        await beta_ws.disconnect()


async def test_subscription_needs_authentication_before_it_starts():
    ws = await graphql_socket("alpha", None)
    await subscribe(ws, "1")  # before connection_init
    assert (await ws.receive_output(timeout=5))["code"] == 4401

    ws = await graphql_socket("alpha", {})
    assert (await ws.receive_output(timeout=5))["code"] == 4403
    ws = await graphql_socket("alpha", {"authorization": "Bearer hcp_nope_nope"})
    assert (await ws.receive_output(timeout=5))["code"] == 4403
    ws = await graphql_socket("alpha", {"boardToken": await board_token("beta"), "hallCode": "H01"})
    assert (await ws.receive_output(timeout=5))["code"] == 4403


async def test_subscription_with_a_read_token_or_session_and_a_cap_per_connection():
    secret = await database_sync_to_async(_read_token)("alpha")
    ws = await graphql_socket("alpha", {"authorization": f"Bearer {secret}"})
    cookie_ws = await graphql_socket("alpha", {}, cookie=await session_cookie("alpha", "viewer"))
    try:
        assert (await ws.receive_json_from(timeout=5))["type"] == "connection_ack"
        assert (await cookie_ws.receive_json_from(timeout=5))["type"] == "connection_ack"
        for n in range(5):
            await subscribe(ws, str(n))
        await subscribe(ws, "6")
        capped = await ws.receive_json_from(timeout=5)
        assert capped["id"] == "6" and capped["type"] == "error" and "limit" in capped["payload"][0]["message"]
        await subscribe(cookie_ws, "a")
        await cookie_ws.receive_nothing(timeout=0.3)
        await committed_rate("alpha", 3)
        got = [await ws.receive_json_from(timeout=5) for _ in range(5)]
        assert sorted(m["id"] for m in got) == ["0", "1", "2", "3", "4"]
        assert (await cookie_ws.receive_json_from(timeout=5))["payload"]["data"]["evaluationAdded"]["rating"]["grade"] == 3
    finally:
        await ws.disconnect()
        await cookie_ws.disconnect()


def _read_token(slug: str) -> str:
    from haochaping.accounts.tokens import issue_token

    with schema_context(slug):
        return issue_token(name="大屏集成", kind="SYSTEM", scopes=["read"]).secret


async def test_queries_and_mutations_stay_on_http():
    ws = await graphql_socket("alpha", {"boardToken": await board_token("alpha"), "hallCode": "H01"})
    try:
        assert (await ws.receive_json_from(timeout=5))["type"] == "connection_ack"
        await ws.send_json_to({"id": "q", "type": "subscribe", "payload": {"query": "{ windows { totalCount } }"}})
        answer = await ws.receive_json_from(timeout=5)
        assert answer["type"] == "error" and "windows" in answer["payload"][0]["message"]
        await ws.send_json_to({"id": "s", "type": "subscribe", "payload": {
            "query": 'query { hallBoard(hallCode: "H01") { board { hall seq totals { total } } errors { code } } }'}})
        snapshot = await ws.receive_json_from(timeout=5)
        assert snapshot["type"] == "next" and snapshot["payload"]["data"]["hallBoard"]["board"]["hall"] == "H01"
    finally:
        await ws.disconnect()
