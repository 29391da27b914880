"""Rankings from the public counts: fair to small volumes, tiny cells unscored, names from the public schema."""
from __future__ import annotations

from datetime import date

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
