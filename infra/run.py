"""`make run`: database, migrations, demo county, then daphne and the background worker.

Runs in the foreground; Ctrl-C (or SIGTERM) stops the server, the worker and the embedded database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))
VENV_BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def wait_until_up(port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": f"localhost:{port}"})
            with urllib.request.urlopen(request, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answered
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    # SIGTERM exits cleanly from the start, so the embedded database is stopped by its atexit handler.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = int(os.environ.get("PORT", "8000"))
    smtp_port = int(os.environ.get("SMTP_INTAKE_PORT", "2525"))  # 综合点评 by e-mail, served by the worker
    env = dict(os.environ)
    env.setdefault("BASE_DOMAIN", f"localhost:{port}")
    env.setdefault("DJANGO_ENV", "development")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])

    if env.get("DATABASE_URL"):
        log("using the database at DATABASE_URL")
    else:
        # pgserver keeps its lock file in the runtime dir; give it one when the shell has none.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(ROOT / ".run" / "xdg"))
        (ROOT / ".run" / "xdg").mkdir(parents=True, exist_ok=True, mode=0o700)
        from infra.embedded_postgres import start

        started = time.monotonic()
        env["DATABASE_URL"] = start(ROOT / ".run" / "pgdata")
        log(f"embedded PostgreSQL ready in {time.monotonic() - started:.1f}s (.run/pgdata)")

    manage("migrate_platform", env=env)
    manage("load_demo_county", env=env)

    server_env = dict(env, DB_POOL_MAX_SIZE=env.get("DB_POOL_MAX_SIZE", "8"))
    children = [
        subprocess.Popen([str(VENV_BIN / "daphne"), "-b", os.environ.get("HOST", "127.0.0.1"), "-p", str(port),
                          "config.asgi:application"], env=server_env, cwd=ROOT),
        subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_worker", "--smtp-port", str(smtp_port)],
                         env=env, cwd=ROOT),
    ]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        if not wait_until_up(port):
            log("the server did not start; see the output above")
            stop()
            return 1
        credentials = (ROOT / ".run" / "demo-credentials.txt").read_text(encoding="utf-8")
        base = env["BASE_DOMAIN"]
        print(f"""
============================================================
 政务服务“好差评”平台 is running (Ctrl-C to stop)

 County portal (public host):   http://{base}/
 County agency admin:           http://{base}/admin/
 Platform GraphQL:              http://{base}/graphql/
 城关镇 home (tenant host):      http://chengguan.{base}/
 城关镇 GraphQL:                 http://chengguan.{base}/graphql/
 城关镇 admin:                   http://chengguan.{base}/admin/
 Sent SMS and e-mail:           http://chengguan.{base}/admin/notifications/  ·  e-mail files in .run/mail/
 Other tenants:                 http://<slug>.{base}/  (listed on the portal)
 Comments by e-mail (SMTP):     127.0.0.1:{smtp_port}, to chengguan@{base.split(":")[0]} (a unit) or yijian@{base.split(":")[0]}

 Demo (also in .run/demo-credentials.txt):
{credentials}============================================================
""", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        log("a process exited; stopping")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
