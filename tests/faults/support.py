"""Private Redis and PostgreSQL servers for the fault tests: started on spare ports in temp dirs, stopped and
restarted by the tests, always cleaned up. The machine's shared services (5432, 6379) are never touched."""
from __future__ import annotations

import json
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

import psycopg
import pytest

from browser.live import ROOT, _free_port  # tests/ is on sys.path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _kill_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the process's own group (it was started with start_new_session), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- Redis -----------------------------------------------------------------------------------------------


class PrivateRedis:
    """redis-server on a spare port, no persistence: a restart comes back empty, as after a crash."""

    def __init__(self):
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hcp-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if not binary:
            pytest.skip("redis-server is not installed")
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.dir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(lambda: _port_open(self.port) or self.process.poll() is not None, 10, what="redis-server")
        assert self.process.poll() is None, (self.dir / "redis.log").read_text()
        return self

    def stop(self) -> None:
        if self.process is not None:
            _kill_group(self.process)
            self.process = None
        wait_for(lambda: not _port_open(self.port), 10, what="redis-server to stop")

    def cleanup(self) -> None:
        if self.process is not None:
            _kill_group(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL ------------------------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL 15 cluster of its own (initdb in a temp dir, TCP on a spare port, trust auth). As root it runs
    as the `postgres` system user, because initdb and postgres refuse root."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"no PostgreSQL binaries in {PG_BIN}")
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hcp-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.user = None
        if os.geteuid() == 0:
            import pwd

            self.user = pwd.getpwnam("postgres")
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
            os.chmod(self.dir, 0o700)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[]) if self.user else {}
        result = subprocess.run([str(PG_BIN / args[0]), *args[1:]], cwd=self.dir, capture_output=True, text=True,
                                timeout=timeout, **kwargs)
        assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}\n{self._log_tail()}"
        return result

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> PrivatePostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        # fsync off: only an OS crash would need it; a fast restart checkpoints everything it acknowledged.
        (self.data / "postgresql.auto.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
            "fsync = off\nfull_page_writes = off\nmax_connections = 60\nshared_buffers = '32MB'\n")
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def restart(self) -> None:
        """Fast shutdown (open sessions are terminated, running transactions roll back), then start again."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
            except (AssertionError, subprocess.TimeoutExpired):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)  # the postmaster's children exit when it is gone

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def copy_database(self, source_url: str, name: str) -> str:
        """A copy of the (migrated, seeded) test database under `name`: pg_dump piped into psql. The same schemas,
        tenants and rows as the suite's database, in seconds instead of a minute of migrations."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        dump = subprocess.Popen([str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        load = subprocess.run([str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(name)],
                              stdin=dump.stdout, capture_output=True, text=True, timeout=120)
        dump.stdout.close()
        dump_err = dump.communicate(timeout=120)[1]
        assert dump.returncode == 0, dump_err.decode()
        assert load.returncode == 0, load.stderr[-3000:]
        return self.url(name)


# --- talking to a live server ----------------------------------------------------------------------------


def post_graphql(port: int, slug: str, query: str, variables: dict, token: str | None = None,
                 timeout: float = 15) -> dict:
    """POST to /graphql/ on the tenant's host; raises OSError (URLError, HTTPError, timeouts) when not answered."""
    headers = {"Host": f"{slug}.localhost:{port}", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql/", method="POST", headers=headers,
                                     data=json.dumps({"query": query, "variables": variables}).encode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def manage_env(database_url: str, **extra: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=f"platform{os.pathsep}.",
               DJANGO_SETTINGS_MODULE="config.settings", DB_POOL_MAX_SIZE="0")
    env.update(extra)
    return env


def manage_shell(database_url: str, code: str, timeout: float = 120, **extra_env: str) -> str:
    """`manage.py shell -c code` against another database; returns its stdout."""
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=manage_env(database_url, **extra_env), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
