"""Rankings from the public counts: fair to small volumes, tiny cells unscored, names from the public schema."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from haochaping.disclosure.models import PublicName
from haochaping.disclosure.rankings import MIN_RATINGS, monthly_competition, rankings, wilson_lower_bound
from tenants.models import Tenant
from conftest import public_count

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 10)


def counts(slug: str, good: int, bad: int, *, day=DAY, window="W01", item="TEST-001", excluded_bad: int = 0):
    tenant = Tenant.objects.get(schema_name=slug)
    for grade, n, excluded in ((5, good, False), (1, bad, False), (1, excluded_bad, True)):
        if n:
            public_count(tenant, day, item_code=item, org_code="H01", window_code=window, grade=grade,
                         excluded=excluded, n=n)


def test_wilson_score_prefers_evidence_over_a_lucky_few():
    assert wilson_lower_bound(3, 3) < wilson_lower_bound(970, 1000)
    assert wilson_lower_bound(0, 0) is None
    assert 0 < wilson_lower_bound(1, 2) < 0.5
    assert round(wilson_lower_bound(50, 100), 4) == 0.4038  # the textbook value for 50 of 100


def test_tenants_rank_by_score_and_show_the_ratings_behind_it(alpha, beta):
    counts("alpha", good=5, bad=0)        # 5 of 5: perfect but few
    counts("beta", good=190, bad=10)      # 95% of 200
    rows = rankings("tenant", DAY, DAY)
    assert [(r.name, r.rank, r.ratings) for r in rows] == [("乙镇", 1, 200), ("甲镇", 2, 5)]
    assert rows[0].satisfaction_rate == 0.95 and rows[1].satisfaction_rate == 1.0
    assert rows[0].score > rows[1].score


def test_too_few_ratings_get_no_score_and_come_last(alpha, beta):
    counts("alpha", good=MIN_RATINGS - 1, bad=0)
    counts("beta", good=3, bad=3)
    rows = rankings("tenant", DAY, DAY)
    assert [(r.name, r.rank) for r in rows] == [("乙镇", 1), ("甲镇", None)]
    assert rows[1].score is None and rows[1].satisfaction_rate is None and rows[1].ratings == MIN_RATINGS - 1


def test_rejected_reviews_are_left_out_of_the_rate_and_counted_apart(alpha):
    counts("alpha", good=9, bad=1, excluded_bad=5)
    row = rankings("tenant", DAY, DAY)[0]
    assert row.ratings == 10 and row.counts.excluded == 5 and row.satisfaction_rate == 0.9


def test_windows_and_items_rank_with_public_names(alpha, beta):
    counts("alpha", good=10, bad=0, window="W01")
    counts("alpha", good=5, bad=5, window="W02", item="TEST-002")
    alpha_tenant = Tenant.objects.get(schema_name="alpha")
    PublicName.objects.create(tenant=alpha_tenant, kind="ORG", code="H01", name="甲镇便民服务中心")
    PublicName.objects.create(tenant=alpha_tenant, kind="WINDOW", code="H01/W01", name="综合窗口")
    windows = rankings("window", DAY, DAY)
    assert [(r.name, r.rank) for r in windows] == [("甲镇便民服务中心 综合窗口", 1), ("甲镇便民服务中心 W02", 2)]
    items = rankings("item", DAY, DAY)
    assert [r.key.split("/")[1] for r in items] == ["TEST-001", "TEST-002"]
    assert items[0].tenant_name == "甲镇"
    assert rankings("window", DAY, DAY, tenant=Tenant.objects.get(schema_name="beta")) == []


def test_monthly_competition_shows_movement(alpha, beta):
    counts("alpha", good=100, bad=0, day=date(2026, 10, 5))
    counts("beta", good=50, bad=50, day=date(2026, 10, 5))
    counts("alpha", good=50, bad=50, day=date(2026, 11, 5))
    counts("beta", good=100, bad=0, day=date(2026, 11, 5))
    rows = monthly_competition(2026, 11)
    assert [(r.slug, r.rank, r.previous_rank, r.movement) for r in rows] == [("beta", 1, 2, 1), ("alpha", 2, 1, -1)]
    january = monthly_competition(2027, 1)
    assert january == []


def _python_ranking(level: str, start: date, end: date, channel: str | None = None) -> list[tuple]:
    """The ranking recomputed the slow, obvious way: period_counts, the Python Wilson bound, a Python sort."""
    from haochaping.disclosure.rollup import period_counts

    cells = period_counts(start, end, level=level, channel=channel)
    tenant_names = dict(Tenant.objects.values_list("pk", "name"))
    window_names = {(n.tenant_id, n.code): n.name for n in PublicName.objects.all()}
    rows = []
    for key, c in cells.items():
        if not (c.counted or c.excluded):
            continue
        if level == "tenant":
            name = tenant_names[key[0]]
        elif level == "item":
            name = key[1]  # no catalog entry for these codes: the code is the name
        else:
            name = (f"{window_names.get((key[0], key[1]), key[1])} "
                    f"{window_names.get((key[0], f'{key[1]}/{key[2]}'), key[2])}")
        score = wilson_lower_bound(c.good, c.counted) if c.counted >= MIN_RATINGS else None
        rows.append(("/".join(map(str, key)), name, c.counted, c.excluded, score))
    rows.sort(key=lambda r: (r[4] is None, -(r[4] or 0), -r[2], r[1], r[0]))
    return rows


def test_ranking_in_sql_equals_the_obvious_computation_on_random_cells(alpha, beta, settings):
    """Random cells over three months (whole and partial months, ties included) for every level and a channel
    filter: the database's order, names, counts and scores equal the Python recomputation."""
    import random

    from haochaping.disclosure import rankings as ranking_module

    rng = random.Random(7)
    tenants = [alpha, beta]
    PublicName.objects.create(tenant=alpha, kind="ORG", code="H01", name="甲中心")
    PublicName.objects.create(tenant=alpha, kind="WINDOW", code="H01/W02", name="二号窗口")
    for _ in range(300):
        day = date(2026, 9, 1) + timedelta(days=rng.randrange(91))
        window = rng.choice(["", "W01", "W02", "W03"])
        public_count(rng.choice(tenants), day, grade=rng.choice([1, 2, 3, 4, 5, 5, 5]), n=rng.choice([1, 1, 2, 5]),
                     channel=rng.choice(["QR_CODE", "WEB"]), item_code=rng.choice(["", "I-1", "I-2", "I-3", "I-4"]),
                     org_code="H01" if window else "", window_code=window, excluded=rng.random() < 0.1)
    ranking_module.CACHE_SECONDS = 0
    try:
        for start, end in [(date(2026, 9, 1), date(2026, 11, 30)), (date(2026, 9, 17), date(2026, 11, 3)),
                           (date(2026, 10, 5), date(2026, 10, 5)), (date(2026, 10, 1), date(2026, 10, 31))]:
            for level in ("tenant", "item", "window"):
                for channel in (None, "WEB"):
                    got = rankings(level, start, end, channel=channel)
                    want = _python_ranking(level, start, end, channel)
                    assert [(r.key, r.name, r.ratings, r.counts.excluded, r.score) for r in got] == want, \
                        (level, start, end, channel)
                    assert [r.rank for r in got] == [i + 1 if w[4] is not None else None
                                                    for i, w in enumerate(want)]
                    top = rankings(level, start, end, channel=channel, limit=3)
                    assert [r.key for r in top] == [w[0] for w in want[:3]]
    finally:
        ranking_module.CACHE_SECONDS = 60
