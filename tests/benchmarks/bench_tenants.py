"""Removing the tenants a benchmark created: their schemas, every public row that points at them, their rows."""
from __future__ import annotations

from django.db import connection


def drop_tenants(schemas: list[str]) -> None:
    from tenants.models import Tenant

    connection.set_schema_to_public()
    ids = list(Tenant.objects.filter(schema_name__in=schemas).values_list("pk", flat=True))
    # Raw SQL: the ORM's delete collector would look for cross-schema relations in the public schema.
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if ids:
            # Every public row that points at these tenants (counts, names, published items and guides, domains…).
            cursor.execute("""
                SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = 'public.tenants_tenant'::regclass""")
            for table, column in cursor.fetchall():
                cursor.execute(f'DELETE FROM {table} WHERE "{column}" = ANY(%s)', [ids])
            cursor.execute("DELETE FROM tenants_tenant WHERE id = ANY(%s)", [ids])
