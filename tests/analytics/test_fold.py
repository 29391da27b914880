"""The fold counts every committed rating exactly once: counts always reconcile with the raw rows, also after a
rating is excluded, after the folding process is killed mid-transaction, and with two folders side by side."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.conftest import rate
from browser.live import _database_url
from conftest import run_committed
from haochaping.analytics.fold import _PENDING_SQL, _pending, fold_all, fold_batch, fold_tenant, schemas_with_pending
from haochaping.analytics.metrics import tenant_grade_counts
from haochaping.analytics.models import TenantCount
from haochaping.disclosure import rollup
from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount
from haochaping.evaluations.models import Evaluation
from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def raw_cells(slug: str) -> Counter:
    """(day, window, staff, channel, grade, excluded) → count, straight from the evaluations."""
    with schema_context(slug):
        return Counter({(timezone.localdate(e.rated_at), e.window_id, e.staff_id, e.channel, e.grade,
                         e.excluded_from_scores): 0 for e in Evaluation.objects.all()}) + Counter(
            (timezone.localdate(e.rated_at), e.window_id, e.staff_id, e.channel, e.grade, e.excluded_from_scores)
            for e in Evaluation.objects.all())


def counted_cells(slug: str) -> Counter:
    with schema_context(slug):
        rows = (TenantCount.objects.values_list("day", "window_id", "staff_id", "channel", "grade", "excluded")
                .annotate(total=Sum("n")).order_by())
        return Counter({key[:6]: key[6] for key in rows if key[6]})


def public_total(slug: str, **filters) -> int:
    tenant = Tenant.objects.get(schema_name=slug)
    return PublicCount.objects.filter(tenant=tenant, **filters).aggregate(total=Sum("n"))["total"] or 0


def monthly_oracle() -> Counter:
    """The monthly rollup recomputed naively from every daily public cell."""
    expected: Counter = Counter()
    for row in PublicCount.objects.all():
        column = "excluded" if row.excluded else f"n{row.grade}"
        units = [("tenant", "", "", "")]
        if row.item_code:
            units.append(("item", row.item_code, "", ""))
        if row.window_code:
            units.append(("window", "", row.org_code, row.window_code))
        for unit in units:
            for channel in (row.channel, ""):
                expected[(row.tenant_id, row.day.replace(day=1), *unit, channel, column)] += row.n
    return +expected


def daily_totals_oracle() -> Counter:
    expected: Counter = Counter()
    for row in PublicCount.objects.all():
        for channel in (row.channel, ""):
            expected[(row.tenant_id, row.day, channel, "excluded" if row.excluded else f"n{row.grade}")] += row.n
    return +expected


def daily_total_cells() -> Counter:
    found: Counter = Counter()
    for row in PublicDailyTotal.objects.all():
        for column in ("n1", "n2", "n3", "n4", "n5", "excluded"):
            found[(row.tenant_id, row.day, row.channel, column)] += getattr(row, column)
    return +found


def rollups_agree() -> bool:
    return monthly_cells() == monthly_oracle() and daily_total_cells() == daily_totals_oracle()


def monthly_cells() -> Counter:
    found: Counter = Counter()
    for row in PublicMonthlyCount.objects.all():
        for column in ("n1", "n2", "n3", "n4", "n5", "excluded"):
            found[(row.tenant_id, row.month, row.level, row.item_code, row.org_code, row.window_code, row.channel,
                   column)] += getattr(row, column)
    return +found


def test_fold_counts_each_rating_once_and_copies_an_anonymised_total(alpha, beta):
    with schema_context("alpha"):
        for grade in (5, 4, 4, 2, 1):
            rate("alpha", grade)
        assert fold_batch() == 5
        assert fold_batch() == 0  # nothing left: a second fold changes nothing
        counts = tenant_grade_counts(timezone.localdate(), timezone.localdate())
        assert counts.by_grade == {5: 1, 4: 2, 2: 1, 1: 1} and counts.excluded == 0
        assert counts.satisfaction_rate == 0.6 and counts.bad_review_rate == 0.4 and counts.average_grade == 3.2
    assert counted_cells("alpha") == raw_cells("alpha")
    assert public_total("alpha") == 5 and public_total("beta") == 0
    row = PublicCount.objects.first()
    assert (row.item_code, row.org_code, row.window_code, row.channel) == ("", "H01", "W01", "HOTLINE")
    assert not hasattr(row, "staff_id")  # the public copy names no staff
    month = timezone.localdate().replace(day=1)
    tenant_id = Tenant.objects.get(schema_name="alpha").pk
    assert rollups_agree()
    assert monthly_cells()[(tenant_id, month, "window", "", "H01", "W01", "", "n4")] == 2
    assert rollup.period_counts(month, timezone.localdate())[(tenant_id,)].by_grade == {5: 1, 4: 2, 2: 1, 1: 1}


def test_an_excluded_rating_moves_to_the_excluded_count(alpha):
    with schema_context("alpha"):
        kept, rejected = rate("alpha", 5), rate("alpha", 1)
        fold_batch()
        Evaluation.objects.filter(pk=rejected.pk).update(excluded_from_scores=True)  # as an approved rejection does
        assert fold_batch() == 1
        counts = tenant_grade_counts(timezone.localdate(), timezone.localdate())
        assert counts.by_grade == {5: 1, 1: 0} or counts.by_grade == {5: 1}
        assert counts.counted == 1 and counts.excluded == 1 and counts.satisfaction_rate == 1.0
        assert kept.pk
    assert counted_cells("alpha") == raw_cells("alpha")
    assert public_total("alpha", excluded=True) == 1 and public_total("alpha", excluded=False) == 1
    assert rollups_agree()
    monthly = PublicMonthlyCount.objects.get(level="tenant", channel="")
    assert (monthly.n1, monthly.n5, monthly.excluded) == (0, 1, 1)  # moved, not added


def test_folding_alpha_touches_only_alpha(alpha, beta):
    with schema_context("beta"):
        rate("beta", 3)
    with schema_context("alpha"):
        rate("alpha", 4)
        fold_batch()
    with schema_context("beta"):
        assert not TenantCount.objects.exists()
        assert Evaluation.objects.get().aggregated_as_excluded is None  # still waiting for beta's fold
    assert public_total("beta") == 0 and public_total("alpha") == 1


def test_only_schemas_with_pending_ratings_are_visited(alpha, beta):
    """The every-second pass probes all schemas at once and folds only those with work: a new rating, and a rating
    whose exclusion changed after it was counted; the probe is answered from the fold's partial index."""
    assert schemas_with_pending(["alpha", "beta"]) == []
    with schema_context("beta"):
        rate("beta", 3)
    assert schemas_with_pending(["alpha", "beta"]) == ["beta"]
    assert fold_all() == 1 and schemas_with_pending(["alpha", "beta"]) == []
    with schema_context("beta"):
        Evaluation.objects.update(excluded_from_scores=True)
        assert Evaluation.objects.filter(pk__in=_pending().values("pk")).count() == 1
    assert schemas_with_pending(["alpha", "beta"]) == ["beta"]
    assert fold_all() == 1 and public_total("beta", excluded=True) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table: make the planner show whether the index fits
        cursor.execute(f"EXPLAIN SELECT 1 FROM alpha.evaluations_evaluation WHERE {_PENDING_SQL}")
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "evaluation_fold_pending" in plan, plan


def test_a_probe_that_fails_falls_back_to_visiting_its_schemas(alpha, beta):
    """A schema mid-migration (here: an evaluations table without the fold's columns) must not stop the fold for
    everyone: its chunk is visited schema by schema; a schema without the table is left out."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA halfway; CREATE TABLE halfway.evaluations_evaluation (id int); "
                       "CREATE SCHEMA bare")
    assert schemas_with_pending(["alpha", "halfway", "bare"]) == ["alpha", "halfway"]
    assert schemas_with_pending(["alpha", "beta"]) == []  # the connection is usable afterwards


def test_metrics_are_none_without_data(alpha):
    with schema_context("alpha"):
        counts = tenant_grade_counts(timezone.localdate(), timezone.localdate())
    assert counts.counted == 0 and counts.satisfaction_rate is None and counts.average_grade is None


# --- committed data, real processes ---------------------------------------------------------------------------


def _worker_env() -> dict:
    return dict(os.environ, DATABASE_URL=_database_url(dict(connection.settings_dict)), PYTHONPATH=f"platform{os.pathsep}.",
                DJANGO_SETTINGS_MODULE="config.settings", DB_POOL_MAX_SIZE="0")


def _dsn() -> str:
    return _database_url(dict(connection.settings_dict))


@pytest.mark.usefixtures("committed")
def test_worker_killed_mid_fold_loses_and_doubles_nothing():
    """Ratings commit; a worker starts folding and is killed inside its transaction (held there by a lock this
    test takes on the public counts); a second worker then folds: counts equal the raw rows exactly."""
    for grade in (5, 4, 3, 2, 1, 5, 4):
        run_committed(rate, "alpha", grade)
    with psycopg.connect(_dsn(), autocommit=False) as blocker:
        blocker.execute('LOCK TABLE "public"."disclosure_publiccount" IN EXCLUSIVE MODE')
        worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--scan-interval", "0",
                                   "--fold-interval", "0.2"], cwd=ROOT, env=_worker_env(), start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The worker has written alpha's TenantCount rows and waits for the lock on the public copy.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                waiting = blocker.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = 'disclosure_publiccount' AND NOT l.granted").fetchone()[0]
                if waiting:
                    break
                time.sleep(0.1)
            assert waiting, "the worker never reached the public copy"
            os.killpg(worker.pid, signal.SIGKILL)  # mid-transaction: PostgreSQL rolls all of it back
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        blocker.rollback()

    def state():
        with schema_context("alpha"):
            return (TenantCount.objects.count(), Evaluation.objects.filter(aggregated_as_excluded__isnull=True).count())

    assert run_committed(state) == (0, 7)  # the killed fold left nothing behind
    subprocess.run([sys.executable, "manage.py", "run_worker", "--once", "--scan-interval", "0", "--fold-interval", "0.1"],
                   cwd=ROOT, env=_worker_env(), check=True, capture_output=True, timeout=60)
    assert run_committed(counted_cells, "alpha") == run_committed(raw_cells, "alpha")
    assert run_committed(public_total, "alpha") == 7
    assert run_committed(rollups_agree)


@pytest.mark.usefixtures("committed")
def test_two_folders_at_once_count_each_rating_once():
    for n in range(40):
        run_committed(rate, "alpha", 5 - n % 5, "W01", f"第{n}条")
    barrier = threading.Barrier(2)

    def folder():
        barrier.wait()
        return fold_tenant("alpha", batch=3)

    results = []
    threads = [threading.Thread(target=lambda: results.append(run_committed(folder))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 40
    assert run_committed(counted_cells, "alpha") == run_committed(raw_cells, "alpha")
    assert run_committed(fold_all) == 0
    assert run_committed(rollups_agree)
