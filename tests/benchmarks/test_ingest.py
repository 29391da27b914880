"""Rating ingest: `submitEvaluation` POSTed over HTTP to a real daphne server on a tenant host, with every rating
durably committed before it is acknowledged. Targets (DESIGN.md §8, a stretch goal): ≥ 1,000 ratings/s,
p99 ≤ 100 ms at 500/s offered; reported beside the raw PostgreSQL single-row INSERT+COMMIT rate measured in
the same run.

The server runs against the test database (committed fixture rows: alpha's seeded item and a business-system
token issued here); the load generator is asyncio with raw keep-alive sockets in this process, on loopback
only, bounded in count and time. Every acknowledged rating is then counted in the database, and everything the
run committed is removed."""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from bench_report import write_section
from conftest import delete_rectifications, run_committed

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
HOST = "alpha.localhost"
POOL_SIZE = 8
CLOSED_CONNECTIONS = 16  # concurrent clients in the closed loop (each waits for its answer, then sends again)
CLOSED_SECONDS = 20.0
OPEN_SECONDS = 10.0
SCALE_PROCESSES = int(os.environ.get("INGEST_PROCESSES", 2))
OPEN_CONNECTIONS = 64  # sockets available to the open-loop generator; requests wait for one if all are busy
MAX_BACKLOG_SECONDS = 2.0  # an open loop stops offering once this much unanswered work has piled up
TARGET_RATE = 500
RAW_SECONDS = 5.0
MAX_REQUESTS = 60_000  # hard bound on everything this benchmark sends
GRADES = (5, 4, 5, 5, 3, 4, 5, 2, 5, 4)  # one bad review in ten, so rectifications are opened too
SUBMIT = ("mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) "
          "{ replayed evaluation { id } errors { code } } }")


# --------------------------------------------------------------------------------------------- fixture rows


def _setup() -> dict:
    from haochaping.accounts.tokens import issue_token
    from haochaping.core.ids import global_id
    from haochaping.evaluations.models import Questionnaire
    from haochaping.integrity.models import SuspicionFlag
    from haochaping.items.models import ServiceItem
    from haochaping.jobs.models import Job

    with schema_context("public"):
        marks = {"job": _max_pk(Job), "flag": _max_pk(SuspicionFlag)}
    with schema_context("alpha"):
        from haochaping.notifications.models import Notification

        issued = issue_token(name="压测业务系统", kind="SYSTEM", scopes=["evaluations:write"])
        item = ServiceItem.objects.get(catalog_item__code="TEST-001")
        marks["notification"] = _max_pk(Notification)
        return {"secret": issued.secret, "token_pk": issued.token.pk, "item": global_id("ServiceItem", item.pk),
                "had_default_form": Questionnaire.objects.filter(item__isnull=True).exists(), "marks": marks}


def _max_pk(model) -> int:
    return model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0


def _count_stored(prefix: str) -> int:
    from haochaping.evaluations.models import Evaluation

    with schema_context("alpha"):
        return Evaluation.objects.filter(idempotency_key__startswith=prefix).count()


def _cleanup(data: dict, prefix: str) -> int:
    from haochaping.accounts.models import ApiToken
    from haochaping.evaluations.models import Evaluation, Questionnaire
    from haochaping.integrity.models import SuspicionFlag
    from haochaping.jobs.models import Job
    from haochaping.notifications.models import Notification
    from haochaping.rectification.models import Rectification

    marks = data["marks"]
    with schema_context("alpha"):
        # Events are append-only: the suite's helper removes them with their rectifications.
        delete_rectifications(Rectification.objects.filter(evaluation__idempotency_key__startswith=prefix))
        Evaluation.objects.filter(idempotency_key__startswith=prefix).delete()
        Notification.objects.filter(pk__gt=marks["notification"]).delete()
        ApiToken.objects.filter(pk=data["token_pk"]).delete()
        if not data["had_default_form"]:
            Questionnaire.objects.filter(item__isnull=True).exclude(
                pk__in=Evaluation.objects.filter(questionnaire__isnull=False).values("questionnaire_id")).delete()
        left = Evaluation.objects.filter(idempotency_key__startswith=prefix).count()
    with schema_context("public"):
        Job.objects.filter(pk__gt=marks["job"]).delete()
        SuspicionFlag.objects.filter(pk__gt=marks["flag"]).delete()
    return left


def _domain_only(data: dict, client_prefix: str, n: int = 200) -> dict:
    """The domain service alone, in-process, committed like the server's: time and SQL statements per rating."""
    from django.test.utils import CaptureQueriesContext

    from haochaping.accounts.models import ApiToken
    from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
    from haochaping.items.models import ServiceItem

    with schema_context("alpha"):
        token = ApiToken.objects.get(pk=data["token_pk"])
        item = ServiceItem.objects.get(catalog_item__code="TEST-001").pk

        def one(k: int):
            submit_evaluation(EvaluationInput(grade=GRADES[k % len(GRADES)], channel="MOBILE_APP", item_id=item,
                                              idempotency_key=f"{client_prefix}domain-{k}"), Submitter(token=token))

        one(-1)
        with CaptureQueriesContext(connection) as captured:
            one(-2)
        started = time.perf_counter()
        for k in range(n):
            one(k)
        elapsed = time.perf_counter() - started
    sql = [q["sql"] for q in captured.captured_queries]
    return {"ms": elapsed / n * 1000, "statements": len(sql),
            "search_path": sum(1 for q in sql if q.startswith("SET search_path")), "count": n + 2}


# --------------------------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{quote(s['NAME'])}"


class Daphne:
    def __init__(self):
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="daphne-bench-", suffix=".log", delete=False)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(["platform", "."]), DATABASE_URL=_database_url(),
                   DB_POOL_MAX_SIZE=str(POOL_SIZE), DJANGO_DEBUG="0", LOG_LEVEL="WARNING")
        if not os.environ.get("REDIS_URL"):
            env.pop("REDIS_URL", None)
        self.process = subprocess.Popen([str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "-v", "0",
                                         "config.asgi:application"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not start: {self.tail()}")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        Path(self.log.name).unlink(missing_ok=True)


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --------------------------------------------------------------------------------------------- load generator


class Load:
    """Builds requests with unique idempotency keys and records every outcome."""

    def __init__(self, ports: list[int], secret: str, item: str, prefix: str):
        self.ports, self.secret, self.item, self.prefix = ports, secret, item, prefix
        self.connections = 0  # sockets opened so far: spread over the servers in turn
        self.sent = 0
        self.acknowledged: set[str] = set()
        self.failures: list[str] = []

    def request(self, tag: str) -> bytes:
        if self.sent >= MAX_REQUESTS:
            raise RuntimeError("request bound reached")
        n = self.sent
        self.sent += 1
        body = json.dumps({"query": SUBMIT, "variables": {"input": {
            "grade": GRADES[n % len(GRADES)], "channel": "MOBILE_APP", "itemId": self.item,
            "idempotencyKey": f"{self.prefix}{tag}-{n}"}}}, separators=(",", ":")).encode()
        head = (f"POST /graphql/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {self.secret}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        return head + body

    async def connect(self):
        port = self.ports[self.connections % len(self.ports)]
        self.connections += 1
        return await asyncio.open_connection("127.0.0.1", port)

    async def send(self, conn, payload: bytes) -> bool:
        reader, writer = conn
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if match is None:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        body = await reader.readexactly(int(match.group(1)))
        if not head.startswith(b"HTTP/1.1 200"):
            self.failures.append(head.split(b"\r\n", 1)[0].decode())
            return False
        payload = json.loads(body)["data"]["submitEvaluation"]
        if payload["errors"] or not payload["evaluation"] or payload["replayed"]:
            self.failures.append(json.dumps(payload, ensure_ascii=False))
            return False
        self.acknowledged.add(payload["evaluation"]["id"])
        return True


async def closed_loop(load: Load, connections: int, seconds: float, tag: str) -> tuple[list[float], float]:
    """Each client sends, waits for the answer, sends again: the highest rate the server sustains."""
    latencies: list[float] = []
    conns = [await load.connect() for _ in range(connections)]
    start = time.perf_counter()
    deadline = start + seconds

    async def client(conn):
        while time.perf_counter() < deadline:
            payload = load.request(tag)
            sent = time.perf_counter()
            if await load.send(conn, payload):
                latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - start
    for _, writer in conns:
        writer.close()
    return latencies, elapsed


async def open_loop(load: Load, rate: float, seconds: float, tag: str) -> dict:
    """Requests are scheduled at a fixed rate whatever the answers do; a request's latency runs from its
    scheduled time (time spent waiting for a free socket counts), so a server that falls behind shows it."""
    total = int(rate * seconds)
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    conns = [await load.connect() for _ in range(OPEN_CONNECTIONS)]
    start = time.perf_counter()

    async def worker(conn):
        while True:
            scheduled = await queue.get()
            if scheduled is None:
                return
            if await load.send(conn, load.request(tag)):
                latencies.append(time.perf_counter() - scheduled)

    workers = [asyncio.create_task(worker(c)) for c in conns]
    offered, saturated_at = 0, None
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if queue.qsize() > rate * MAX_BACKLOG_SECONDS:  # the server is far behind: stop, don't pile on
            saturated_at = time.perf_counter() - start
            break
        queue.put_nowait(due)
        offered += 1
    offered_for = time.perf_counter() - start
    for _ in workers:
        queue.put_nowait(None)
    try:
        await asyncio.wait_for(asyncio.gather(*workers), timeout=MAX_BACKLOG_SECONDS * 4 + 60)
    finally:
        for _, writer in conns:
            writer.close()
    elapsed = time.perf_counter() - start
    return {"rate": rate, "sent": offered, "ok": len(latencies), "elapsed": elapsed, "offered_for": offered_for,
            "saturated_at": saturated_at, "latencies": latencies}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


# --------------------------------------------------------------------------------------------- raw PostgreSQL


def raw_insert_rates() -> dict:
    """Single-row INSERT + COMMIT (autocommit) over TCP into a scratch table: one connection, then eight."""
    s = connection.settings_dict
    params = dict(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"], user=s["USER"] or "postgres",
                  password=s["PASSWORD"] or None, autocommit=True)
    table = f"bench_raw_insert_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**params) as conn:
        conn.execute(f"CREATE TABLE public.{table} (id bigserial PRIMARY KEY, grade smallint NOT NULL, "
                     "idempotency_key varchar(80) UNIQUE, created_at timestamptz NOT NULL DEFAULT now())")
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay")}
    try:
        def run(threads: int) -> float:
            counts = [0] * threads
            deadline = time.perf_counter() + RAW_SECONDS

            def writer(k):
                with psycopg.connect(**params) as conn:
                    n = 0
                    while time.perf_counter() < deadline:
                        conn.execute(f"INSERT INTO public.{table} (grade, idempotency_key) VALUES (%s, %s)",
                                     (4, f"{threads}-{k}-{n}"))
                        n += 1
                    counts[k] = n

            started = time.perf_counter()
            pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            return sum(counts) / (time.perf_counter() - started)

        return {"one": run(1), "eight": run(8), "settings": settings}
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(f"DROP TABLE IF EXISTS public.{table}")


# --------------------------------------------------------------------------------------------- the benchmark


@pytest.mark.django_db
def test_ingest_rate():
    data = run_committed(_setup)
    client_prefix = f"bench-{uuid.uuid4().hex[:6]}-"
    prefix = f"token:{data['token_pk']}:{client_prefix}"  # as stored: keys are scoped to their caller
    server = Daphne()
    try:
        server.wait_ready()
        load = Load([server.port], data["secret"], data["item"], client_prefix)

        async def warm_up():
            conns = [await load.connect() for _ in range(8)]
            for _ in range(25):
                await asyncio.gather(*(load.send(c, load.request("warm")) for c in conns))
            for _, writer in conns:
                writer.close()

        asyncio.run(warm_up())
        assert not load.failures, load.failures[:5]

        single, single_elapsed = asyncio.run(closed_loop(load, 1, 5.0, "single"))
        cpu_before, busy_before = server.cpu_seconds(), _machine_busy()
        closed, closed_elapsed = asyncio.run(closed_loop(load, CLOSED_CONNECTIONS, CLOSED_SECONDS, "closed"))
        cpu_after, busy_after = server.cpu_seconds(), _machine_busy()
        sustained = len(closed) / closed_elapsed
        server_cores = (cpu_after - cpu_before) / closed_elapsed
        machine = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
        cpu_ms = (cpu_after - cpu_before) / max(1, len(closed)) * 1000

        at_target = asyncio.run(open_loop(load, TARGET_RATE, OPEN_SECONDS, "open500"))
        runs = [at_target]
        sustainable_rate = max(5, int(sustained * 0.8 / 5) * 5)
        if sustainable_rate < TARGET_RATE:
            runs.append(asyncio.run(open_loop(load, sustainable_rate, OPEN_SECONDS, "open-sustainable")))
    finally:
        server.stop()

    # Scale-out on this machine: SCALE_PROCESSES daphne processes, the closed loop's clients spread over them.
    servers = [Daphne() for _ in range(SCALE_PROCESSES)]
    try:
        for each in servers:
            each.wait_ready()
        load.ports = [each.port for each in servers]
        asyncio.run(closed_loop(load, SCALE_PROCESSES * 4, 3.0, "scale-warm"))
        cpu_before = sum(each.cpu_seconds() for each in servers)
        scaled, scaled_elapsed = asyncio.run(closed_loop(load, CLOSED_CONNECTIONS, CLOSED_SECONDS, "scale"))
        scaled_cpu_ms = (sum(each.cpu_seconds() for each in servers) - cpu_before) / max(1, len(scaled)) * 1000
    finally:
        for each in servers:
            each.stop()
    scaled_rate = len(scaled) / scaled_elapsed

    raw = raw_insert_rates()
    domain = run_committed(_domain_only, data, client_prefix)
    stored = run_committed(_count_stored, prefix) - domain["count"]
    acknowledged = len(load.acknowledged)
    left = run_committed(_cleanup, data, prefix)
    connection.set_schema_to_public()

    def open_row(r: dict) -> str:
        achieved = r["ok"] / r["elapsed"]
        if r["saturated_at"] is not None:
            how = (f"not sustainable: {MAX_BACKLOG_SECONDS:.0f} s of backlog after {r['saturated_at']:.1f} s, "
                   f"{r['sent']} offered, {achieved:.0f}/s answered")
        else:
            how = f"{r['sent']} offered in {r['offered_for']:.0f} s, all answered, {achieved:.0f}/s"
        target = " ≤ 100 ms |" if r["rate"] == TARGET_RATE else " |"
        return (f"| open loop at {r['rate']:.0f}/s offered: p50 / p99 | {pct(r['latencies'], 0.5):.0f} ms / "
                f"**{pct(r['latencies'], 0.99):.0f} ms** ({how}) |{target}")

    framework_ms = cpu_ms - domain["ms"]
    body = f"""\
One daphne process (`config.asgi`, DB pool max {POOL_SIZE}, DEBUG off) on 127.0.0.1 serves alpha's host; the load
generator (asyncio, keep-alive HTTP/1.1 sockets, in the pytest process) runs on the same 2-core machine. Each
request is a business system's `submitEvaluation` (system token, channel MOBILE_APP, itemId, a fresh idempotency
key, grades 5/4/3 with one bad review in ten, which opens its rectification in the same transaction). Only an
answer carrying the evaluation and no error counts as acknowledged, and each is committed before it is answered.

| measure | result | target |
|---|---|---|
| sustained, closed loop ({CLOSED_CONNECTIONS} clients, {CLOSED_SECONDS:.0f} s) | **{sustained:.0f} ratings/s** committed | ≥ 1,000/s (stretch) |
| latency in that loop: p50 / p99 | {pct(closed, 0.5):.0f} ms / {pct(closed, 0.99):.0f} ms | |
| one client alone (5 s, {len(single) / single_elapsed:.0f}/s): p50 / p99 | {pct(single, 0.5):.0f} ms / {pct(single, 0.99):.0f} ms | |
{chr(10).join(open_row(r) for r in runs)}
| {SCALE_PROCESSES} daphne processes, closed loop ({CLOSED_CONNECTIONS} clients spread over them, {CLOSED_SECONDS:.0f} s) | **{scaled_rate:.0f} ratings/s** ({scaled_rate / max(sustained, 1):.2f}× one process); p50 / p99 {pct(scaled, 0.5):.0f} / {pct(scaled, 0.99):.0f} ms; {scaled_cpu_ms:.1f} ms of server CPU per rating | |
| raw PostgreSQL single-row INSERT+COMMIT over TCP, 1 connection | {raw['one']:.0f} rows/s | |
| the same, 8 connections | {raw['eight']:.0f} rows/s | |
| acknowledged vs stored | {acknowledged} acknowledged, {stored} stored, {len(load.failures)} failed | equal |

Open-loop latency runs from each request's scheduled send time (waiting for a free socket counts). When 500/s
is beyond the server, a rate it sustains is measured too (80% of the closed-loop rate).

**What limits it: Python CPU per request, not PostgreSQL.** During the closed loop the daphne process used
{server_cores:.2f} CPU cores, {cpu_ms:.1f} ms of CPU per rating; the whole machine was {machine * 100:.0f}% busy.
One Python process runs one request's Python at a time (GIL), so one daphne process cannot exceed
≈ 1000 / {cpu_ms:.1f} ≈ {1000 / cpu_ms:.0f} ratings/s. Of those {cpu_ms:.1f} ms, the domain service alone
(`submit_evaluation`: validation and the insert transaction, measured in-process) takes {domain['ms']:.1f} ms and
{domain['statements']} SQL statements per rating ({domain['search_path']} of them `SET search_path`: django-tenants sets it
once per schema switch, `TENANT_LIMIT_SET_CALLS`); the other ≈ {framework_ms:.0f} ms are HTTP/ASGI (daphne, a thread per request), the
middleware (tenant lookup by host, token check) and strawberry's parse, validation and serialisation.
PostgreSQL commits {raw['one']:.0f} single-row transactions/s on one connection and {raw['eight']:.0f}/s on eight
(synchronous_commit {raw['settings']['synchronous_commit']}, fsync {raw['settings']['fsync']},
wal_sync_method {raw['settings']['wal_sync_method']}): {raw['one'] / max(sustained, 1):.0f}× what the stack
delivers. {SCALE_PROCESSES} processes on these 2 cores (with the load generator and PostgreSQL on the same cores) give
{scaled_rate:.0f}/s: the rate grows with processes until the cores are full, so the target needs about
1000 × {cpu_ms:.0f} ms ≈ {cpu_ms:.0f} cores of daphne behind the proxy (DESIGN §10), fewer statements per rating
(cached policy, guide and form), or a lighter path than a full GraphQL request per rating (e.g. batched device
uploads).
"""
    write_section("ingest", "Rating ingest (submitEvaluation over HTTP)",
                  "make bench PYTEST_ARGS=\"-k ingest\"", body)
    print(body)
    assert left == 0, "committed benchmark rows were left behind"
    assert not load.failures, load.failures[:5]
    assert stored == acknowledged, "an acknowledged rating is missing (or an unacknowledged one was stored)"
    assert sustained > 0
