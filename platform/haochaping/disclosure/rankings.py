"""Rankings of tenants, items and windows (排名) and the monthly competition table (竞争机制), from the public counts
only. Fair to small volumes: units are ordered by the Wilson score's lower bound of their satisfaction rate (with
95% confidence), so 3 of 3 does not outrank 970 of 1,000; every row shows the number of ratings behind it, and a
unit with fewer than MIN_RATINGS counted ratings gets no score (a tiny cell would also expose individual raters)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from datetime import date

from django.core.cache import cache

from haochaping.analytics.metrics import GradeCounts
from haochaping.catalog.models import CatalogItem
from tenants.models import Tenant

from .models import PublicName
from .rollup import LEVEL_KEYS as LEVELS
from .rollup import period_counts

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

    # Computed once per row: a ranking sorts thousands of rows by these (counts do not change after ranking).
    @cached_property
    def ratings(self) -> int:
        return self.counts.counted

    @property
    def scored(self) -> bool:
        return self.ratings >= MIN_RATINGS

    @cached_property
    def satisfaction_rate(self) -> float | None:
        return self.counts.satisfaction_rate if self.scored else None

    @cached_property
    def score(self) -> float | None:
        return wilson_lower_bound(self.counts.good, self.ratings) if self.scored else None


def rankings(level: str, start: date, end: date, *, tenant: Tenant | None = None, channel: str | None = None,
             limit: int | None = None) -> list[RankRow]:
    """Units of `level` rated in [start, end], best first; unscored ones (too few ratings) after the scored."""
    if level not in LEVELS:
        raise KeyError(level)
    if not CACHE_SECONDS:
        rows = _rankings(level, start, end, tenant, channel)
    else:
        key = f"rankings:{level}:{start.isoformat()}:{end.isoformat()}:{tenant.pk if tenant else ''}:{channel or ''}"
        rows = cache.get(key)
        if rows is None:
            rows = _rankings(level, start, end, tenant, channel)
            cache.set(key, rows, CACHE_SECONDS)
    return rows[:limit] if limit else rows


def _rankings(level: str, start: date, end: date, tenant: Tenant | None, channel: str | None) -> list[RankRow]:
    cells = period_counts(start, end, level=level, tenant_id=tenant.pk if tenant else None, channel=channel)
    tenants = {t.pk: t.name for t in Tenant.objects.filter(pk__in={key[0] for key in cells})}
    names = _names(level, cells)
    rows = [RankRow(key="/".join(str(part) for part in key), name=names.get(key, key[-1] if level != "tenant" else ""),
                    tenant_name=tenants.get(key[0], ""), counts=counts)
            for key, counts in cells.items()]
    rows = [row for row in rows if row.ratings or row.counts.excluded]
    if level == "tenant":
        for row in rows:
            row.name = row.tenant_name
    rows.sort(key=lambda r: (not r.scored, -(r.score or 0), -r.ratings, r.name))
    for position, row in enumerate(rows, start=1):
        row.rank = position if row.scored else None
    return rows


def _names(level: str, cells: dict) -> dict[tuple, str]:
    if level == "item":
        codes = {key[1] for key in cells}
        by_code = dict(CatalogItem.objects.filter(code__in=codes).values_list("code", "name"))
        return {key: by_code.get(key[1], key[1]) for key in cells}
    if level == "window":
        wanted = {(key[0], f"{key[1]}/{key[2]}") for key in cells}
        found = {(n.tenant_id, n.code): n.name for n in PublicName.objects.filter(
            kind=PublicName.Kind.WINDOW, tenant_id__in={t for t, _ in wanted}, code__in={c for _, c in wanted})}
        orgs = {(n.tenant_id, n.code): n.name for n in PublicName.objects.filter(
            kind=PublicName.Kind.ORG, tenant_id__in={t for t, _ in wanted})}
        return {key: f"{orgs.get((key[0], key[1]), key[1])} {found.get((key[0], f'{key[1]}/{key[2]}'), key[2])}"
                for key in cells}
    return {}


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
