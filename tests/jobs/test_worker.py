"""The durable job queue: transactional enqueue, tenant-scoped handlers, retries with backoff, dedupe keys,
unknown kinds and the `run_worker` command."""
from __future__ import annotations

import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.jobs.models import Job
from haochaping.jobs.services import HANDLERS, LEASE, enqueue, job_handler, run_due_jobs
from haochaping.organizations.models import Window

CALLS: list[dict] = []
TEST_KINDS = ("test.record", "test.fail", "test.flaky")


@pytest.fixture(scope="module", autouse=True)
def _handlers():
    """Registers this module's handlers for its tests and removes them afterwards."""
    before = dict(HANDLERS)

    @job_handler("test.record")
    def record(payload: dict) -> None:
        CALLS.append({"schema": connection.schema_name, "payload": payload,
                      "windows": list(Window.objects.values_list("name", flat=True))})

    @job_handler("test.fail")
    def fail(payload: dict) -> None:
        CALLS.append({"schema": connection.schema_name, "payload": payload})
        raise ValueError("boom: 模拟失败")

    @job_handler("test.flaky")
    def flaky(payload: dict) -> None:
        CALLS.append({"schema": connection.schema_name, "payload": payload})
        if sum(1 for c in CALLS if c["payload"].get("job_id") == payload["job_id"]) < 2:
            raise RuntimeError("first attempt fails")

    yield
    for kind in TEST_KINDS:
        HANDLERS.pop(kind, None)
    assert HANDLERS == before


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def make_due(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(seconds=1))


def test_test_handlers_are_registered():
    assert set(TEST_KINDS) <= set(HANDLERS)


def test_enqueue_in_a_rolled_back_transaction_leaves_no_job(db):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            job = enqueue("test.record", {"n": 1}, schema_name="alpha")
            assert Job.objects.filter(pk=job.pk).exists()
            raise RuntimeError("the change that needed the job failed")
    assert not Job.objects.filter(kind="test.record").exists()
    assert run_due_jobs() == 0
    assert CALLS == []


def test_enqueue_records_the_current_schema(db):
    with schema_context("beta"):
        job = enqueue("test.record", {"n": 2})
    assert job.schema_name == "beta"
    assert job.state == Job.State.PENDING and job.attempts == 0
    assert job.run_after <= timezone.now()


def test_committed_job_runs_in_its_tenant_schema(db):
    with transaction.atomic():
        with schema_context("alpha"):
            job = enqueue("test.record", {"n": 3})
    other = enqueue("test.record", {"n": 4}, schema_name="beta")
    assert connection.schema_name == "public"
    assert run_due_jobs() == 2
    by_n = {c["payload"]["n"]: c for c in CALLS}
    assert by_n[3]["schema"] == "alpha" and by_n[3]["windows"] == ["alpha综合窗口"]
    assert by_n[3]["payload"]["job_id"] == job.pk
    assert by_n[4]["schema"] == "beta" and by_n[4]["windows"] == ["beta综合窗口"]
    assert connection.schema_name == "public"  # the worker leaves the connection where it found it
    for pk in (job.pk, other.pk):
        done = Job.objects.get(pk=pk)
        assert done.state == Job.State.DONE
        assert done.attempts == 1 and done.finished_at is not None and done.locked_until is None
        assert done.last_error == ""
    assert run_due_jobs() == 0  # done jobs never run again
    assert len(CALLS) == 2


def test_delayed_job_waits(db):
    job = enqueue("test.record", {}, schema_name="alpha", delay=timedelta(minutes=10))
    assert run_due_jobs() == 0
    make_due(job)
    assert run_due_jobs() == 1
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE


def test_failing_job_is_retried_with_backoff_then_fails(db):
    job = enqueue("test.fail", {"n": 5}, schema_name="alpha")
    Job.objects.filter(pk=job.pk).update(max_attempts=3)
    delays = []
    for attempt in (1, 2):
        started = timezone.now()
        assert run_due_jobs() == 1
        job.refresh_from_db()
        assert job.state == Job.State.PENDING
        assert job.attempts == attempt
        assert job.run_after > timezone.now()
        assert job.locked_until is None and job.finished_at is None
        assert job.last_error == "ValueError: boom: 模拟失败"
        delays.append((job.run_after - started).total_seconds())
        assert run_due_jobs() == 0  # not due again until the backoff has passed
        make_due(job)
    assert delays[1] > delays[0] >= 1  # the backoff grows
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.attempts == 3 and job.finished_at is not None
    assert "boom" in job.last_error
    make_due(job)
    assert run_due_jobs() == 0  # a failed job is not picked up again
    assert [c["schema"] for c in CALLS] == ["alpha"] * 3


def test_retry_succeeds_on_second_attempt(db):
    job = enqueue("test.flaky", {}, schema_name="beta")
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.PENDING and "first attempt fails" in job.last_error
    make_due(job)
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2


def test_one_failing_job_does_not_stop_the_batch(db):
    bad = enqueue("test.fail", {}, schema_name="alpha")
    good = enqueue("test.record", {"n": 6}, schema_name="alpha")
    assert run_due_jobs() == 2
    assert Job.objects.get(pk=bad.pk).state == Job.State.PENDING
    assert Job.objects.get(pk=good.pk).state == Job.State.DONE


def test_dedupe_key_enqueues_once(db):
    first = enqueue("test.record", {"n": 7}, schema_name="alpha", dedupe_key="case-42:notify")
    again = enqueue("test.record", {"n": 8}, schema_name="alpha", dedupe_key="case-42:notify")
    assert first is not None and again is None
    # The key is per schema: the same key in another tenant is another job.
    elsewhere = enqueue("test.record", {"n": 9}, schema_name="beta", dedupe_key="case-42:notify")
    assert elsewhere is not None
    assert Job.objects.filter(kind="test.record").count() == 2
    assert run_due_jobs() == 2
    assert sorted(c["payload"]["n"] for c in CALLS) == [7, 9]
    # Still deduplicated after it ran.
    assert enqueue("test.record", {"n": 10}, schema_name="alpha", dedupe_key="case-42:notify") is None


def test_dedupe_inside_a_retried_transaction(db):
    for _ in range(3):
        with transaction.atomic():
            enqueue("test.record", {}, schema_name="alpha", dedupe_key="retried")
    assert Job.objects.filter(dedupe_key="alpha:retried").count() == 1


def test_unknown_kind_fails_with_a_clear_error(db):
    job = enqueue("test.nobody-handles-this", {}, schema_name="alpha")
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state in (Job.State.PENDING, Job.State.FAILED)
    assert job.state != Job.State.DONE
    assert "no handler for job kind 'test.nobody-handles-this'" in job.last_error
    # With no attempts left it ends FAILED, keeping the message.
    job = enqueue("test.nobody-handles-this", {}, schema_name="beta")
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "no handler for job kind" in job.last_error and job.finished_at is not None
    assert CALLS == []


def test_expired_lease_is_run_again(db):
    """A worker killed mid-job leaves it RUNNING; once the lease expires another worker takes it."""
    job = enqueue("test.record", {"n": 11}, schema_name="alpha")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1,
                                         locked_until=timezone.now() + LEASE)
    assert run_due_jobs() == 0
    Job.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2


def test_batch_size_is_respected(db):
    for n in range(5):
        enqueue("test.record", {"n": n}, schema_name="alpha")
    assert run_due_jobs(batch=2) == 2
    assert run_due_jobs(batch=2) == 2
    assert run_due_jobs(batch=2) == 1
    assert [c["payload"]["n"] for c in CALLS] == [0, 1, 2, 3, 4]  # oldest first


@pytest.fixture
def restore_signals():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def keep_test_connection(monkeypatch):
    """run_worker calls close_old_connections() each loop; inside the test's transaction that would drop the
    connection (autocommit is off), so the test keeps it."""
    monkeypatch.setattr("haochaping.jobs.management.commands.run_worker.close_old_connections", lambda: None)


def test_run_worker_once(db, restore_signals, keep_test_connection):
    done = enqueue("test.record", {"n": 12}, schema_name="alpha")
    later = enqueue("test.record", {"n": 13}, schema_name="beta", delay=timedelta(hours=1))
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "worker started" in out.getvalue() and "worker stopped" in out.getvalue()
    assert [(c["schema"], c["payload"]["n"]) for c in CALLS] == [("alpha", 12)]
    assert Job.objects.get(pk=done.pk).state == Job.State.DONE
    assert Job.objects.get(pk=later.pk).state == Job.State.PENDING
    assert connection.schema_name == "public"


def test_run_worker_once_with_nothing_due(db, restore_signals, keep_test_connection):
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "worker stopped" in out.getvalue()
    assert CALLS == []


def test_finished_jobs_are_deleted_after_the_retention_period_failed_and_waiting_ones_stay(db):
    from haochaping.jobs.services import prune_finished_jobs

    now = timezone.now()
    with schema_context("public"):
        def job(state, finished_days_ago):
            return Job.objects.create(kind="test.record", schema_name="alpha", payload={}, state=state, run_after=now,
                                      finished_at=None if finished_days_ago is None
                                      else now - timedelta(days=finished_days_ago))

        old_done = [job(Job.State.DONE, 8) for _ in range(5)]
        recent_done = job(Job.State.DONE, 6)
        old_failed = job(Job.State.FAILED, 30)
        waiting = job(Job.State.PENDING, None)
        assert prune_finished_jobs(timedelta(days=7), batch=2) == 5  # three batches: 2, 2, 1
        left = set(Job.objects.filter(pk__in=[j.pk for j in (*old_done, recent_done, old_failed, waiting)])
                   .values_list("pk", flat=True))
        assert left == {recent_done.pk, old_failed.pk, waiting.pk}
        assert prune_finished_jobs(timedelta(days=7)) == 0
        just_done = job(Job.State.DONE, 0.05)
        # Never less than a day (a scan's time bucket may still be current): the 6-day-old job goes, the new one stays.
        assert prune_finished_jobs(timedelta(0)) == 1
        assert Job.objects.filter(pk=just_done.pk).exists() and not Job.objects.filter(pk=recent_done.pk).exists()
