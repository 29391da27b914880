import logging
import signal
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from haochaping.analytics.fold import fold_all
from haochaping.jobs.scheduler import enqueue_periodic
from haochaping.jobs.services import prune_finished_jobs, run_due_jobs

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run durable background jobs until stopped (SIGTERM finishes the current batch first)"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument("--idle-sleep", type=float, default=0.5)
        parser.add_argument("--error-sleep", type=float, default=5.0,
                            help="pause after the queue itself could not be read (e.g. the database restarting)")
        parser.add_argument("--scan-interval", type=float, default=300.0,
                            help="seconds between periodic scans (one rectification.scan job per active tenant, "
                                 "deduped per tenant and time bucket across workers; privacy.retention once a day); "
                                 "0 turns the scheduler off")
        parser.add_argument("--fold-interval", type=float, default=1.0,
                            help="seconds between folds of new ratings into the analytics counts (0: off)")
        parser.add_argument("--smtp-port", type=int, default=0,
                            help="also listen for 综合点评 e-mail on this port (0: off; feedback.mail)")
        parser.add_argument("--smtp-host", default="127.0.0.1")

    def handle(self, *args, once, idle_sleep, error_sleep, scan_interval, fold_interval, smtp_port, smtp_host,
               **options):
        stopping = False
        listener = None
        if smtp_port and not once:
            from haochaping.feedback.mail import start_listener

            listener = start_listener(smtp_host, smtp_port)
            self.stdout.write(f"e-mail intake listening on {smtp_host}:{smtp_port}")
        next_tick = next_fold = next_prune = 0.0

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("worker started")
        while not stopping:
            close_old_connections()
            try:
                if scan_interval > 0 and time.monotonic() >= next_tick:
                    enqueue_periodic(scan_interval)
                    next_tick = time.monotonic() + min(scan_interval, 60.0)
                if scan_interval > 0 and time.monotonic() >= next_prune:
                    prune_finished_jobs(timedelta(days=settings.JOB_RETENTION_DAYS))
                    next_prune = time.monotonic() + 3600.0
                ran = run_due_jobs()
                if fold_interval > 0 and time.monotonic() >= next_fold:
                    ran += fold_all()
                    next_fold = time.monotonic() + fold_interval
            except Exception:  # noqa: BLE001 - a database outage must not end the worker; jobs wait, none is lost
                if once:
                    raise
                log.exception("could not run due jobs; trying again in %ss", error_sleep)
                time.sleep(error_sleep)
                continue
            if once:
                break
            if not ran:
                time.sleep(idle_sleep)
        if listener is not None:
            listener.stop()
        self.stdout.write("worker stopped")
