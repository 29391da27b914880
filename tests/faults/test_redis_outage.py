"""Redis stopped: a daphne process whose channel layer and rate-limit cache live on a private Redis keeps accepting
ratings while that Redis is down (each one acknowledged with a receipt, each stored once), and a hall board
connected to that process hears ratings again once Redis is back, empty (the hub re-joins its groups every
BOARD_HUB_REFRESH_SECONDS, 1 s here, 60 s by default).

The ratings are anonymous QR ratings over HTTP GraphQL, committed by the server into the test database; `committed`
removes them afterwards. The IP rate limit counts them in Redis, so each submission while Redis is down takes the
limiter's fail-open path (haochaping.core.ratelimit)."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from boards.conftest import _marks, _restore
from boards.test_two_processes import SUBMIT, Board, _tokens
from browser.live import _spawn_daphne, _stop, _wait_ready
from conftest import run_committed
from faults.support import PrivateRedis, post_graphql

websockets = pytest.importorskip("websockets")

pytestmark = [pytest.mark.django_db, pytest.mark.faults]


@pytest.fixture
def committed(db):
    marks = run_committed(_marks)
    yield
    run_committed(_restore, marks)


@pytest.fixture
def redis_and_server(committed):
    redis = PrivateRedis().start()
    server = None
    try:
        settings_dict = dict(connection.settings_dict)
        assert settings_dict["NAME"].startswith("test"), settings_dict["NAME"]
        server = _wait_ready(_spawn_daphne(settings_dict, env={"REDIS_URL": redis.url,
                                                               "BOARD_HUB_REFRESH_SECONDS": "1"}), timeout=60)
        yield redis, server
    finally:
        if server is not None:
            _stop(server)
            server.log.unlink(missing_ok=True)
        redis.cleanup()


def _rate(server, window_token: str, grade: int) -> tuple[str, str]:
    """One QR rating; returns (idempotency key, receipt) only if the server acknowledged it."""
    key = str(uuid.uuid4())
    payload = post_graphql(server.port, "alpha", SUBMIT, {"t": window_token, "grade": grade, "key": key})
    assert "errors" not in payload, (payload, server.log.read_text()[-3000:])
    result = payload["data"]["submitEvaluation"]
    assert result["errors"] == [] and result["evaluation"]["receiptCode"], result
    return key, result["evaluation"]["receiptCode"]


def _stored(keys: list[str]) -> dict[str, list[str]]:
    from haochaping.evaluations.models import Evaluation

    with schema_context("alpha"):
        return {key: list(Evaluation.objects.filter(idempotency_key=f"anonymous:{key}")
                          .values_list("receipt_code", flat=True)) for key in keys}


@pytest.mark.asyncio
async def test_ratings_accepted_while_redis_is_down_and_broadcasts_resume(redis_and_server):
    redis, server = redis_and_server
    board_token, qr_token = await asyncio.to_thread(_tokens, "alpha")
    acknowledged: dict[str, str] = {}

    async def rate(grade: int) -> None:
        key, receipt = await asyncio.to_thread(_rate, server, qr_token, grade)
        acknowledged[key] = receipt

    async with Board(server, "alpha", board_token) as board:
        await rate(4)
        assert (await board.rating())["rating"]["grade"] == 4  # the layer works before the fault

        redis.stop()
        started = time.monotonic()
        for grade in (5, 3, 1, 4, 2):  # every one acknowledged with a receipt, none waits on Redis for long
            await rate(grade)
        assert time.monotonic() - started < 20
        # ...through the limiter's fail-open path (the IP counter lives in the stopped Redis).
        assert "rate-limit cache unavailable; allowing this ip attempt" in server.log.read_text()
        assert len(acknowledged) == 6

        redis.start()  # same port, empty: no groups, no counters
        # Broadcasts resume once the hub has re-joined the hall group (BOARD_HUB_REFRESH_SECONDS=1). Each probe is
        # a rating; rating events for the outage's ratings were dropped (boards resync by snapshot on a gap).
        deadline = time.monotonic() + 20
        heard = None
        while heard is None and time.monotonic() < deadline:
            await rate(5)
            try:
                while True:
                    message = await board.receive(timeout=1.5)
                    if message["type"] == "rating":
                        heard = message
                        break
            except TimeoutError:
                pass
        assert heard is not None, f"no broadcast within 20 s of Redis returning:\n{server.log.read_text()[-3000:]}"
        assert heard["hall"] == "H01" and heard["rating"]["window"] == "W01"

    assert server.process.poll() is None  # the server lived through it
    stored = await asyncio.to_thread(run_committed, _stored, list(acknowledged))
    assert stored == {key: [receipt] for key, receipt in acknowledged.items()}  # each once, with its receipt
