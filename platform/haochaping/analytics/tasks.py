"""Job handlers (autodiscovered by haochaping.jobs): the periodic scan for concentrated problems."""
import logging

from django.db import connection

from haochaping.jobs.services import job_handler

from . import concentration

log = logging.getLogger(__name__)


@job_handler(concentration.SCAN_JOB)
def run_concentration_scan(payload: dict) -> None:
    counts = concentration.scan()
    if any(counts.values()):
        log.info("concentrated problems in %s: %s", connection.schema_name, counts)
