"""Delivery by the worker: at most once per exchange record (see models.ExchangeRecord).

PENDING → SENDING is committed before the send. Then:
- delivered → SENT;
- a definite failure (nothing was delivered) → back to PENDING with last_error, and DeliveryFailed is raised so
  the job system retries with backoff; on the job's last attempt → FAILED;
- in doubt (it may have been delivered) or a crash mid-send → stays SENDING and is never sent again."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from haochaping.jobs.models import Job
from haochaping.jobs.services import job_handler

from .models import ExchangeRecord
from .senders import get_sender
from .services import DELIVER_JOB, DeliveryFailed, DeliveryInDoubt

log = logging.getLogger(__name__)


def _last_attempt(payload: dict) -> bool:
    job = Job.objects.filter(pk=payload.get("job_id")).values("attempts", "max_attempts").first()
    return job is not None and job["attempts"] >= job["max_attempts"]


@job_handler(DELIVER_JOB)
def deliver(payload: dict) -> None:
    with transaction.atomic():
        record = ExchangeRecord.objects.select_for_update().filter(pk=payload["record_id"]).first()
        if record is None or record.state != ExchangeRecord.State.PENDING:
            return  # already sent, given up, or in doubt after a crash: never send twice
        record.state = ExchangeRecord.State.SENDING
        record.attempts += 1
        record.save(update_fields=["state", "attempts"])
    try:
        reference = get_sender().send(record)
    except DeliveryInDoubt as exc:
        log.warning("exchange record %s may or may not have been delivered; it is not sent again: %s", record, exc)
        ExchangeRecord.objects.filter(pk=record.pk).update(last_error=f"in doubt, not sent again: {exc}"[:2000])
        return
    except Exception as exc:  # noqa: BLE001 - a definite failure: retry later
        state = ExchangeRecord.State.FAILED if _last_attempt(payload) else ExchangeRecord.State.PENDING
        ExchangeRecord.objects.filter(pk=record.pk).update(state=state, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise DeliveryFailed(str(exc)) from exc
    ExchangeRecord.objects.filter(pk=record.pk).update(state=ExchangeRecord.State.SENT, sent_at=timezone.now(),
                                                       reference=str(reference or "")[:120], last_error="")
