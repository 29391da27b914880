"""The production process layout in small (infra/README.md, docs/scaling.md): TWO daphne processes and ONE worker
(`manage.py run_worker`, with its e-mail intake listener) on the one test database and the one Redis of REDIS_URL,
the daphnes started with --proxy-headers as the systemd units start them behind nginx.

Forty anonymous QR ratings, each from its own client address (X-Forwarded-For, as nginx sets it), are submitted over
HTTP GraphQL to alternating processes, ten one by one and thirty eight at a time. Some keys are also sent to the other
process at the same moment (a device retry racing its first attempt), and some are retried there afterwards. Then:

- every rating is stored exactly once: one row per idempotency key, every retry answered with the first receipt;
- the client address each row was rated from is the forwarded one (the per-IP rate limit sees the citizen, not the
  proxy);
- board sockets held on EITHER process receive every one of the forty ratings, numbered start+1 … start+40;
- the worker folds them all: the tenant's counts (analytics.TenantCount) and the public counts grow by exactly the new
  raw rows, cell by cell.

The second test puts nginx with infra/nginx/haochaping.conf (only domain, ports, paths and upstreams replaced) in
front of the same two processes, when the machine has nginx and openssl (otherwise it skips): a board socket over
wss through the proxy hears ratings submitted through it; a client-supplied X-Forwarded-For is replaced by the address
nginx saw; static files come from disk, /media/ never, oversized bodies are refused, plain HTTP is redirected, an
unknown TLS name is refused.

Everything committed is removed afterwards (tests/scaleout/conftest.py, `committed`)."""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.test_two_processes import SUBMIT, Board, _submit, _tokens
from browser.live import ROOT, _database_url, _free_port, _spawn_daphne, _stop, _wait_ready
from conftest import run_committed
from faults.support import _kill_group, _port_open, manage_env, wait_for

websockets = pytest.importorskip("websockets")

pytestmark = [pytest.mark.django_db, pytest.mark.asyncio, pytest.mark.usefixtures("committed")]

RATINGS = 40
ONE_BY_ONE = 10
AT_ONCE = 8
RACED = range(10, 16)  # also sent to the other process at the same moment
RETRIED = range(0, 4)  # sent again to the other process once answered
SLUG = "alpha"


@pytest.fixture(scope="module")
def cluster(django_db_setup):
    """Two daphne processes (--proxy-headers) and one worker, all on the test database and REDIS_URL."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: without Redis each process has its own in-memory channel layer")
    settings_dict = dict(connection.settings_dict)
    assert settings_dict["NAME"].startswith("test"), settings_dict["NAME"]
    smtp_port = _free_port()
    log = Path(tempfile.mkstemp(prefix="hcp-worker-", suffix=".log")[1])
    servers = [_spawn_daphne(settings_dict, args=("--proxy-headers",)) for _ in range(2)]  # all three boot at once
    with log.open("wb") as out:
        # No periodic scans (they would queue retention and rectification jobs over the shared test data); the fold
        # runs every 0.2 s, as the production unit runs it every second.
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--scan-interval", "0", "--fold-interval", "0.2",
             "--idle-sleep", "0.1", "--smtp-port", str(smtp_port)],
            cwd=ROOT, env=manage_env(_database_url(settings_dict)), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        for server in servers:
            _wait_ready(server, timeout=120)
        wait_for(lambda: b"worker started" in log.read_bytes() or worker.poll() is not None, 120,
                 what="the worker to start")
        assert worker.poll() is None, log.read_text()[-4000:]
        yield servers[0], servers[1], worker, smtp_port, log
    finally:
        for server in servers:
            _stop(server)
            server.log.unlink(missing_ok=True)
        _kill_group(worker)
        log.unlink(missing_ok=True)


def _counts() -> dict:
    """Raw rows and what the fold made of them, for the tenant, read on a fresh connection (committed data) in ONE
    snapshot: read one after the other, a fold committing in between would make them disagree."""
    from haochaping.analytics.models import TenantCount
    from haochaping.disclosure.models import PublicCount
    from haochaping.evaluations.models import Evaluation
    from tenants.models import Tenant

    with schema_context(SLUG), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        raw = Counter((timezone.localdate(e.rated_at), e.window_id, e.staff_id, e.channel, e.grade,
                       e.excluded_from_scores) for e in Evaluation.objects.all())
        counted = Counter()
        for key in (TenantCount.objects.values_list("day", "window_id", "staff_id", "channel", "grade", "excluded")
                    .annotate(total=Sum("n")).order_by()):
            counted[key[:6]] += key[6]
        pending = Evaluation.objects.filter(aggregated_as_excluded__isnull=True).count()
        tenant = Tenant.objects.get(schema_name=SLUG)
        public = PublicCount.objects.filter(tenant=tenant).aggregate(total=Sum("n"))["total"] or 0
    return {"raw": raw, "counted": counted, "public": public, "pending": pending}


def _stored(keys: list[str]) -> list[tuple]:
    from haochaping.evaluations.models import Evaluation

    with schema_context(SLUG):
        return list(Evaluation.objects.filter(idempotency_key__in=[f"anonymous:{key}" for key in keys])
                    .values_list("idempotency_key", "receipt_code", "grade", "client_key", "channel"))


def _client_key(address: str) -> str:
    from haochaping.core.privacy import digest

    return digest(address, "ip")


def _submit_all(one, two, qr: str, plan: list[tuple[str, int, str]]) -> dict[str, list[str]]:
    """Submits the plan as the module docstring says; returns every receipt answered per key."""
    servers = (one, two)
    answers: dict[str, list[str]] = {key: [] for key, _, _ in plan}

    def send(index: int, server) -> None:
        key, grade, address = plan[index]
        answers[key].append(_submit(server, SLUG, qr, grade, key=key, forwarded_for=address)["receiptCode"])

    for index in range(ONE_BY_ONE):
        send(index, servers[index % 2])
    with ThreadPoolExecutor(AT_ONCE) as pool:
        futures = []
        for index in range(ONE_BY_ONE, len(plan)):
            futures.append(pool.submit(send, index, servers[index % 2]))
            if index in RACED:
                futures.append(pool.submit(send, index, servers[(index + 1) % 2]))
        for future in futures:
            future.result()
    for index in RETRIED:
        send(index, servers[(index + 1) % 2])
    return answers


async def _collect(board: Board, start: int, deadline: float) -> dict[int, dict]:
    """Every rating event the board receives until it holds start+1 … start+RATINGS (or the deadline passes)."""
    events: dict[int, dict] = {}
    while len(events) < RATINGS:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            message = await board.receive(timeout=remaining)
        except TimeoutError:
            break
        assert message["type"] == "rating", message
        assert message["seq"] not in events, f"seq {message['seq']} delivered twice"
        events[message["seq"]] = message
    return events


async def test_ratings_over_two_processes_are_stored_once_folded_and_seen_everywhere(cluster):
    one, two, worker, smtp_port, log = cluster
    board_token, qr = await asyncio.to_thread(_tokens, SLUG)

    def folded():
        state = run_committed(_counts)
        return state if state["pending"] == 0 else None

    # The starting point once the worker has folded anything an earlier test left unfolded.
    before = await asyncio.to_thread(wait_for, folded, 120, 0.2, "the worker's fold of earlier ratings")

    # Grades 3–5 only: a bad review would open a rectification and queue notifications, which is not the subject here.
    plan = [(f"scaleout-{uuid.uuid4()}", 3 + index % 3, f"198.51.100.{index + 1}") for index in range(RATINGS)]
    started = time.monotonic()
    async with Board(one, SLUG, board_token) as on_one, Board(two, SLUG, board_token) as on_two:
        start = on_one.snapshot["seq"]
        assert on_two.snapshot["seq"] == start
        deadline = time.monotonic() + 180
        collectors = [asyncio.create_task(_collect(board, start, deadline)) for board in (on_one, on_two)]
        try:
            answers = await asyncio.to_thread(_submit_all, one, two, qr, plan)
            heard = await asyncio.gather(*collectors)
        finally:
            for task in collectors:
                task.cancel()
    submitted = time.monotonic() - started

    # Stored once: one receipt per key however often and wherever it was sent; one row per key.
    for index, (key, _, _) in enumerate(plan):
        expected = 1 + (index in RACED) + (index in RETRIED)
        assert len(answers[key]) == expected and len(set(answers[key])) == 1, (index, answers[key])
    receipts = {key: receipts[0] for key, receipts in answers.items()}
    assert len(set(receipts.values())) == RATINGS
    rows = await asyncio.to_thread(run_committed, _stored, [key for key, _, _ in plan])
    assert len(rows) == RATINGS
    by_key = {key.removeprefix("anonymous:"): (receipt, grade, client, channel)
              for key, receipt, grade, client, channel in rows}
    for key, grade, address in plan:
        assert by_key[key] == (receipts[key], grade, await asyncio.to_thread(_client_key, address), "QR_CODE")

    # Seen on both processes: all forty, in the hall's sequence, with the grades submitted.
    grades = Counter(grade for _, grade, _ in plan)
    for name, events in zip(("process 1", "process 2"), heard):
        assert sorted(events) == list(range(start + 1, start + RATINGS + 1)), (name, sorted(events))
        assert Counter(event["rating"]["grade"] for event in events.values()) == grades, name
        assert all(event["hall"] == "H01" and event["rating"]["window"] == "W01" for event in events.values())

    # Folded by the worker: the counts grew by exactly the new raw rows, cell by cell, and so did the public copy.
    after = await asyncio.to_thread(wait_for, folded, 120, 0.2, "the worker's fold")
    assert sum((after["raw"] - before["raw"]).values()) == RATINGS
    assert after["counted"] - before["counted"] == after["raw"] - before["raw"]
    assert before["counted"] - after["counted"] == Counter()  # nothing was taken away either
    assert after["public"] - before["public"] == RATINGS
    assert worker.poll() is None, log.read_text()[-4000:]

    # The worker's e-mail intake listens beside the fold (as haochaping-worker.service runs it).
    def smtp_answers() -> int:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            return smtp.noop()[0]

    assert await asyncio.to_thread(smtp_answers) == 250
    print(f"\n{RATINGS} ratings over two processes: submitted and heard on both boards in {submitted:.1f}s, "
          f"folded {time.monotonic() - started:.1f}s after the first submission")


# --- the same two processes behind nginx, with infra/nginx/haochaping.conf ------------------------------------------


def _nginx_config(directory: Path, https_port: int, http_port: int, upstream_ports: list[int]) -> str:
    """The production config with only what a test machine needs changed: the domain (localhost), the ports, the
    upstream servers, the certificate, log and static paths; IPv6 listeners dropped. Each change must apply, so a
    reshaped config fails here instead of being tested half-replaced."""
    text = (ROOT / "infra" / "nginx" / "haochaping.conf").read_text(encoding="utf-8")
    upstream = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstream_ports)
    for pattern, replacement in [
        (r"(?m)^\s*listen \[::\]:\d+.*\n", ""),
        (r"(?m)^(\s*)listen 443 ", rf"\g<1>listen 127.0.0.1:{https_port} "),
        (r"(?m)^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{http_port};"),
        (r"(?m)(^\s*server 127\.0\.0\.1:800\d [^\n]*\n)+", upstream),
        (r"county\.example\.gov\.cn", "localhost"),
        (r"/etc/haochaping/tls", str(directory / "tls")),
        (r"/var/log/nginx", str(directory / "logs")),
        (r"/srv/haochaping/staticfiles/", f"{ROOT / 'web' / 'static'}/"),
    ]:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"infra/nginx/haochaping.conf no longer has {pattern!r}"
    return text


@pytest.fixture(scope="module")
def nginx(cluster):
    """nginx (the machine's binary) in front of the two daphne processes, on spare ports, from a temp prefix."""
    binary, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(binary).exists() or not openssl:
        pytest.skip("nginx or openssl is not installed (apt-get install nginx-light openssl)")
    one, two = cluster[0], cluster[1]
    directory = Path(tempfile.mkdtemp(prefix="hcp-nginx-"))
    (directory / "logs").mkdir()
    (directory / "tls").mkdir()
    tls = directory / "tls"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,DNS:*.localhost",
                    "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    https_port, http_port = _free_port(), _free_port()
    (directory / "haochaping.conf").write_text(_nginx_config(directory, https_port, http_port, [one.port, two.port]))
    temp_paths = "".join(f"    {kind}_temp_path {directory / kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (directory / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {directory / 'nginx.pid'};\nerror_log {directory / 'logs' / 'error.log'};\nworker_processes 1;\n"
        + f"events {{}}\nhttp {{\n{temp_paths}    access_log off;\n    include {directory / 'haochaping.conf'};\n}}\n")
    checked = subprocess.run([binary, "-t", "-p", str(directory), "-c", str(directory / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([binary, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: _port_open(https_port) or process.poll() is not None, 30, what="nginx to listen")
        assert process.poll() is None, (directory / "logs" / "error.log").read_text()
        yield SimpleNamespace(port=https_port, http_port=http_port, directory=directory)
    finally:
        _kill_group(process)
        shutil.rmtree(directory, ignore_errors=True)


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own self-signed certificate
    return context


def _https(port: int, method: str, path: str, host: str, body: bytes | None = None,
           headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request to nginx over TLS with the tenant's host as SNI and Host (Python cannot resolve *.localhost)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn = http.client.HTTPSConnection(host, port, timeout=30)
    conn.sock = _tls().wrap_socket(raw, server_hostname=host)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{host}:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class ProxiedBoard(Board):
    """A board socket through nginx (wss, the tenant's host as SNI), as a browser on the hall's screen opens it."""

    async def __aenter__(self):
        port, host = self.server.port, f"{self.slug}.localhost"
        self.socket = await websockets.connect(
            f"wss://{host}:{port}/ws/board/H01/?t={self.token}", host="127.0.0.1", port=port, ssl=_tls(),
            server_hostname=host, origin=f"https://{host}:{port}", open_timeout=15, proxy=None)
        self.snapshot = await self.receive()
        assert self.snapshot["type"] == "snapshot" and self.snapshot["hall"] == "H01"
        return self


async def test_through_nginx_boards_ratings_and_client_addresses(cluster, nginx):
    board_token, qr = await asyncio.to_thread(_tokens, SLUG)
    host = f"{SLUG}.localhost"

    def submit(grade: int) -> dict:
        body = json.dumps({"query": SUBMIT, "variables": {"t": qr, "grade": grade, "key": f"nginx-{uuid.uuid4()}"}})
        # A client claiming another address: nginx replaces the header with the address it saw.
        status, _, answer = _https(nginx.port, "POST", "/graphql/", host, body.encode(),
                                   {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
        assert status == 200, answer
        result = json.loads(answer)["data"]["submitEvaluation"]
        assert result["errors"] == [], result
        return result["evaluation"]

    async with ProxiedBoard(nginx, SLUG, board_token) as board:
        start = board.snapshot["seq"]
        receipts = [(await asyncio.to_thread(submit, grade))["receiptCode"] for grade in (5, 3)]
        events = [await board.rating(), await board.rating()]
    assert [(event["seq"], event["rating"]["grade"]) for event in events] == [(start + 1, 5), (start + 2, 3)]

    def client_keys() -> set[str]:
        from haochaping.evaluations.models import Evaluation

        with schema_context(SLUG):
            return set(Evaluation.objects.filter(receipt_code__in=receipts).values_list("client_key", flat=True))

    assert await asyncio.to_thread(run_committed, client_keys) == {await asyncio.to_thread(_client_key, "127.0.0.1")}

    # Static files from disk, uploaded files never, bodies over 12 MiB refused before daphne, plain HTTP redirected,
    # an unknown name refused in the TLS handshake.
    status, _, body = await asyncio.to_thread(_https, nginx.port, "GET", "/static/web/board.js", host)
    assert status == 200 and body == (ROOT / "web" / "static" / "web" / "board.js").read_bytes()
    assert (await asyncio.to_thread(_https, nginx.port, "GET", "/media/tenants/alpha/x.pdf", host))[0] == 404
    status, _, _ = await asyncio.to_thread(_https, nginx.port, "POST", "/admin/login/", host, b"",
                                           {"Content-Length": str(13 * 1024 * 1024)})
    assert status == 413

    def plain_http() -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
        conn.request("GET", "/device/", headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.getheader("Location")

    assert await asyncio.to_thread(plain_http) == (301, f"https://{host}/device/")
    with pytest.raises(ssl.SSLError):
        await asyncio.to_thread(_https, nginx.port, "GET", "/", "unknown.example.org")
