"""Analytics tests commit ratings and let the fold (or a worker process) count them; `committed` removes every row
they add, counts included."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from boards.conftest import _marks, _restore
from conftest import run_committed


def _count_marks():
    from haochaping.analytics.models import TenantCount
    from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount, PublicName

    marks = {}
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            marks[schema] = list(TenantCount.objects.values_list("pk", flat=True))
    marks["public"] = list(PublicCount.objects.values_list("pk", flat=True))
    marks["names"] = list(PublicName.objects.values_list("pk", flat=True))
    marks["monthly"] = list(PublicMonthlyCount.objects.values_list("pk", flat=True))
    marks["daily_totals"] = list(PublicDailyTotal.objects.values_list("pk", flat=True))
    return marks


def _restore_counts(marks):
    from haochaping.analytics.models import TenantCount
    from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount, PublicName

    for schema in ("alpha", "beta"):
        with schema_context(schema):
            TenantCount.objects.exclude(pk__in=marks[schema]).delete()
    PublicCount.objects.exclude(pk__in=marks["public"]).delete()
    PublicName.objects.exclude(pk__in=marks["names"]).delete()
    PublicMonthlyCount.objects.exclude(pk__in=marks["monthly"]).delete()
    PublicDailyTotal.objects.exclude(pk__in=marks["daily_totals"]).delete()


@pytest.fixture
def committed(db):
    marks = run_committed(lambda: (_marks(), _count_marks()))
    yield
    run_committed(_restore_counts, marks[1])
    run_committed(_restore, marks[0])
