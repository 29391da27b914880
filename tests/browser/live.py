"""Shared by the browser tests: daphne serving config.asgi against the TEST database on a free port, and Debian's
chromium through Playwright. Import the fixtures into a test module (`from live import daphne_server, browser`).
Copied from test_rating_browser.py, which can switch to this module."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP *.localhost 127.0.0.1"]
SCREENSHOTS = Path(tempfile.gettempdir())

AVAILABLE = Path(CHROMIUM).exists()
try:
    from playwright import sync_api
except ImportError:  # the browser tests skip
    sync_api = None
    AVAILABLE = False


# --- what the browser tests committed -------------------------------------------------------------------------


def committed_row_counts() -> dict:
    """Rows per table in the public, alpha and beta schemas, read on a fresh connection (committed data): the
    browser tests compare before and after to prove they left nothing behind."""
    from django.apps import apps
    from django_tenants.utils import schema_context

    from conftest import run_committed

    # The audit trail is append-only by design (a trigger refuses DELETE): a test's privileged actions stay in it.
    append_only = {"audit.AuditEvent"}

    def count():
        counts = {}
        for schema in ("public", "alpha", "beta"):
            with schema_context(schema):
                tables = set(connection.introspection.table_names())
                for model in apps.get_models(include_auto_created=True):
                    if model._meta.label in append_only:
                        continue
                    if model._meta.db_table in tables and model._meta.managed:
                        counts[(schema, model._meta.label)] = model._base_manager.count()
        return counts

    return run_committed(count)


# --- a live server on the test database ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db: dict) -> str:
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "", db.get("PORT") or ""
    if host.startswith("/"):  # a socket directory
        return f"postgresql://{user}{password}@/{db['NAME']}?host={quote(host, safe='')}" + (f"&port={port}" if port else "")
    return f"postgresql://{user}{password}@{host or '127.0.0.1'}{f':{port}' if port else ''}/{db['NAME']}"


class LiveServer:
    def __init__(self, port: int, process: subprocess.Popen, log: Path):
        self.port, self.process, self.log = port, process, log

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"


def _spawn_daphne(settings_dict: dict, port: int | None = None, env: dict | None = None,
                  args: tuple[str, ...] = ()) -> LiveServer:
    """Start daphne (on `port`, or a free one) without waiting for it; `_wait_ready` waits. Two can start at once.
    `env` adds or overrides environment variables (tests/faults points REDIS_URL at a private Redis); `args` are extra
    daphne options (tests/scaleout passes `--proxy-headers`, as the production units do)."""
    port = port or _free_port()
    daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or shutil.which("daphne")
    assert daphne, "daphne is not installed"
    env = dict(os.environ, DATABASE_URL=_database_url(settings_dict), PYTHONPATH=f"platform{os.pathsep}.",
               BASE_DOMAIN=f"localhost:{port}", DJANGO_SETTINGS_MODULE="config.settings", DJANGO_ENV="development",
               DJANGO_DEBUG="1", DB_POOL_MAX_SIZE="0", GRAPHIQL_ENABLED="0") | (env or {})
    log = Path(tempfile.mkstemp(prefix="hcp-daphne-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen([daphne, "-b", "127.0.0.1", "-p", str(port), *args, "config.asgi:application"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return LiveServer(port, process, log)


def _wait_ready(server: LiveServer, timeout: float = 60) -> LiveServer:
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{server.port}/device/",
                                             headers={"Host": f"alpha.localhost:{server.port}"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            pytest.fail(f"daphne did not start:\n{server.log.read_text()[-4000:]}")
        time.sleep(0.2)


def _start_daphne(settings_dict: dict, port: int | None = None) -> LiveServer:
    return _wait_ready(_spawn_daphne(settings_dict, port))


def _stop(server: LiveServer) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)  # its own session: only daphne and its children
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


@pytest.fixture(scope="module")
def daphne_server(django_db_setup):
    """daphne serving config.asgi on a free port against the test database (named by pytest-django)."""
    settings_dict = dict(connection.settings_dict)
    assert settings_dict["NAME"].startswith("test"), settings_dict["NAME"]
    server = _start_daphne(settings_dict)
    try:
        yield server
    finally:
        _stop(server)  # before pytest-django drops the test database
        server.log.unlink(missing_ok=True)


@pytest.fixture
def browser(daphne_server):
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
