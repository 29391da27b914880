"""Rankings of tenants, items and windows (排名) and the monthly competition table (竞争机制), from the public counts
only. Fair to small volumes: units are ordered by the Wilson score's lower bound of their satisfaction rate (with
95% confidence), so 3 of 3 does not outrank 970 of 1,000; every row shows the number of ratings behind it, and a
unit with fewer than MIN_RATINGS counted ratings gets no score (a tiny cell would also expose individual raters)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django_tenants.utils import get_public_schema_name

from haochaping.analytics.metrics import GradeCounts
from haochaping.catalog.models import CatalogItem
from tenants.models import Tenant

from .models import PublicCount, PublicMonthlyCount, PublicName
from .rollup import ALL_CHANNELS, split_period
from .rollup import LEVEL_KEYS as LEVELS

MIN_RATINGS = 5
Z = 1.96  # 95%
# Rankings read the monthly rollup (disclosure.rollup); computed ones are still shared for a minute, as the portal's
# pages tell browsers and proxies max-age=60 anyway, and the fold's new counts show within that minute. 0 turns it off.
CACHE_SECONDS = 60


def wilson_lower_bound(good: int, total: int, z: float = Z) -> float | None:
    if total <= 0:
        return None
    p = good / total
    denominator = 1 + z * z / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - margin) / denominator


@dataclass
class RankRow:
    key: str
    name: str
    tenant_name: str
    counts: GradeCounts
    rank: int | None = None

    @property
    def ratings(self) -> int:
        return self.counts.counted

    @property
    def scored(self) -> bool:
        return self.ratings >= MIN_RATINGS

    @property
    def satisfaction_rate(self) -> float | None:
        return self.counts.satisfaction_rate if self.scored else None

    @property
    def score(self) -> float | None:
        return wilson_lower_bound(self.counts.good, self.ratings) if self.scored else None


def rankings(level: str, start: date, end: date, *, tenant: Tenant | None = None, channel: str | None = None,
             limit: int | None = None) -> list[RankRow]:
    """Units of `level` rated in [start, end], best first; unscored ones (too few ratings) after the scored.
    `limit` keeps the first rows only, and is applied in the database."""
    if level not in LEVELS:
        raise KeyError(level)
    if not CACHE_SECONDS:
        return _rankings(level, start, end, tenant, channel, limit)
    key = (f"rankings:{level}:{start.isoformat()}:{end.isoformat()}:{tenant.pk if tenant else ''}:{channel or ''}:"
           f"{limit or ''}")
    rows = cache.get(key)
    if rows is None:
        rows = _rankings(level, start, end, tenant, channel, limit)
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def _rankings(level: str, start: date, end: date, tenant: Tenant | None, channel: str | None,
              limit: int | None) -> list[RankRow]:
    sql, params = ranking_sql(level, start, end, tenant_id=tenant.pk if tenant else None, channel=channel, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    for position, (key, name, tenant_name, n1, n2, n3, n4, n5, excluded) in enumerate(fetched, start=1):
        by_grade = {grade: n for grade, n in zip(range(1, 6), (n1, n2, n3, n4, n5)) if n}
        row = RankRow(key=key, name=name, tenant_name=tenant_name,
                      counts=GradeCounts(by_grade=by_grade, excluded=excluded))
        row.rank = position if row.scored else None
        rows.append(row)
    return rows


def ranking_sql(level: str, start: date, end: date, *, tenant_id: int | None = None, channel: str | None = None,
                limit: int | None = None) -> tuple[str, list]:
    """One statement that sums the period's cells per unit (whole months from the monthly rollup, partial ones from
    the daily cells, as rollup.period_counts does), names the units and orders them: scored units by the Wilson
    lower bound, then by ratings, then by name (code-point order, as Python sorts); unscored units last.
    Ranking thousands of units in Python cost 40–150 ms a call at county scale; here the page's top 20 is a LIMIT."""
    public = get_public_schema_name()
    keys = LEVELS[level]
    key_list = ", ".join(keys)
    grade_sums = ", ".join(f"SUM(n) FILTER (WHERE NOT excluded AND grade = {g})" for g in range(1, 6))
    parts, params = [], []
    edges, whole = split_period(start, end)
    if whole is not None:
        where = ["level = %s", "month >= %s", "month <= %s", "channel = %s"]
        params += [level, whole[0], whole[1], channel or ALL_CHANNELS]
        if tenant_id is not None:
            where.append("tenant_id = %s")
            params.append(tenant_id)
        parts.append(f"SELECT {key_list}, n1, n2, n3, n4, n5, excluded "
                     f'FROM "{public}"."{PublicMonthlyCount._meta.db_table}" WHERE {" AND ".join(where)}')
    for low, high in edges:
        where = ["day >= %s", "day <= %s"]
        params += [low, high]
        if level == "item":
            where.append("item_code <> ''")
        elif level == "window":
            where.append("window_code <> ''")
        if channel:
            where.append("channel = %s")
            params.append(channel)
        if tenant_id is not None:
            where.append("tenant_id = %s")
            params.append(tenant_id)
        parts.append(f"SELECT {key_list}, {grade_sums}, SUM(n) FILTER (WHERE excluded) "
                     f'FROM "{public}"."{PublicCount._meta.db_table}" WHERE {" AND ".join(where)} '
                     f"GROUP BY {key_list}")
    if not parts:
        return "SELECT NULL, NULL, NULL, 0, 0, 0, 0, 0, 0 WHERE FALSE", []
    tenants = f'"{public}"."{Tenant._meta.db_table}"'
    names = f'"{public}"."{PublicName._meta.db_table}"'
    if level == "tenant":
        key_text, name, joins = "t.tenant_id::text", "tn.name", ""
    elif level == "item":
        key_text = "t.tenant_id::text || '/' || t.item_code"
        name = "COALESCE(ci.name, t.item_code)"
        joins = f'LEFT JOIN "{public}"."{CatalogItem._meta.db_table}" ci ON ci.code = t.item_code'
    else:
        key_text = "t.tenant_id::text || '/' || t.org_code || '/' || t.window_code"
        name = "COALESCE(o.name, t.org_code) || ' ' || COALESCE(w.name, t.window_code)"
        joins = (f"LEFT JOIN {names} o ON o.tenant_id = t.tenant_id AND o.kind = 'ORG' AND o.code = t.org_code "
                 f"LEFT JOIN {names} w ON w.tenant_id = t.tenant_id AND w.kind = 'WINDOW' "
                 f"AND w.code = t.org_code || '/' || t.window_code")
    ratings = "(t.n1 + t.n2 + t.n3 + t.n4 + t.n5)"
    good = "(t.n3 + t.n4 + t.n5)::float8"
    # wilson_lower_bound() in SQL, for the order only; the scores shown are computed by the Python function.
    p, n, z2 = f"({good} / {ratings})", f"{ratings}::float8", f"{Z * Z!r}"
    score = (f"CASE WHEN {ratings} >= {MIN_RATINGS} THEN ({p} + {z2} / (2 * {n}) - {Z!r} * sqrt({p} * (1 - {p}) / {n} "
             f"+ {z2} / (4 * {n} * {n}))) / (1 + {z2} / {n}) END")
    sql = (f"WITH cells ({key_list}, n1, n2, n3, n4, n5, excluded) AS ({' UNION ALL '.join(parts)}), "
           f"t AS (SELECT {key_list}, COALESCE(SUM(n1), 0)::int AS n1, COALESCE(SUM(n2), 0)::int AS n2, "
           f"COALESCE(SUM(n3), 0)::int AS n3, COALESCE(SUM(n4), 0)::int AS n4, COALESCE(SUM(n5), 0)::int AS n5, "
           f"COALESCE(SUM(excluded), 0)::int AS excluded FROM cells GROUP BY {key_list}) "
           f"SELECT {key_text}, {name}, tn.name, t.n1, t.n2, t.n3, t.n4, t.n5, t.excluded "
           f"FROM t JOIN {tenants} tn ON tn.id = t.tenant_id {joins} "
           f"WHERE {ratings} > 0 OR t.excluded > 0 "
           f"ORDER BY {ratings} < {MIN_RATINGS}, {score} DESC NULLS LAST, {ratings} DESC, {name} COLLATE \"C\", 1")
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


@dataclass
class CompetitionRow:
    tenant_name: str
    slug: str
    ratings: int
    satisfaction_rate: float | None
    score: float | None
    rank: int | None
    previous_rank: int | None

    @property
    def movement(self) -> int | None:
        """Places gained since last month (positive = up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(following.toordinal() - 1)


def monthly_competition(year: int, month: int) -> list[CompetitionRow]:
    """The month's tenant ranking beside last month's rank (竞争机制)."""
    start, end = month_bounds(year, month)
    previous_start, previous_end = month_bounds(year - (month == 1), (month - 2) % 12 + 1)
    previous = {row.key: row.rank for row in rankings("tenant", previous_start, previous_end)}
    slugs = dict(Tenant.objects.values_list("pk", "schema_name"))
    return [CompetitionRow(tenant_name=row.name, slug=slugs.get(int(row.key), ""), ratings=row.ratings,
                           satisfaction_rate=row.satisfaction_rate, score=row.score, rank=row.rank,
                           previous_rank=previous.get(row.key))
            for row in rankings("tenant", start, end)]
