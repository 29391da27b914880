"""PostgreSQL restarted under load, and a device replaying its offline queue twice, against a private PostgreSQL 15
cluster (initdb in a temp dir, spare port) holding a copy of the seeded test database, served by a daphne process
with the connection pool on (as `make run` runs it) and no Redis (in-memory layer and cache).

Nothing acknowledged is lost: a client counts a rating as acknowledged only when the server returned its receipt,
and retries anything else with the SAME idempotency key; after `pg_ctl restart -m fast` in the middle of the load,
every acknowledged rating is stored exactly once, with the receipt the client holds, and the server serves again."""
from __future__ import annotations

import threading
import time
import uuid
from base64 import b64encode
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from browser.live import _database_url, _spawn_daphne, _stop, _wait_ready
from faults.support import PrivatePostgres, manage_shell, post_graphql

pytestmark = [pytest.mark.faults, pytest.mark.django_db]  # django_db: pytest-django then creates the test database

SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  replayed evaluation { id grade receiptCode } errors { code message } } }"""

SETUP = """
import json
from django_tenants.utils import schema_context
from haochaping.accounts.tokens import issue_token
from haochaping.items.models import ServiceItem
from haochaping.organizations import services as orgs
from haochaping.organizations.models import Window
with schema_context("alpha"):
    token = issue_token(name="faults", kind="SYSTEM", scopes=["cases:write", "evaluations:write"]).secret
    paired = orgs.register_device(window_id=Window.objects.get(org__code="H01", code="W01").pk, serial="DEVFAULT",
                                  name="fault device")
    item = ServiceItem.objects.get(catalog_item__code="TEST-001").pk
print(json.dumps({"token": token, "device": paired.issued.secret, "device_id": paired.device.pk, "item": item}))
"""

LOAD_SECONDS = 10
RESTART_AFTER = 3
MAX_RATINGS = 200
CLIENTS = 6
PAUSE = 0.3  # between one client's ratings: ~15/s in all, so the load spans the restart


class Site:
    def __init__(self, pg: PrivatePostgres, dsn: str, server, secrets: dict):
        self.pg, self.dsn, self.server, self.secrets = pg, dsn, server, secrets

    def rows(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.dsn, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """Once per module (~10 s): the cluster, the copy of the test database, a token, a device and daphne."""
    import json

    with django_db_blocker.unblock():
        source = _database_url(dict(connection.settings_dict))
        settings_dict = dict(connection.settings_dict)
    assert settings_dict["NAME"].startswith("test"), settings_dict["NAME"]
    pg = PrivatePostgres().init()
    server = None
    try:
        pg.start()
        dsn = pg.copy_database(source, "hcp_faults")
        secrets = json.loads(manage_shell(dsn, SETUP, REDIS_URL="").strip().splitlines()[-1])
        server = _wait_ready(_spawn_daphne(settings_dict, env={"DATABASE_URL": dsn, "REDIS_URL": "",
                                                               "DB_POOL_MAX_SIZE": "4", "DB_POOL_MIN_SIZE": "2"}))
        yield Site(pg, dsn, server, secrets)
    finally:
        if server is not None:
            _stop(server)
            server.log.unlink(missing_ok=True)
        pg.cleanup()


def _gid(type_name: str, pk: int) -> str:
    return b64encode(f"{type_name}:alpha:{pk}".encode()).decode()


def _attempt(site: Site, values: dict, token: str) -> dict | None:
    """The submission's result if the server answered it (a receipt or a refusal); None if not: refused
    connection, reset, timeout, HTTP error, or a GraphQL error (the database was unavailable)."""
    try:
        payload = post_graphql(site.server.port, "alpha", SUBMIT, {"input": values}, token=token, timeout=10)
    except OSError:
        return None
    if payload.get("errors") or not payload.get("data"):
        return None
    return payload["data"]["submitEvaluation"]


def test_postgres_restarted_under_load_loses_and_doubles_nothing(site):
    item = _gid("ServiceItem", site.secrets["item"])
    token = site.secrets["token"]
    lock = threading.Lock()
    acknowledged: dict[str, tuple[str, str, float]] = {}  # key → (receipt, evaluation id, when)
    unacknowledged: list[str] = []
    refused: list[dict] = []
    failed_attempts = [0]
    spans: list[tuple[float, float]] = []  # (sent, answered or failed) of every attempt
    issued = [0]
    start = time.monotonic()
    load_end, give_up = start + LOAD_SECONDS, start + LOAD_SECONDS + 40

    def client(n: int) -> None:
        while time.monotonic() < load_end:
            with lock:
                if issued[0] >= MAX_RATINGS:
                    return
                issued[0] += 1
            key, grade = str(uuid.uuid4()), 3 + (n + issued[0]) % 3
            values = {"grade": grade, "channel": "MOBILE_APP", "itemId": item, "idempotencyKey": key}
            while True:  # retry until answered, always with the same key
                sent = time.monotonic()
                result = _attempt(site, values, token)
                with lock:
                    spans.append((sent, time.monotonic()))
                if result is not None:
                    break
                with lock:
                    failed_attempts[0] += 1
                if time.monotonic() > give_up:
                    with lock:
                        unacknowledged.append(key)
                    break
                time.sleep(0.2)
            time.sleep(PAUSE)
            if result is None:
                continue
            with lock:
                if result["errors"] or not result["evaluation"]:
                    refused.append(result)
                else:
                    acknowledged[key] = (result["evaluation"]["receiptCode"], result["evaluation"]["id"],
                                         time.monotonic())

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(RESTART_AFTER)
    restart_began = time.monotonic()
    site.pg.restart()  # fast: every open session is terminated mid-request
    restarted = time.monotonic()
    for thread in threads:
        thread.join(timeout=max(1.0, give_up - time.monotonic() + 15))
    assert not any(thread.is_alive() for thread in threads), "a client did not finish"

    assert refused == []
    assert unacknowledged == [], f"{len(unacknowledged)} ratings never acknowledged"
    # The fault reached the load: the postmaster is a new one, and requests were in flight while it was down (they
    # fail and are retried, or wait in the pool until it is back; either way the client sees one answer).
    assert site.rows("SELECT pg_postmaster_start_time() > now() - interval '1 minute'")[0][0]
    in_flight = [span for span in spans if span[0] < restarted and span[1] > restart_began]
    assert in_flight, "no request overlapped the restart: the fault was not injected"
    before = sum(1 for _, _, at in acknowledged.values() if at < restart_began)
    after = sum(1 for _, _, at in acknowledged.values() if at > restarted)
    assert before > 0 and after > 0, (before, after)  # load before the restart, and service after it

    # Stored exactly once each, with the receipt the client holds; nothing else stored under these keys.
    rows = site.rows("SELECT split_part(idempotency_key, ':', 3), receipt_code FROM alpha.evaluations_evaluation "
                     "WHERE channel = 'MOBILE_APP' AND idempotency_key LIKE 'token:%%'")
    stored: dict[str, list[str]] = {}
    for key, receipt in rows:
        stored.setdefault(key, []).append(receipt)
    assert {key: stored.get(key) for key in acknowledged} == {key: [ack[0]] for key, ack in acknowledged.items()}
    assert all(len(receipts) == 1 for receipts in stored.values())

    # The server serves again (the pool replaced its dead connections) and lived through it.
    fresh = _attempt(site, {"grade": 5, "channel": "MOBILE_APP", "itemId": item, "idempotencyKey": str(uuid.uuid4())},
                     token)
    assert fresh is not None and fresh["errors"] == [] and fresh["evaluation"]["receiptCode"]
    assert site.server.process.poll() is None
    print(f"\n{len(acknowledged)} acknowledged ({before} before the restart, {after} after), {len(in_flight)} "
          f"requests in flight during it, {failed_attempts[0]} failed attempts retried, restart took "
          f"{restarted - restart_began:.1f}s, slowest answer {max(end - sent for sent, end in spans):.1f}s")


def test_a_device_replaying_its_offline_queue_twice_stores_each_press_once(site):
    """Both replays at once (the device retried while its first replay was still in flight), then a third: every
    press stored once, every replay answered with the first result."""
    secret, device_id = site.secrets["device"], site.secrets["device_id"]
    start = timezone.now() - timedelta(minutes=20)
    queue = [{"grade": grade, "channel": "WINDOW_DEVICE", "idempotencyKey": f"offline-{uuid.uuid4().hex[:12]}-{n}",
              "ratedAt": (start + timedelta(seconds=11 * n)).isoformat()} for n, grade in enumerate([5, 4, 3, 5, 2, 4])]
    barrier = threading.Barrier(2)
    replays: list[list[dict | None]] = [[], []]

    def replay(results: list) -> None:
        barrier.wait(timeout=10)
        for press in queue:
            results.append(_attempt(site, press, secret))

    threads = [threading.Thread(target=replay, args=(results,), daemon=True) for results in replays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    third = [_attempt(site, press, secret) for press in queue]

    for one, two, three, press in zip(*replays, third, queue):
        for result in (one, two, three):
            assert result is not None and result["errors"] == [], result
        first = (one["evaluation"]["id"], one["evaluation"]["receiptCode"])
        assert (two["evaluation"]["id"], two["evaluation"]["receiptCode"]) == first
        assert (three["evaluation"]["id"], three["evaluation"]["receiptCode"]) == first
        assert sorted([one["replayed"], two["replayed"]]) == [False, True]  # one stored it, the other got its result
        assert three["replayed"] is True and three["evaluation"]["grade"] == press["grade"]

    rows = site.rows("SELECT split_part(idempotency_key, ':', 3), grade FROM alpha.evaluations_evaluation "
                     "WHERE device_id = %s ORDER BY rated_at", [device_id])
    assert rows == [(press["idempotencyKey"], press["grade"]) for press in queue]
