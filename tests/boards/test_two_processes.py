"""Boards across processes: two daphne processes serve the TEST database and share one Redis channel layer (the
REDIS_URL the tests run with), as two replicas behind a load balancer would. A rating submitted over HTTP GraphQL to
one process reaches a board socket held by the other, in sequence, with its grade; the other tenant's board on the
same processes hears nothing of it.

The ratings are anonymous QR ratings, committed by the servers; `committed` removes them (and the hall's board row,
the questionnaire stored with the first rating, any jobs or suspicion flags) afterwards."""
from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from browser.live import _spawn_daphne, _stop, _wait_ready  # tests/ is on sys.path (tests/conftest.py)
from conftest import run_committed

websockets = pytest.importorskip("websockets")

pytestmark = [pytest.mark.django_db, pytest.mark.asyncio, pytest.mark.usefixtures("committed")]

SUBMIT = """mutation($t: String!, $grade: Int!, $key: String!) {
  submitEvaluation(input: {grade: $grade, channel: QR_CODE, windowToken: $t, idempotencyKey: $key}) {
    evaluation { receiptCode grade } errors { code message }
  }
}"""


@pytest.fixture(scope="module")
def servers(django_db_setup):
    """Two daphne processes on the test database with the same REDIS_URL (inherited from os.environ)."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: without Redis each process has its own in-memory channel layer")
    settings_dict = dict(connection.settings_dict)
    assert settings_dict["NAME"].startswith("test"), settings_dict["NAME"]
    started = [_spawn_daphne(settings_dict), _spawn_daphne(settings_dict)]  # both boot at once
    try:
        for server in started:
            _wait_ready(server)
        yield started
    finally:
        for server in started:
            _stop(server)
            server.log.unlink(missing_ok=True)


def _tokens(slug: str) -> tuple[str, str]:
    """(board token for H01, QR token for W01), committed: the board token creates the hall's board row."""
    from haochaping.boards import services
    from haochaping.evaluations.submission import window_qr_token
    from haochaping.organizations.models import Window

    def make():
        with schema_context(slug):
            return (services.board_token(services.hall_by_code("H01")),
                    window_qr_token(Window.objects.get(org__code="H01", code="W01")))

    return run_committed(make)


def _submit(server, slug: str, window_token: str, grade: int, *, key: str | None = None,
            forwarded_for: str | None = None) -> dict:
    """A QR rating POSTed to /graphql/ on the tenant's host of that process (anonymous: no CSRF needed). `key` is the
    idempotency key (a fresh one by default); `forwarded_for` is sent as X-Forwarded-For, as a reverse proxy would
    (only a daphne started with --proxy-headers takes it as the client address)."""
    body = json.dumps({"query": SUBMIT, "variables": {"t": window_token, "grade": grade,
                                                      "key": key or str(uuid.uuid4())}}).encode()
    headers = {"Host": f"{slug}.localhost:{server.port}", "Content-Type": "application/json"}
    if forwarded_for:
        headers |= {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "http"}
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/graphql/", data=body, method="POST",
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    result = payload["data"]["submitEvaluation"]
    assert result["errors"] == [], result
    assert result["evaluation"]["grade"] == grade
    return result["evaluation"]


async def submit(server, slug: str, window_token: str, grade: int) -> dict:
    return await asyncio.to_thread(_submit, server, slug, window_token, grade)


class Board:
    """A board page's socket, as the browser opens it (the tenant's host resolved to 127.0.0.1, Origin matching)."""

    def __init__(self, server, slug: str, token: str):
        self.server, self.slug, self.token = server, slug, token

    async def __aenter__(self):
        port = self.server.port
        self.socket = await websockets.connect(f"ws://{self.slug}.localhost:{port}/ws/board/H01/?t={self.token}",
                                               host="127.0.0.1", origin=f"http://{self.slug}.localhost:{port}",
                                               open_timeout=10)
        self.snapshot = await self.receive()
        assert self.snapshot["type"] == "snapshot" and self.snapshot["hall"] == "H01"
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

    async def receive(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def rating(self) -> dict:
        message = await self.receive()
        assert message["type"] == "rating", message
        return message


async def test_a_rating_on_one_process_reaches_boards_on_the_other(servers):
    one, two = servers
    alpha_board, alpha_qr = await asyncio.to_thread(_tokens, "alpha")
    beta_board, beta_qr = await asyncio.to_thread(_tokens, "beta")

    async with Board(two, "alpha", alpha_board) as alpha_on_two, Board(one, "alpha", alpha_board) as alpha_on_one, \
            Board(one, "beta", beta_board) as beta_on_one:
        start = alpha_on_two.snapshot["seq"]
        assert alpha_on_one.snapshot["seq"] == start
        total = alpha_on_two.snapshot["totals"]["total"]

        # Rated on process 1: the board on process 2 receives it (the one on process 1 too).
        receipt = await submit(one, "alpha", alpha_qr, 4)
        event = await alpha_on_two.rating()
        assert (event["v"], event["hall"], event["seq"]) == (1, "H01", start + 1)
        rating = event["rating"]
        assert (rating["grade"], rating["window"], rating["bad"], rating["counted"]) == (4, "W01", False, True)
        assert "receiptCode" not in json.dumps(rating) and receipt["receiptCode"] not in json.dumps(event)
        assert (await alpha_on_one.rating())["seq"] == start + 1

        # The reverse: rated on process 2, heard on process 1 (and on 2), next in sequence.
        second = await submit(two, "alpha", alpha_qr, 2)
        event = await alpha_on_one.rating()
        assert (event["seq"], event["rating"]["grade"], event["rating"]["bad"]) == (start + 2, 2, True)
        assert (await alpha_on_two.rating())["seq"] == start + 2

        # A fresh board on process 2 starts from a snapshot that already counts both.
        async with Board(two, "alpha", alpha_board) as late:
            assert late.snapshot["seq"] == start + 2
            assert late.snapshot["totals"]["total"] == total + 2

        # Beta's board (same hall code, same primary keys) heard none of alpha's: the first thing it receives is
        # beta's own rating, submitted after alpha's were delivered.
        beta_start = beta_on_one.snapshot["seq"]
        await submit(two, "beta", beta_qr, 5)
        event = await beta_on_one.rating()
        assert (event["seq"], event["rating"]["grade"], event["rating"]["windowName"]) == (beta_start + 1, 5, "beta综合窗口")
        # ...and alpha's boards hear nothing of beta's.
        with pytest.raises(TimeoutError):
            await alpha_on_two.receive(timeout=0.5)
        with pytest.raises(TimeoutError):
            await alpha_on_one.receive(timeout=0.2)

    def stored():
        from haochaping.evaluations.models import Evaluation

        with schema_context("alpha"):
            return sorted(Evaluation.objects.filter(receipt_code__in=[receipt["receiptCode"], second["receiptCode"]])
                          .values_list("grade", "channel", "window__code"))

    assert await asyncio.to_thread(run_committed, stored) == [(2, "QR_CODE", "W01"), (4, "QR_CODE", "W01")]
