"""The deployment files in infra/ stay in step with the code: every environment variable the settings read is in
infra/README.md's table, the systemd units' commands parse with the options the code has, PgBouncer stays in session
mode, and nginx's body limit is not below what Django accepts. (tests/scaleout/test_two_daphne_and_worker.py runs
the nginx config itself when nginx is installed.)"""
from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
READS = re.compile(r"""(?:env_(?:str|int|bool|list)|_env_int|os\.environ\.get|_get)\(\s*f?["']([A-Z][A-Z0-9_]*)""")


def _documented() -> set[str]:
    table = [line for line in (INFRA / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    # `EXCHANGE_URL_<TARGET>` stands for the f-string's prefix `EXCHANGE_URL_`.
    return {name.split("<")[0] for line in table for name in re.findall(r"`([A-Z][A-Z0-9_<>]*)`", line.split("|")[1])}


def test_every_environment_variable_the_settings_read_is_documented():
    sources = [*sorted((ROOT / "platform" / "config" / "settings").glob("*.py")),
               ROOT / "platform" / "haochaping" / "exchange" / "conf.py"]
    read = {name for path in sources for name in READS.findall(path.read_text(encoding="utf-8"))}
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "EXCHANGE_TARGETS"} <= read  # the pattern still works
    assert read - _documented() == set(), "add these to the table in infra/README.md"


def _exec_start(unit: str) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((INFRA / "systemd" / unit).read_text(encoding="utf-8").replace("\\\n", " "))
    return shlex.split(parser["Service"]["ExecStart"])


def test_the_units_commands_parse():
    from daphne.cli import CommandLineInterface

    from haochaping.jobs.management.commands.run_worker import Command

    daphne = _exec_start("haochaping-daphne@.service")
    assert daphne[0].endswith("/daphne") and "--proxy-headers" in daphne
    args = CommandLineInterface().parser.parse_args([arg.replace("%i", "8001") for arg in daphne[1:]])
    assert (args.port, args.proxy_headers, args.application) == (8001, True, "config.asgi:application")

    for unit, smtp_port in (("haochaping-worker.service", 2525), ("haochaping-worker@.service", 0)):
        command = _exec_start(unit)
        assert command[1:3] == ["manage.py", "run_worker"], command
        values = {"${SMTP_INTAKE_HOST}": "127.0.0.1", "${SMTP_INTAKE_PORT}": "2525"}
        options = Command().create_parser("manage.py", "run_worker").parse_args(
            [values.get(arg, arg) for arg in command[3:]])
        assert options.smtp_port == smtp_port and options.scan_interval > 0 and options.fold_interval > 0, unit


def test_pgbouncer_keeps_session_mode():
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";", "#"))
    parser.read(INFRA / "pgbouncer" / "pgbouncer.ini")
    assert parser["pgbouncer"]["pool_mode"] == "session"  # transaction mode loses django-tenants' search_path


def test_nginx_body_limit_is_not_below_djangos():
    text = (INFRA / "nginx" / "haochaping.conf").read_text(encoding="utf-8")
    limits = [int(size) * 1024 * 1024 for size in re.findall(r"client_max_body_size (\d+)m;", text)]
    assert limits and min(limits) >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # The client address is replaced, never appended to (daphne takes the first address of the header).
    directives = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert "proxy_add_x_forwarded_for" not in directives
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", directives)
