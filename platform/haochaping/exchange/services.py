"""Queue exchange records in the rating's transaction; the worker delivers them after commit (tasks.py)."""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from haochaping.core.errors import DomainError
from haochaping.jobs.outbox import DeliveryFailed, DeliveryInDoubt  # noqa: F401 - senders raise these
from haochaping.jobs.services import enqueue

from . import codes, conf
from .formats import to_target
from .models import ExchangeRecord

log = logging.getLogger(__name__)
DELIVER_JOB = "exchange.deliver"
# Backoff 2, 4, 8 … seconds capped at an hour (jobs.services._finish): 16 attempts span about five hours.
DELIVER_MAX_ATTEMPTS = 16




def known_target(name: str) -> bool:
    return name == codes.NATIONAL or name in codes.provinces()


def queue_exchange(evaluation, targets: list[str] | None = None) -> list[ExchangeRecord]:
    """Call inside the transaction that stores the rating. One record per target for the case number and round:
    queuing again (a retried submission, a re-run) adds nothing. A rating without a case is not exchanged.

    A record that cannot be built (say, a unit without a division code) is stored FAILED with the reason rather
    than failing the rating. Returns the records created now."""
    if evaluation.case_id is None:
        return []
    created: list[ExchangeRecord] = []
    case_number = evaluation.case.case_number
    for target in targets if targets is not None else conf.targets():
        if not known_target(target):
            log.error("EXCHANGE_TARGETS names %r, which has no code table; nothing queued for it", target)
            continue
        try:
            payload, state, error = to_target(evaluation, target), ExchangeRecord.State.PENDING, ""
        except DomainError as exc:
            payload, state, error = {}, ExchangeRecord.State.FAILED, f"not built: {exc}"
        key = dict(target=target, case_number=case_number, round=evaluation.round)
        with transaction.atomic():
            if ExchangeRecord.objects.filter(**key).exists():
                continue
            try:
                with transaction.atomic():
                    record = ExchangeRecord.objects.create(evaluation=evaluation, payload=payload, state=state,
                                                           last_error=error, **key)
            except IntegrityError:
                # A concurrent caller queued the same target, case and round first.
                if ExchangeRecord.objects.filter(**key).exists():
                    continue
                raise
            if state == ExchangeRecord.State.PENDING:
                enqueue(DELIVER_JOB, {"record_id": record.pk}, dedupe_key=f"exchange:{record.pk}",
                        max_attempts=DELIVER_MAX_ATTEMPTS)
            created.append(record)
    return created
