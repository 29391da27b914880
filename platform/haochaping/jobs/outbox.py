"""At-most-once delivery of an outbox row by a job (notifications, exchange records).

PENDING → SENDING is committed before the send. Then:
- delivered → SENT;
- a definite failure (nothing went out) → back to PENDING with last_error, and DeliveryFailed is raised so the job
  system retries with backoff; on the job's last attempt → FAILED;
- in doubt (it may have gone out) or a crash mid-send → stays SENDING and is never sent again."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A definite failure: nothing was delivered, so it may be tried again (a sender may raise any exception)."""


class DeliveryInDoubt(Exception):
    """It may have been delivered. It stays SENDING and is never sent again automatically."""


def _last_attempt(payload: dict) -> bool:
    """Whether the job system gives up after this attempt (the job lives in the public schema)."""
    job = Job.objects.filter(pk=payload.get("job_id")).values("attempts", "max_attempts").first()
    return job is not None and job["attempts"] >= job["max_attempts"]


def deliver_once(model, pk: int, send: Callable, payload: dict, *, reference_field: str) -> None:
    """Deliver the outbox row `model(pk)` with `send(row) -> reference`, at most once. The model has the fields
    state (PENDING/SENDING/SENT/FAILED), attempts, last_error, sent_at and `reference_field`."""
    State = model.State
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.state != State.PENDING:
            return  # already sent, given up, or in doubt after a crash: never send twice
        row.state = State.SENDING
        row.attempts += 1
        row.save(update_fields=["state", "attempts"])
    rows = model.objects.filter(pk=pk)
    try:
        reference = send(row)
    except DeliveryInDoubt as exc:
        log.warning("%s %s may or may not have been delivered; it is not sent again: %s", model.__name__, pk, exc)
        rows.update(last_error=f"in doubt, not sent again: {exc}"[:2000])
        return
    except Exception as exc:  # noqa: BLE001 - a definite failure: retry later
        rows.update(state=State.FAILED if _last_attempt(payload) else State.PENDING,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise DeliveryFailed(str(exc)) from exc
    rows.update(state=State.SENT, sent_at=timezone.now(), last_error="", **{reference_field: str(reference or "")[:120]})
