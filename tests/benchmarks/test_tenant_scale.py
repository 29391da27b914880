"""Tenant creation as the county (or province) grows, and a migration run with nothing to apply over every schema.

Creates TENANT_SCALE (default 500) townships one after another with `tenants.services.create_tenant` (real commits),
timing each; then times `manage.py migrate_platform` with nothing to apply (it skips tenant schemas that already hold
every migration of the base schema), beside django-tenants' own `migrate_schemas` on a sample of schemas, which is
what a run without the skip costs per schema. Targets (DESIGN.md §8): a tenant usable in ≤ 2 s."""
from __future__ import annotations

import json
import math
import os
import statistics
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench_report import write_section
from bench_tenants import drop_tenants
from conftest import run_committed

TENANTS = int(os.environ.get("TENANT_SCALE", 500))
SAMPLE = 50  # creations per reported bucket
MIGRATE_SAMPLE = 10
TARGET_SECONDS = 2.0
COMMAND = "make bench PYTEST_ARGS=\"-k tenant_scale\""


@pytest.mark.django_db
def test_tenant_scale():
    run_committed(_measure)


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return f"{statistics.median(ordered) * 1000:.0f} | {p95 * 1000:.0f} | {ordered[-1] * 1000:.0f}"


def _measure():
    from tenants.migrating import schemas_behind
    from tenants.models import Tenant
    from tenants.services import TenantSpec, base_schema_name, create_tenant

    connection.set_schema_to_public()
    existing = Tenant.objects.count()
    client = Client()
    created, create_times, usable_times = [], [], []
    try:
        for n in range(TENANTS):
            slug = f"scale{n:04d}"
            started = time.perf_counter()
            tenant = create_tenant(TenantSpec(slug, f"规模测试镇{n}", "TOWNSHIP", f"411325{n:03d}", ""))
            create_times.append(time.perf_counter() - started)
            created.append(tenant.schema_name)
            if n % 50 == 0 or n == TENANTS - 1:
                response = client.post("/graphql/", data=json.dumps({"query": "{ tenant { slug } windows { totalCount } }"}),
                                       content_type="application/json", HTTP_HOST=f"{slug}.localhost")
                assert response.json()["data"]["tenant"]["slug"] == slug
                usable_times.append(time.perf_counter() - started)
                connection.set_schema_to_public()

        schemas = sorted(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
        started = time.perf_counter()
        behind = schemas_behind(base_schema_name(), schemas)
        check_s = time.perf_counter() - started
        assert behind == [], behind[:5]
        out = StringIO()
        started = time.perf_counter()
        call_command("migrate_platform", stdout=out)
        platform_s = time.perf_counter() - started
        assert f"0 migrated, {len(schemas)} already up to date" in out.getvalue(), out.getvalue()
        connection.set_schema_to_public()
        sample_times = []
        for schema in created[:MIGRATE_SAMPLE]:
            started = time.perf_counter()
            call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
            sample_times.append(time.perf_counter() - started)
            connection.set_schema_to_public()
    finally:
        connection.set_schema_to_public()
        started = time.perf_counter()
        drop_tenants(created)
        drop_s = time.perf_counter() - started

    buckets = [(0, SAMPLE), (TENANTS // 2 - SAMPLE // 2, TENANTS // 2 + SAMPLE // 2), (TENANTS - SAMPLE, TENANTS)]
    rows = "".join(f"| tenants {low + existing + 1}–{high + existing} | {_quantiles(create_times[low:high])} |\n"
                   for low, high in buckets if high <= TENANTS and low >= 0)
    per_schema = statistics.median(sample_times)
    body = (
        f"{TENANTS} townships created one after another with `tenants.services.create_tenant` (validate, tenant row,\n"
        f"domain, copy of the `tenant_base` schema from the catalog — `tenants/cloning.py` — in one transaction), on a\n"
        f"database that already held {existing} tenants. Each row is a bucket of {SAMPLE} consecutive creations.\n\n"
        f"| creation | p50 ms | p95 ms | max ms |\n|---|---|---|---|\n{rows}\n"
        f"- Create → first GraphQL answer on the new host (every 50th tenant): median "
        f"{statistics.median(usable_times) * 1000:.0f} ms, max {max(usable_times) * 1000:.0f} ms "
        f"(target ≤ {TARGET_SECONDS:.0f} s: {'✅' if max(usable_times) <= TARGET_SECONDS else '❌'}).\n"
        f"- Which of the {len(schemas)} tenant schemas lack a migration (`tenants.migrating.schemas_behind`): "
        f"{check_s * 1000:.0f} ms.\n"
        f"- `manage.py migrate_platform` with nothing to apply (public schema, base schema, the check above, the "
        f"calendar): {platform_s:.1f} s for {len(schemas)} tenant schemas.\n"
        f"- Without the skip, django-tenants' `migrate_schemas --schema` costs {per_schema:.2f} s per schema with nothing "
        f"to apply (median of {len(sample_times)}), i.e. about {per_schema * len(schemas):.0f} s for "
        f"{len(schemas)} schemas.\n"
        f"- Dropping the {len(created)} schemas afterwards: {drop_s:.0f} s.\n"
    )
    write_section("tenant-scale", f"Tenant creation and migrations at {TENANTS} tenants", COMMAND, body)
