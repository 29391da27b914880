"""Monthly rollups of the public counts, and reading any period from them.

The fold moves both tables through `add_counts`, in one transaction, so the monthly table is exact whenever the
daily one is. A period [start, end] is read as its whole months from
PublicMonthlyCount plus the (at most two) partial months at its edges from PublicCount."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Iterable

from django.db import connection, transaction
from django.db.models import Sum, Value
from django_tenants.utils import get_public_schema_name

from haochaping.analytics.metrics import GradeCounts

from .models import PublicCount, PublicDailyTotal, PublicMonthlyCount

LEVEL_KEYS = {"tenant": ("tenant_id",), "item": ("tenant_id", "item_code"),
              "window": ("tenant_id", "org_code", "window_code")}
ALL_CHANNELS = ""
GRADE_COLUMNS = ("n1", "n2", "n3", "n4", "n5")
DAILY_CELL = ("tenant_id", "day", "item_code", "org_code", "window_code", "platform_code", "channel", "grade",
              "excluded")
_CELL = ("tenant_id", "month", "level", "item_code", "org_code", "window_code", "channel")
_COUNTS = (*GRADE_COLUMNS, "excluded")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _levels(item_code: str, org_code: str, window_code: str):
    yield "tenant", "", "", ""
    if item_code:
        yield "item", item_code, "", ""
    if window_code:
        yield "window", "", org_code, window_code


def monthly_deltas(daily_rows: Iterable[tuple]) -> dict[tuple, list[int]]:
    """Daily public cells (tenant_id, day, item_code, org_code, window_code, platform_code, channel, grade,
    excluded, n) → {monthly cell: [n1..n5, excluded]} for every level, per channel and for all channels."""
    deltas: dict[tuple, list[int]] = {}
    for tenant_id, day, item_code, org_code, window_code, _platform, channel, grade, excluded, n in daily_rows:
        column = 5 if excluded else grade - 1
        for level, item, org, window in _levels(item_code, org_code, window_code):
            for each in (channel, ALL_CHANNELS):
                cell = (tenant_id, first_of_month(day), level, item, org, window, each)
                deltas.setdefault(cell, [0] * 6)[column] += n
    return {cell: counts for cell, counts in deltas.items() if any(counts)}


def daily_total_deltas(daily_rows: Iterable[tuple]) -> dict[tuple, list[int]]:
    """Daily public cells → {(tenant_id, day, channel or ""): [n1..n5, excluded]}."""
    deltas: dict[tuple, list[int]] = {}
    for tenant_id, day, _item, _org, _window, _platform, channel, grade, excluded, n in daily_rows:
        for each in (channel, ALL_CHANNELS):
            deltas.setdefault((tenant_id, day, each), [0] * 6)[5 if excluded else grade - 1] += n
    return {cell: counts for cell, counts in deltas.items() if any(counts)}


def add_counts(daily_rows: list[tuple]) -> None:
    """Move the public daily cells (tenant_id, day, item_code, org_code, window_code, platform_code, channel, grade,
    excluded, n) and their rollups by n, in the caller's transaction. The only writer of these tables."""
    daily_rows = sorted(row for row in daily_rows if row[-1])
    if not daily_rows:
        return
    # Every upsert sorted, so concurrent folds lock shared cells in one order and cannot deadlock each other.
    _upsert(PublicCount, DAILY_CELL, ("n",), daily_rows)
    _upsert(PublicMonthlyCount, _CELL, _COUNTS,
            [(*cell, *counts) for cell, counts in sorted(monthly_deltas(daily_rows).items())])
    _upsert(PublicDailyTotal, ("tenant_id", "day", "channel"), _COUNTS,
            [(*cell, *counts) for cell, counts in sorted(daily_total_deltas(daily_rows).items())])


def _upsert(model, cell: tuple[str, ...], counts: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    table = f'"{get_public_schema_name()}"."{model._meta.db_table}"'
    columns = (*cell, *counts)
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in counts)
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholder] * len(rows))} "
           f"ON CONFLICT ({', '.join(cell)}) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def rebuild(tenant_id: int | None = None) -> int:
    """Recompute the rollups from PublicCount (after a bulk load, or to repair); returns the monthly rows written."""
    table = f'"{get_public_schema_name()}"."{PublicMonthlyCount._meta.db_table}"'
    daily = f'"{get_public_schema_name()}"."{PublicCount._meta.db_table}"'
    where = "WHERE tenant_id = %s" if tenant_id is not None else ""
    params = [tenant_id] if tenant_id is not None else []
    sums = ", ".join(f"SUM(n) FILTER (WHERE NOT excluded AND grade = {g})" for g in range(1, 6))
    levels = [("tenant", "''", "''", "''", "TRUE"), ("item", "item_code", "''", "''", "item_code <> ''"),
              ("window", "''", "org_code", "window_code", "window_code <> ''")]
    selects = []
    for level, item, org, window, condition in levels:
        for channel in ("channel", "''"):
            selects.append(
                f"SELECT tenant_id, date_trunc('month', day)::date, '{level}', {item}, {org}, {window}, {channel}, "
                f"{sums}, SUM(n) FILTER (WHERE excluded) FROM {daily} "
                f"WHERE {condition} {'AND tenant_id = %s' if tenant_id is not None else ''} "
                f"GROUP BY 1, 2, 3, 4, 5, 6, 7")
    totals = f'"{get_public_schema_name()}"."{PublicDailyTotal._meta.db_table}"'
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {daily} IN SHARE MODE")  # no fold may move the counts meanwhile
        cursor.execute(f"DELETE FROM {totals} {where}", params)
        per_channel = (f"SELECT tenant_id, day, {{channel}}, {sums}, SUM(n) FILTER (WHERE excluded) FROM {daily} "
                       f"{where} GROUP BY 1, 2, 3")
        cursor.execute(
            f"INSERT INTO {totals} (tenant_id, day, channel, {', '.join(_COUNTS)}) "
            f"SELECT tenant_id, day, ch, COALESCE(a, 0), COALESCE(b, 0), COALESCE(c, 0), COALESCE(d, 0), "
            f"COALESCE(e, 0), COALESCE(x, 0) FROM ({per_channel.format(channel='channel')} UNION ALL "
            f"{per_channel.format(channel=chr(39) * 2)}) AS cells (tenant_id, day, ch, a, b, c, d, e, x) "
            f"WHERE COALESCE(a, 0) <> 0 OR COALESCE(b, 0) <> 0 OR COALESCE(c, 0) <> 0 OR COALESCE(d, 0) <> 0 "
            f"OR COALESCE(e, 0) <> 0 OR COALESCE(x, 0) <> 0", params * 2)
        cursor.execute(f"DELETE FROM {table} {where}", params)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join((*_CELL, *_COUNTS))}) "
            f"SELECT tenant_id, m, lvl, i, o, w, ch, COALESCE(a, 0), COALESCE(b, 0), COALESCE(c, 0), COALESCE(d, 0), "
            f"COALESCE(e, 0), COALESCE(x, 0) FROM ({' UNION ALL '.join(selects)}) "
            f"AS cells (tenant_id, m, lvl, i, o, w, ch, a, b, c, d, e, x) "
            f"WHERE COALESCE(a, 0) <> 0 OR COALESCE(b, 0) <> 0 OR COALESCE(c, 0) <> 0 OR COALESCE(d, 0) <> 0 "
            f"OR COALESCE(e, 0) <> 0 OR COALESCE(x, 0) <> 0",
            params * len(selects))
        return cursor.rowcount


def split_period(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """[start, end] → (partial months as day ranges, (first whole month, last whole month) or None)."""
    if end < start:
        return [], None
    edges: list[tuple[date, date]] = []
    first_whole = start if start.day == 1 else _next_month(start)
    after_end = end + timedelta(days=1)
    last_whole_end = first_of_month(after_end)  # whole months end before this day
    if first_whole >= last_whole_end:  # no whole month inside: split at month boundaries only
        cursor = start
        while cursor <= end:
            stop = min(end, _next_month(cursor) - timedelta(days=1))
            edges.append((cursor, stop))
            cursor = stop + timedelta(days=1)
        return edges, None
    if start < first_whole:
        edges.append((start, first_whole - timedelta(days=1)))
    if last_whole_end <= end:
        edges.append((last_whole_end, end))
    last_whole = first_of_month(last_whole_end - timedelta(days=1))
    return edges, (first_whole, last_whole)


def period_counts(start: date, end: date, *, level: str = "tenant", group: tuple[str, ...] | None = None,
                  tenant_id: int | None = None, channel: str | None = None) -> dict[tuple, GradeCounts]:
    """Grade counts in [start, end] per key of `group` (default: the level's key; may include "month" and
    "channel"), for units of `level` (item and window levels leave out cells without an item or window)."""
    if level not in LEVEL_KEYS:
        raise KeyError(level)
    group = LEVEL_KEYS[level] if group is None else group
    result: dict[tuple, GradeCounts] = {}
    edges, whole = split_period(start, end)
    if whole is not None:
        monthly = PublicMonthlyCount.objects.filter(level=level, month__gte=whole[0], month__lte=whole[1])
        if tenant_id is not None:
            monthly = monthly.filter(tenant_id=tenant_id)
        if channel:
            monthly = monthly.filter(channel=channel)
        elif "channel" in group:
            monthly = monthly.exclude(channel=ALL_CHANNELS)
        else:
            monthly = monthly.filter(channel=ALL_CHANNELS)
        sums_of = {c: Sum(c) for c in _COUNTS}
        if group:
            rows = monthly.values_list(*group).annotate(**{f"sum_{c}": s for c, s in sums_of.items()}).order_by()
        else:  # one total: values_list() without fields would mean every field
            total = monthly.aggregate(**{f"sum_{c}": s for c, s in sums_of.items()})
            rows = [tuple(total[f"sum_{c}"] for c in _COUNTS)] if total["sum_n1"] is not None else []
        for row in rows:
            key, sums = row[: len(group)], row[len(group):]
            _merge(result, key, {g: n or 0 for g, n in zip(range(1, 6), sums)}, sums[5] or 0)
    for low, high in edges:
        daily = PublicCount.objects.filter(day__gte=low, day__lte=high)
        if tenant_id is not None:
            daily = daily.filter(tenant_id=tenant_id)
        if channel:
            daily = daily.filter(channel=channel)
        if level == "item":
            daily = daily.exclude(item_code="")
        elif level == "window":
            daily = daily.exclude(window_code="")
        if "month" in group:
            daily = daily.annotate(month=Value(first_of_month(low)))
        for row in daily.values_list(*group, "grade", "excluded").annotate(total=Sum("n")).order_by():
            key, (grade, excluded, total) = row[: len(group)], row[len(group):]
            if excluded:
                _merge(result, key, {}, total)
            else:
                _merge(result, key, {grade: total}, 0)
    return result


def _merge(result: dict[tuple, GradeCounts], key: tuple, by_grade: dict[int, int], excluded: int) -> None:
    counts = result.get(key)
    if counts is None:
        counts = result[key] = GradeCounts()
    for grade, n in by_grade.items():
        if n:
            counts.by_grade[grade] = counts.by_grade.get(grade, 0) + n
    counts.excluded += excluded


def daily_totals(start: date, end: date, *, group: tuple[str, ...], tenant_id: int | None = None,
                 channel: str | None = None) -> dict[tuple, GradeCounts]:
    """Grade counts in [start, end] from the per-tenant daily totals, per key of `group` (fields of
    PublicDailyTotal, e.g. ("day",) or ("tenant_id",))."""
    rows = PublicDailyTotal.objects.filter(day__gte=start, day__lte=end, channel=channel or ALL_CHANNELS)
    if tenant_id is not None:
        rows = rows.filter(tenant_id=tenant_id)
    result: dict[tuple, GradeCounts] = {}
    sums = {f"sum_{c}": Sum(c) for c in _COUNTS}
    for row in rows.values_list(*group).annotate(**sums).order_by():
        key, counts = row[: len(group)], row[len(group):]
        _merge(result, key, {g: n or 0 for g, n in zip(range(1, 6), counts)}, counts[5] or 0)
    return result
