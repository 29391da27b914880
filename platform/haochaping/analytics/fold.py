"""The fold: evaluations into counts, exactly once.

Each evaluation records how it was folded (`aggregated_as_excluded`: NULL = not yet, else the exclusion state it was
counted under). One transaction claims a batch of evaluations whose folded state differs from their current one
(new ratings, and ratings excluded since), moves their counts in TenantCount and the public copy, and records the
new state. A crash before commit leaves all of it undone and the next fold does it again; a crash after leaves
nothing to do. Rows are claimed with SKIP LOCKED, so several workers can fold side by side, and a rating still in
flight is simply folded by the next pass. Nothing depends on id order, so a rating that commits late is not missed.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, quote_schema_name, schema_context

from haochaping.disclosure import rollup
from haochaping.disclosure.models import PublicName
from haochaping.evaluations.models import Evaluation
from tenants.catalog import schemas_with_table
from tenants.resolution import current_tenant

from .models import TenantCount

BATCH = 2000
log = logging.getLogger(__name__)


def _pending():
    # Matches the partial index evaluation_fold_pending.
    return Evaluation.objects.filter(Q(aggregated_as_excluded__isnull=True)
                                     | ~Q(aggregated_as_excluded=F("excluded_from_scores")))


@dataclass(frozen=True)
class _Cell:
    day: object
    item_id: int | None
    org_id: int | None
    window_id: int | None
    staff_id: int | None
    platform_id: int | None
    channel: str
    grade: int
    excluded: bool


def _upsert(table: str, columns: list[str], conflict: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    # Sorted, so concurrent folds lock shared cells in one order and cannot deadlock each other.
    rows = sorted(rows, key=lambda row: [(value is None, value if value is not None else 0) for value in row])
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(rows))} "
           f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET n = {table}.n + EXCLUDED.n")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def fold_batch(batch: int = BATCH) -> int:
    """Fold up to `batch` pending evaluations of the current tenant schema; returns how many."""
    with transaction.atomic():
        claimed = list(_pending().select_for_update(skip_locked=True, of=("self",))
                       .select_related("item__catalog_item", "window__org", "platform")
                       .order_by("pk")[:batch])
        if not claimed:
            return 0
        deltas: Counter[_Cell] = Counter()
        codes: dict[_Cell, tuple[str, str, str, str]] = {}
        for e in claimed:
            day = timezone.localdate(e.rated_at)
            org_id = e.window.org_id if e.window_id else None
            base = dict(day=day, item_id=e.item_id, org_id=org_id, window_id=e.window_id, staff_id=e.staff_id,
                        platform_id=e.platform_id, channel=e.channel, grade=e.grade)
            if e.aggregated_as_excluded is not None:  # counted before under the other exclusion state
                deltas[_Cell(**base, excluded=e.aggregated_as_excluded)] -= 1
            cell = _Cell(**base, excluded=e.excluded_from_scores)
            deltas[cell] += 1
            for key in (cell, _Cell(**base, excluded=not e.excluded_from_scores)):
                codes[key] = (e.item.catalog_item.code if e.item_id else "", e.window.org.code if e.window_id else "",
                              e.window.code if e.window_id else "", e.platform.code if e.platform_id else "")
        changes = {cell: n for cell, n in deltas.items() if n}
        _upsert(TenantCount._meta.db_table,
                ["day", "item_id", "org_id", "window_id", "staff_id", "platform_id", "channel", "grade", "excluded", "n"],
                ["day", "item_id", "org_id", "window_id", "staff_id", "platform_id", "channel", "grade", "excluded"],
                [(c.day, c.item_id, c.org_id, c.window_id, c.staff_id, c.platform_id, c.channel, c.grade, c.excluded, n)
                 for c, n in changes.items()])
        _publish(changes, codes)
        _publish_names(claimed)
        for excluded in (False, True):
            pks = [e.pk for e in claimed if e.excluded_from_scores is excluded]
            if pks:
                Evaluation.objects.filter(pk__in=pks).update(aggregated_as_excluded=excluded)
        return len(claimed)


def _publish(changes: dict[_Cell, int], codes: dict) -> None:
    """The anonymised copy: staff dropped, codes instead of ids, in the same transaction."""
    tenant_id = current_tenant().pk
    public: Counter[tuple] = Counter()
    for cell, n in changes.items():
        item_code, org_code, window_code, platform_code = codes[cell]
        public[(tenant_id, cell.day, item_code, org_code, window_code, platform_code, cell.channel, cell.grade,
                cell.excluded)] += n
    rollup.add_counts([(*key, n) for key, n in public.items() if n])


def _publish_names(evaluations: list[Evaluation]) -> None:
    tenant_id = current_tenant().pk
    names: dict[tuple[str, str], str] = {}
    for e in evaluations:
        if e.window_id:
            names[("ORG", e.window.org.code)] = e.window.org.name
            names[("WINDOW", f"{e.window.org.code}/{e.window.code}")] = e.window.name
        if e.platform_id:
            names[("PLATFORM", e.platform.code)] = e.platform.name
    if not names:
        return
    table = f'"{get_public_schema_name()}"."{PublicName._meta.db_table}"'
    values = [(tenant_id, kind, code, name) for (kind, code), name in names.items()]
    sql = (f"INSERT INTO {table} (tenant_id, kind, code, name) VALUES {', '.join(['(%s, %s, %s, %s)'] * len(values))} "
           f"ON CONFLICT (tenant_id, kind, code) DO UPDATE SET name = EXCLUDED.name "
           f"WHERE {table}.name IS DISTINCT FROM EXCLUDED.name")
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for row in values for v in row])


def fold_tenant(schema_name: str, batch: int = BATCH) -> int:
    """Fold everything pending in one tenant schema."""
    total = 0
    with schema_context(schema_name):
        while True:
            done = fold_batch(batch)
            total += done
            if done < batch:
                return total


# The partial index evaluation_fold_pending's predicate, as PostgreSQL prints it: a probe the planner answers from it.
_PENDING_SQL = ("aggregated_as_excluded IS NULL OR NOT (aggregated_as_excluded = excluded_from_scores "
                "AND aggregated_as_excluded IS NOT NULL)")
# Planning a probe locks each table and its ~20 indexes until the statement ends: 20 schemas per statement keep that
# to a few hundred lock-table entries (PostgreSQL's default room is 64 per connection).
_PROBE_CHUNK = 20


def schemas_with_pending(schemas: list[str]) -> list[str]:
    """The schemas holding at least one evaluation not yet folded: one index probe per schema, 20 per statement,
    instead of switching to every schema (the fold runs every second; a province has thousands of schemas). A chunk
    whose probe fails (a schema being migrated, say) is visited schema by schema as before."""
    table = Evaluation._meta.db_table
    found: set[str] = set()
    with schema_context(get_public_schema_name()), connection.cursor() as cursor:
        probed = schemas_with_table(table, schemas)
        for start in range(0, len(probed), _PROBE_CHUNK):
            chunk = probed[start:start + _PROBE_CHUNK]
            try:
                with transaction.atomic():
                    cursor.execute(" UNION ALL ".join(
                        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote_schema_name(schema)}.{table} WHERE {_PENDING_SQL})"
                        for schema in chunk), chunk)
                    found.update(name for (name,) in cursor.fetchall())
            except DatabaseError:
                log.warning("fold probe failed for %s…; visiting those schemas one by one", chunk[0], exc_info=True)
                found.update(chunk)
    return [schema for schema in schemas if schema in found]


def fold_all() -> int:
    from haochaping.jobs.scheduler import tenant_schemas

    return sum(fold_tenant(schema) for schema in schemas_with_pending(tenant_schemas()))
