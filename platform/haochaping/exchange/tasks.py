"""Delivery by the worker: at most once per exchange record (haochaping.jobs.outbox.deliver_once)."""
from __future__ import annotations

from haochaping.jobs.outbox import deliver_once
from haochaping.jobs.services import job_handler

from .models import ExchangeRecord
from .senders import get_sender
from .services import DELIVER_JOB


@job_handler(DELIVER_JOB)
def deliver(payload: dict) -> None:
    deliver_once(ExchangeRecord, payload["record_id"], lambda record: get_sender().send(record), payload,
                 reference_field="reference")
