"""Monthly rollups: any period read from whole months plus partial edges equals the sum of the daily cells, for
every level, channel filter and grouping; a rebuild from the daily cells reproduces what the writes kept."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from conftest import public_count
from haochaping.disclosure import rollup
from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start, end, edges, whole", [
    (date(2026, 10, 1), date(2026, 10, 31), [], (date(2026, 10, 1), date(2026, 10, 1))),
    (date(2026, 2, 1), date(2026, 2, 28), [], (date(2026, 2, 1), date(2026, 2, 1))),
    (date(2026, 10, 5), date(2026, 10, 20), [(date(2026, 10, 5), date(2026, 10, 20))], None),
    (date(2026, 10, 5), date(2026, 11, 3), [(date(2026, 10, 5), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 3))],
     None),
    (date(2026, 9, 15), date(2026, 12, 2), [(date(2026, 9, 15), date(2026, 9, 30)), (date(2026, 12, 1), date(2026, 12, 2))],
     (date(2026, 10, 1), date(2026, 11, 1))),
    (date(2025, 12, 1), date(2026, 11, 30), [], (date(2025, 12, 1), date(2026, 11, 1))),
    (date(2026, 10, 1), date(2026, 11, 10), [(date(2026, 11, 1), date(2026, 11, 10))], (date(2026, 10, 1), date(2026, 10, 1))),
    (date(2026, 10, 9), date(2026, 10, 9), [(date(2026, 10, 9), date(2026, 10, 9))], None),
    (date(2026, 10, 9), date(2026, 10, 8), [], None),
])
def test_a_period_splits_into_whole_months_and_partial_edges(start, end, edges, whole):
    assert rollup.split_period(start, end) == (edges, whole)


CHANNELS = ("QR_CODE", "WEB", "HOTLINE")
ITEMS = ("", "TEST-001", "TEST-002")
WINDOWS = (("", ""), ("H01", "W01"), ("H01", "W02"), ("H02", "W01"))


@pytest.fixture
def random_cells(alpha, beta):
    """~300 random daily cells over Sept–Dec 2026 in two tenants, some negative (exclusions moving counts)."""
    rng = random.Random(20261126)
    tenants = [alpha.pk, beta.pk]
    for _ in range(300):
        org, window = rng.choice(WINDOWS)
        public_count(rng.choice(tenants), date(2026, 9, 1) + timedelta(days=rng.randrange(122)),
                     item_code=rng.choice(ITEMS), org_code=org, window_code=window, channel=rng.choice(CHANNELS),
                     grade=rng.randint(1, 5), excluded=rng.random() < 0.15, n=rng.randint(1, 9))
    return tenants


def naive(start, end, level, group, tenant_id=None, channel=None) -> dict:
    out: dict = {}
    for row in PublicCount.objects.filter(day__gte=start, day__lte=end):
        if (tenant_id and row.tenant_id != tenant_id) or (channel and row.channel != channel):
            continue
        if (level == "item" and not row.item_code) or (level == "window" and not row.window_code):
            continue
        values = {"tenant_id": row.tenant_id, "item_code": row.item_code, "org_code": row.org_code,
                  "window_code": row.window_code, "channel": row.channel, "month": row.day.replace(day=1)}
        counts = out.setdefault(tuple(values[g] for g in group), Counter())
        counts["x" if row.excluded else row.grade] += row.n
    return {key: +counts for key, counts in out.items() if +counts}


def as_counters(result: dict) -> dict:
    out = {}
    for key, counts in result.items():
        counter = +Counter({**counts.by_grade, "x": counts.excluded})
        if counter:
            out[key] = counter
    return out


@pytest.mark.parametrize("start, end", [
    (date(2026, 9, 1), date(2026, 12, 31)), (date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 9, 17), date(2026, 11, 4)), (date(2026, 10, 3), date(2026, 10, 12)),
    (date(2026, 8, 20), date(2027, 1, 10)),
])
def test_any_period_equals_the_sum_of_its_daily_cells(random_cells, start, end):
    alpha_id = random_cells[0]
    for level, group in rollup.LEVEL_KEYS.items():
        assert as_counters(rollup.period_counts(start, end, level=level)) == naive(start, end, level, group)
        assert (as_counters(rollup.period_counts(start, end, level=level, channel="WEB", tenant_id=alpha_id))
                == naive(start, end, level, group, tenant_id=alpha_id, channel="WEB"))
    assert (as_counters(rollup.period_counts(start, end, group=("month", "channel")))
            == naive(start, end, "tenant", ("month", "channel")))
    assert as_counters(rollup.period_counts(start, end, group=())) == naive(start, end, "tenant", ())


def naive_daily_totals(start, end, group, tenant_id=None, channel=None) -> dict:
    out: dict = {}
    for row in PublicCount.objects.filter(day__gte=start, day__lte=end):
        if (tenant_id and row.tenant_id != tenant_id) or (channel and row.channel != channel):
            continue
        key = tuple({"tenant_id": row.tenant_id, "day": row.day}[g] for g in group)
        out.setdefault(key, Counter())["x" if row.excluded else row.grade] += row.n
    return {key: +counts for key, counts in out.items() if +counts}


def test_daily_totals_equal_the_sum_of_the_daily_cells(random_cells):
    alpha_id = random_cells[0]
    start, end = date(2026, 9, 20), date(2026, 11, 10)
    for group in (("day",), ("tenant_id",), ("tenant_id", "day")):
        assert as_counters(rollup.daily_totals(start, end, group=group)) == naive_daily_totals(start, end, group)
        assert (as_counters(rollup.daily_totals(start, end, group=group, tenant_id=alpha_id, channel="QR_CODE"))
                == naive_daily_totals(start, end, group, tenant_id=alpha_id, channel="QR_CODE"))


def test_a_rebuild_from_the_daily_cells_reproduces_the_rollups(random_cells):
    def rows(model):
        return {tuple(row[1:]) for row in model.objects.values_list() if any(row[-6:])}

    kept = {model: rows(model) for model in (PublicMonthlyCount, PublicDailyTotal)}
    assert all(kept.values())  # the writes kept both rollups
    PublicMonthlyCount.objects.all().delete()
    PublicDailyTotal.objects.all().delete()
    written = rollup.rebuild()
    assert written == PublicMonthlyCount.objects.count()
    assert {model: rows(model) for model in kept} == kept


def test_a_rebuild_of_one_tenant_leaves_the_others(random_cells):
    alpha_id, beta_id = random_cells
    beta_rows = {model: set(model.objects.filter(tenant_id=beta_id).values_list())
                 for model in (PublicMonthlyCount, PublicDailyTotal)}
    for model in beta_rows:
        model.objects.filter(tenant_id=alpha_id).update(n5=999)
    rollup.rebuild(alpha_id)
    for model, rows in beta_rows.items():
        assert not model.objects.filter(n5=999).exists()
        assert set(model.objects.filter(tenant_id=beta_id).values_list()) == rows
