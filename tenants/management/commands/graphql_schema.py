"""Committed GraphQL schema snapshots: `schema/platform.graphql` and `schema/tenant.graphql`.

    python manage.py graphql_schema --write   # regenerate both files from the live schemas
    python manage.py graphql_schema --check   # exit non-zero with a unified diff if they differ

Strawberry prints types sorted by name and fields in declaration order, so the output is deterministic;
a diff in review shows exactly how the API changed."""
from __future__ import annotations

import difflib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema"
SNAPSHOTS = ("platform", "tenant")
WRITE_HINT = "python manage.py graphql_schema --write"


def render(name: str) -> str:
    """The SDL of one live schema (`platform` or `tenant`), ending with one newline."""
    if name == "platform":
        from schema.platform import schema
    elif name == "tenant":
        from schema.tenant import schema
    else:  # pragma: no cover - programming error
        raise ValueError(name)
    return str(schema).rstrip("\n") + "\n"


def snapshot_path(name: str, directory: Path | None = None) -> Path:
    return (directory or SCHEMA_DIR) / f"{name}.graphql"


def diff(name: str, directory: Path | None = None) -> str:
    """A unified diff from the committed snapshot to the live schema; empty when they match."""
    path = snapshot_path(name, directory)
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    live = render(name)
    if committed == live:
        return ""
    return "".join(difflib.unified_diff(committed.splitlines(keepends=True), live.splitlines(keepends=True),
                                        fromfile=f"{path.name} (committed)", tofile=f"{path.name} (live schema)"))


class Command(BaseCommand):
    help = "写出或校验 GraphQL 模式快照 / Write or check the committed GraphQL schema snapshots"

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true", help="write schema/platform.graphql and schema/tenant.graphql")
        mode.add_argument("--check", action="store_true", help="exit non-zero with a diff if the snapshots are stale")
        parser.add_argument("--dir", type=Path, default=None, help=f"snapshot folder (default: {SCHEMA_DIR})")

    def handle(self, *args, **options):
        directory = options["dir"]
        if options["write"]:
            for name in SNAPSHOTS:
                path = snapshot_path(name, directory)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render(name), encoding="utf-8")
                self.stdout.write(f"wrote {path}")
            return
        stale = []
        for name in SNAPSHOTS:
            changes = diff(name, directory)
            if changes:
                stale.append(name)
                self.stdout.write(changes)
        if stale:
            raise CommandError(f"GraphQL schema snapshots are out of date ({', '.join(stale)}); run `{WRITE_HINT}`")
        self.stdout.write("GraphQL schema snapshots are up to date")
