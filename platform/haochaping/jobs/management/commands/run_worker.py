import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from haochaping.jobs.services import run_due_jobs


class Command(BaseCommand):
    help = "Run durable background jobs until stopped (SIGTERM finishes the current batch first)"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument("--idle-sleep", type=float, default=0.5)

    def handle(self, *args, once, idle_sleep, **options):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("worker started")
        while not stopping:
            close_old_connections()
            ran = run_due_jobs()
            if once:
                break
            if not ran:
                time.sleep(idle_sleep)
        self.stdout.write("worker stopped")
