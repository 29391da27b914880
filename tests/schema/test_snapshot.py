"""The committed SDL snapshots (`schema/*.graphql`) match the live schemas, so every API change shows up
as a reviewable diff. After an intended change: `python manage.py graphql_schema --write`."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.management.commands.graphql_schema import SNAPSHOTS, WRITE_HINT, diff, render, snapshot_path


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_live_schema_matches_committed_snapshot(name):
    path = snapshot_path(name)
    assert path.exists(), f"{path} is missing; run `{WRITE_HINT}` and commit it"
    changes = diff(name)
    assert not changes, (
        f"The {name} GraphQL schema differs from {path.name}. If the change is intended, run "
        f"`{WRITE_HINT}` and commit the result.\n{changes}"
    )


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_is_strawberrys_own_printout(name):
    from schema import platform, tenant

    live = {"platform": platform.schema, "tenant": tenant.schema}[name]
    assert render(name) == str(live).rstrip("\n") + "\n"
    assert snapshot_path(name).read_text(encoding="utf-8") == render(name)


def test_check_passes_when_snapshots_are_current():
    out = StringIO()
    call_command("graphql_schema", "--check", stdout=out)
    assert "up to date" in out.getvalue()


def test_check_fails_with_a_diff_when_a_snapshot_is_stale(tmp_path):
    call_command("graphql_schema", "--write", "--dir", str(tmp_path), stdout=StringIO())
    stale = tmp_path / "tenant.graphql"
    stale.write_text(stale.read_text(encoding="utf-8").replace("  ratingDevices(", "  oldDevices(", 1), encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("graphql_schema", "--check", "--dir", str(tmp_path), stdout=out)
    assert "tenant" in str(excinfo.value) and WRITE_HINT in str(excinfo.value)
    assert "platform" not in str(excinfo.value)
    printed = out.getvalue()
    assert "--- tenant.graphql (committed)" in printed
    assert "-  oldDevices(" in printed and "+  ratingDevices(" in printed


def test_write_creates_both_files(tmp_path):
    call_command("graphql_schema", "--write", "--dir", str(tmp_path), stdout=StringIO())
    for name in SNAPSHOTS:
        assert (tmp_path / f"{name}.graphql").read_text(encoding="utf-8") == render(name)
