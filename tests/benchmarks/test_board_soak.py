"""Hall-board soak: the board page open in Chromium for SOAK_SECONDS while ratings keep arriving; samples the page's
JS heap (after a forced GC) and DOM node count through the DevTools protocol, and daphne's RSS, to show whether
anything grows without bound. The board is meant to run for days (web/static/web/board.js: fixed DOM, bounded
buffers).

Runs only when SOAK_SECONDS is set (the full run is an hour), e.g.
  SOAK_SECONDS=3600 TEST_DATABASE_NAME=test_hcp_soak REDIS_URL=redis://127.0.0.1:6379/12 \
    .venv/bin/python -m pytest tests/benchmarks/test_board_soak.py -p no:cacheprovider -o addopts="" -s

One daphne process (DEBUG off, so /static/ is served to the browser from web/static by a Playwright route, as
the reverse proxy would) against the test database; ratings (grades 3–5: no rectifications, no alerts) are POSTed
as submitEvaluation with a business-system token every SOAK_INTERVAL seconds. Everything committed is removed at
the end (boards.conftest `_marks` / `_restore`)."""
from __future__ import annotations

import json
import mimetypes
import os
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from bench_report import write_section
from boards.conftest import _marks, _restore
from conftest import run_committed
from test_board_fanout import Daphne

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP *.localhost 127.0.0.1"]
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS") or 3600)
INTERVAL = float(os.environ.get("SOAK_INTERVAL", "2"))
SAMPLE_EVERY = float(os.environ.get("SOAK_SAMPLE_SECONDS", "60"))
GRADES = (5, 4, 5, 3, 5, 4, 5, 5, 3, 4)
SUBMIT = ("mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) "
          "{ replayed evaluation { id } errors { code } } }")

pytestmark = pytest.mark.skipif(not os.environ.get("SOAK_SECONDS"), reason="set SOAK_SECONDS to run the board soak")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None


def _setup() -> dict:
    from haochaping.accounts.tokens import issue_token
    from haochaping.boards import services
    from haochaping.core.ids import global_id
    from haochaping.organizations.models import Window

    marks = _marks()
    with schema_context("alpha"):
        org = services.hall_by_code("H01")
        issued = issue_token(name="大屏稳定性测试业务系统", kind="SYSTEM", scopes=["evaluations:write"])
        return {"marks": marks, "token": services.board_token(org), "secret": issued.secret,
                "window_id": global_id("Window", Window.objects.get(org=org, code="W01").pk)}


def _hall_seq() -> int:
    from haochaping.boards.models import HallBoard

    with schema_context("alpha"):
        return HallBoard.objects.get(org__code="H01").seq


def _post_rating(port: int, secret: str, window_id: str, grade: int, key: str) -> None:
    body = json.dumps({"query": SUBMIT, "variables": {"input": {
        "grade": grade, "channel": "HOTLINE", "windowId": window_id, "idempotencyKey": key}}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql/", data=body, method="POST", headers={
        "Host": f"alpha.localhost:{port}", "Content-Type": "application/json", "Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
    result = payload["data"]["submitEvaluation"]
    assert result["evaluation"] and not result["errors"], payload


def _serve_static(route):
    """/static/… from web/static, as the reverse proxy does in production (daphne runs with DEBUG off)."""
    from urllib.parse import urlparse

    rel = urlparse(route.request.url).path.removeprefix("/static/")
    path = (STATIC / rel).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        route.fulfill(status=404, body="not found")
        return
    route.fulfill(status=200, body=path.read_bytes(),
                  content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def _sample(cdp, page, server, started: float, ratings: int) -> dict:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap = cdp.send("Runtime.getHeapUsage")
    return {"t": time.monotonic() - started, "ratings": ratings, "heap": metrics.get("JSHeapUsedSize", 0),
            "heap_total": metrics.get("JSHeapTotalSize", 0), "heap_usage": heap.get("usedSize", 0),
            "nodes": int(metrics.get("Nodes", 0)), "listeners": int(metrics.get("JSEventListeners", 0)),
            "rss": server.rss(), "seq": int(page.evaluate("document.body.dataset.seq || 0")),
            "connection": page.evaluate("document.body.dataset.connection || ''")}


@pytest.mark.django_db
@pytest.mark.skipif(sync_playwright is None or not Path(CHROMIUM).exists(), reason="needs playwright and chromium")
def test_board_soak():
    data = run_committed(_setup)
    server = Daphne(os.environ.get("REDIS_URL"))
    samples: list[dict] = []
    errors: list[str] = []
    submitted = failed = 0
    final_seq = shown_seq = None
    try:
        server.wait_ready()
        url = f"http://alpha.localhost:{server.port}/board/H01/?t={data['token']}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.route("**/static/**", _serve_static)
                page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
                page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}")
                        if msg.type == "error" else None)
                response = page.goto(url)
                assert response and response.status == 200, response and response.status
                page.wait_for_function("document.body.dataset.connection === 'live' && document.body.dataset.seq !== undefined",
                                       timeout=30_000)
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                started = time.monotonic()
                samples.append(_sample(cdp, page, server, started, 0))
                print(f"[soak] t=0 {samples[-1]}", flush=True)
                next_sample = started + SAMPLE_EVERY
                next_rating = started
                deadline = started + SOAK_SECONDS
                while time.monotonic() < deadline:
                    now = time.monotonic()
                    if now >= next_rating:
                        try:
                            _post_rating(server.port, data["secret"], data["window_id"], GRADES[submitted % len(GRADES)],
                                         f"soak-{submitted}")
                            submitted += 1
                        except Exception as exc:  # noqa: BLE001 - counted and reported; the soak goes on
                            failed += 1
                            errors.append(f"submit: {exc!r}"[:300])
                        next_rating += INTERVAL
                    if time.monotonic() >= next_sample:
                        samples.append(_sample(cdp, page, server, started, submitted))
                        print(f"[soak] {samples[-1]}", flush=True)
                        next_sample += SAMPLE_EVERY
                    wait = min(next_rating, next_sample, deadline) - time.monotonic()
                    if wait > 0:
                        page.wait_for_timeout(wait * 1000)
                final_seq = run_committed(_hall_seq)
                try:
                    page.wait_for_function(f"Number(document.body.dataset.seq) === {final_seq}", timeout=15_000)
                except Exception:  # noqa: BLE001 - reported by the assertion below
                    pass
                shown_seq = int(page.evaluate("document.body.dataset.seq || 0"))
                samples.append(_sample(cdp, page, server, started, submitted))
                print(f"[soak] end {samples[-1]}", flush=True)
                page.screenshot(path="/tmp/board_soak_end.png")
            finally:
                browser.close()
    finally:
        server.stop()
        run_committed(_restore, data["marks"])
        connection.set_schema_to_public()

    mb = lambda b: b / 2 ** 20  # noqa: E731
    table = "\n".join(
        f"| {s['t'] / 60:.1f} | {s['ratings']} | {s['seq']} | {mb(s['heap']):.2f} | {mb(s['heap_usage']):.2f} | "
        f"{s['nodes']} | {s['listeners']} | {mb(s['rss']):.1f} | {s['connection']} |" for s in samples)

    def summary(key: str, fmt) -> str:
        values = [s[key] for s in samples]
        first, last = values[0], values[-1]
        # growth over the second half too: a one-off warm-up in the first minutes is not a leak
        half = [s[key] for s in samples if s["t"] >= samples[-1]["t"] / 2] or values
        return (f"| {key} | {fmt(first)} | {fmt(last)} | {fmt(max(values))} | {fmt(last - first)} "
                f"({(last - first) / first * 100 if first else 0:+.1f}%) | {fmt(half[-1] - half[0])} |")

    elapsed = samples[-1]["t"] if samples else 0
    body = f"""\
The board page (`/board/H01/?t=…`, Debian chromium through Playwright, 1920×1080) stayed open for
{elapsed / 60:.1f} min (SOAK_SECONDS={SOAK_SECONDS:.0f}) against one daphne process (DEBUG off; channel layer:
{'channels-redis' if os.environ.get('REDIS_URL') else 'in-memory'}), while a business system POSTed one rating
(grades 3–5, HOTLINE, window W01) every {INTERVAL:g} s: **{submitted} ratings** submitted, {failed} failed.
Every {SAMPLE_EVERY:.0f} s: `HeapProfiler.collectGarbage`, then the DevTools `Performance.getMetrics`
(JSHeapUsedSize, Nodes, JSEventListeners) and `Runtime.getHeapUsage`, and daphne's RSS (psutil).
{len(samples)} samples.

| min | ratings | board seq | JS heap used (MB) | Runtime heap (MB) | DOM nodes | listeners | daphne RSS (MB) | connection |
|---|---|---|---|---|---|---|---|---|
{table}

| metric | first | last | max | growth first→last | growth over the second half |
|---|---|---|---|---|---|
{summary('heap', lambda v: f'{mb(v):.2f} MB')}
{summary('nodes', lambda v: f'{v:.0f}')}
{summary('listeners', lambda v: f'{v:.0f}')}
{summary('rss', lambda v: f'{mb(v):.1f} MB')}

At the end the hall's seq was {final_seq} and the board showed seq {shown_seq}
({'the latest rating' if final_seq == shown_seq else 'NOT the latest rating'}). Page errors and console errors:
{len(errors)}{(': ' + '; '.join(errors[:5])) if errors else ''}.
"""
    write_section("board_soak", "Hall-board soak (board page in Chromium)",
                  "SOAK_SECONDS=3600 REDIS_URL=redis://127.0.0.1:6379/12 make bench PYTEST_ARGS=\"-k board_soak\"", body)
    print(body)
    assert final_seq is not None and shown_seq == final_seq, (final_seq, shown_seq)
    assert submitted > 0 and failed == 0, errors[:5]
    assert not [e for e in errors if e.startswith("pageerror")], errors[:5]
