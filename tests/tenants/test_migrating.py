"""`migrate_platform` visits only the tenant schemas that lack a migration the base schema has."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.migrating import schemas_behind
from tenants.models import Tenant
from tenants.services import base_schema_name

pytestmark = pytest.mark.django_db


def _record(schema: str, app: str, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{schema}".django_migrations (app, name, applied) VALUES (%s, %s, now())',
                       [app, name])


def _tenant_schemas() -> list[str]:
    return sorted(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))


def test_cloned_tenants_are_up_to_date_and_a_missing_row_puts_one_behind(alpha, beta):
    base = base_schema_name()
    assert schemas_behind(base, ["alpha", "beta"]) == []
    _record(base, "analytics", "9999_not_yet_in_tenants")
    assert schemas_behind(base, ["alpha", "beta"]) == ["alpha", "beta"]
    _record("alpha", "analytics", "9999_not_yet_in_tenants")
    assert schemas_behind(base, ["alpha", "beta"]) == ["beta"]
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "emptyone"')
    assert schemas_behind(base, ["alpha", "emptyone"]) == ["emptyone"]  # no django_migrations at all


def test_migrate_platform_skips_schemas_already_up_to_date(alpha, beta):
    out = StringIO()
    call_command("migrate_platform", stdout=out)
    everyone = _tenant_schemas()
    assert f"tenant schemas: 0 migrated, {len(everyone)} already up to date" in out.getvalue()

    # A migration only the base has recorded: every tenant but alpha (which records it too) is visited.
    _record(base_schema_name(), "analytics", "9999_not_yet_in_tenants")
    _record("alpha", "analytics", "9999_not_yet_in_tenants")
    out = StringIO()
    call_command("migrate_platform", stdout=out)
    assert f"tenant schemas: {len(everyone) - 1} migrated, 1 already up to date" in out.getvalue()
