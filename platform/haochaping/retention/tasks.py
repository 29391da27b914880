"""`privacy.retention` (scheduled once a day per active tenant by jobs.scheduler): anonymise personal data older
than the retention periods in the job's tenant schema. Idempotent: a rerun changes nothing."""
from __future__ import annotations

import logging

from haochaping.jobs.services import job_handler

from .services import RETENTION_JOB, apply_retention

log = logging.getLogger(__name__)


@job_handler(RETENTION_JOB)
def run_retention(payload: dict) -> None:
    run = apply_retention()
    log.info("privacy retention: %s rows anonymised %s", run.total, run.counts)
