"""Which tenant schemas a migration run has to visit.

`migrate_schemas` loads the migration graph and checks every schema, about a second each even when nothing is to be
applied; a province has thousands. The base schema is migrated first and records exactly what a tenant should have,
so a schema whose django_migrations already holds all of the base's rows is up to date and is skipped."""
from __future__ import annotations

from django.db import connection
from django_tenants.utils import quote_schema_name as quote

from .catalog import schemas_with_table

CHUNK = 200  # schemas per statement


def schemas_behind(base: str, schemas: list[str]) -> list[str]:
    """The schemas in `schemas` missing any migration recorded in `base` (or without a django_migrations table)."""
    checked = schemas_with_table("django_migrations", schemas)
    missing: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(checked), CHUNK):
            chunk = checked[start:start + CHUNK]
            cursor.execute(" UNION ALL ".join(
                f"SELECT %s, (SELECT count(*) FROM (SELECT app, name FROM {quote(base)}.django_migrations EXCEPT "
                f"SELECT app, name FROM {quote(s)}.django_migrations) AS absent)" for s in chunk), chunk)
            missing.update(cursor.fetchall())
    return [s for s in schemas if missing.get(s, 1) > 0]
