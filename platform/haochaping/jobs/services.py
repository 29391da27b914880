"""Enqueue and run durable jobs. Handlers are registered per kind and must be idempotent: a worker
killed mid-job leaves the job to run again once its lease expires."""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from .models import Job

log = logging.getLogger(__name__)
HANDLERS: dict[str, Callable[[dict], None]] = {}
LEASE = timedelta(minutes=5)


def job_handler(kind: str):
    def register(func: Callable[[dict], None]):
        HANDLERS[kind] = func
        return func

    return register


def enqueue(kind: str, payload: dict, *, schema_name: str | None = None, dedupe_key: str | None = None,
            delay: timedelta | None = None, max_attempts: int | None = None) -> Job | None:
    """Write a job in the caller's transaction. Returns None when the dedupe key already exists."""
    schema = schema_name or connection.schema_name
    values = dict(kind=kind, schema_name=schema, payload=payload, run_after=timezone.now() + (delay or timedelta()))
    if max_attempts is not None:
        values["max_attempts"] = max_attempts
    if dedupe_key is None:
        return Job.objects.create(**values)
    job, created = Job.objects.get_or_create(dedupe_key=f"{schema}:{dedupe_key}", defaults=values)
    return job if created else None


def prune_finished_jobs(older_than: timedelta, *, batch: int = 5000, max_batches: int = 20) -> int:
    """Delete jobs finished (DONE) before now - older_than, at most max_batches batches per call (the worker calls
    it hourly, so a first run over a large backlog does not hold up due jobs); returns how many. Failed jobs stay.
    Periodic scans add jobs per tenant every few minutes: without this the table grows by millions of rows a day
    at a province's size. Job dedupe keys name past time buckets (the scheduler) and nothing refers to a job row."""
    cutoff = timezone.now() - max(older_than, timedelta(days=1))  # never within a scan's time bucket
    deleted = 0
    with schema_context(get_public_schema_name()):
        for _ in range(max_batches):
            ids = list(Job.objects.filter(state=Job.State.DONE, finished_at__lt=cutoff)
                       .order_by("finished_at").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            deleted += Job.objects.filter(pk__in=ids).delete()[0]
            if len(ids) < batch:
                return deleted
    return deleted


def _claim(batch: int) -> list[Job]:
    now = timezone.now()
    with schema_context(get_public_schema_name()), transaction.atomic():
        due = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(state__in=[Job.State.PENDING, Job.State.RUNNING], run_after__lte=now)
            .exclude(locked_until__gt=now)
            .order_by("run_after", "id")[:batch]
        )
        for job in due:
            job.state = Job.State.RUNNING
            job.attempts += 1
            job.locked_until = now + LEASE
            job.save(update_fields=["state", "attempts", "locked_until"])
    return due


def _finish(job: Job, error: str | None) -> None:
    with schema_context(get_public_schema_name()):
        if error is None:
            Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, finished_at=timezone.now(), locked_until=None)
            return
        failed = job.attempts >= job.max_attempts
        backoff = timedelta(seconds=min(3600, 2 ** job.attempts))
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED if failed else Job.State.PENDING, last_error=error[-4000:],
            run_after=timezone.now() + backoff, locked_until=None,
            finished_at=timezone.now() if failed else None,
        )


def run_due_jobs(batch: int = 20) -> int:
    """Run what is due now; returns how many jobs were attempted."""
    jobs = _claim(batch)
    for job in jobs:
        handler = HANDLERS.get(job.kind)
        if handler is None:
            _finish(job, f"no handler for job kind {job.kind!r} (worker {socket.gethostname()}:{os.getpid()})")
            continue
        try:
            with schema_context(job.schema_name):
                handler(job.payload | {"job_id": job.pk})
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the worker
            log.exception("job %s failed", job)
            _finish(job, f"{type(exc).__name__}: {exc}")
        else:
            _finish(job, None)
    return len(jobs)
