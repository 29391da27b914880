"""The worker process killed (SIGKILL) while it sends an e-mail: the SMTP server (aiosmtpd on a spare port, as in
tests/notifications/test_outbox.py) has taken the message and is slow to answer when the kill comes. Once the job's
lease has run out a new worker runs the job again: it sees the notification SENDING (in doubt) and does not send it
a second time, and the other jobs still run.

Related coverage elsewhere: tests/analytics/test_fold.py kills a worker mid-fold (counts neither lost nor doubled);
tests/notifications/test_outbox.py simulates a crash left SENDING in-process; tests/jobs/test_worker.py re-runs a job
whose lease expired."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from browser.live import ROOT, _database_url, _free_port
from conftest import run_committed
from faults.support import manage_env, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.faults]


class SlowRecorder:
    """Stores each message, then waits before answering (the client is still inside DATA when it is killed)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        await asyncio.sleep(self.delay)
        return "250 2.0.0 accepted"

    def ids(self) -> list[str]:
        return [message["X-Haochaping-Notification"] for message in self.received]


def _queue(subject: str) -> tuple[int, int]:
    from haochaping.jobs.models import Job
    from haochaping.notifications.models import Notification
    from haochaping.notifications.services import queue_notification

    with schema_context("alpha"), transaction.atomic():
        notification = queue_notification(channel="EMAIL", recipient="fault@example.com", subject=subject,
                                          body="故障注入测试", purpose="faults")
    return notification.pk, Job.objects.get(dedupe_key=f"alpha:notification:{notification.pk}").pk


def _state(notification_pk: int, job_pk: int) -> tuple:
    from haochaping.jobs.models import Job
    from haochaping.notifications.models import Notification

    with schema_context("alpha"):
        notification = Notification.objects.get(pk=notification_pk)
    job = Job.objects.get(pk=job_pk)
    return notification.state, notification.attempts, job.state, job.attempts


def _expire_lease(job_pk: int) -> None:
    from haochaping.jobs.models import Job

    Job.objects.filter(pk=job_pk).update(locked_until=timezone.now() - timedelta(seconds=1))


def _delete(pairs: list[tuple[int, int]]) -> None:
    from haochaping.jobs.models import Job
    from haochaping.notifications.models import Notification

    with schema_context("alpha"):
        Notification.objects.filter(pk__in=[n for n, _ in pairs]).delete()
    Job.objects.filter(pk__in=[j for _, j in pairs]).delete()


def test_worker_killed_mid_send_never_sends_twice_and_other_jobs_run(db):
    from haochaping.jobs.models import Job
    from haochaping.notifications.models import Notification

    handler = SlowRecorder(delay=5)  # under EMAIL_TIMEOUT (10 s): the worker is still waiting when killed
    smtp = Controller(handler, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    env = manage_env(_database_url(dict(connection.settings_dict)), EMAIL_HOST="127.0.0.1",
                     EMAIL_PORT=str(smtp.port), EMAIL_USE_TLS="0")
    env.pop("EMAIL_BACKEND", None)
    log = Path(tempfile.mkstemp(prefix="hcp-worker-", suffix=".log")[1])
    worker = None
    queued: list[tuple[int, int]] = []
    try:
        queued.append(run_committed(_queue, "在途邮件"))
        first, first_job = queued[0]
        with log.open("wb") as out:
            worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--idle-sleep", "0.1",
                                       "--scan-interval", "0", "--fold-interval", "0"], cwd=ROOT, env=env,
                                      stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: handler.received or worker.poll() is not None, 30, what="the worker to send")
        assert handler.ids() == [str(first)], log.read_text()[-3000:]
        assert run_committed(_state, first, first_job) == (Notification.State.SENDING, 1, Job.State.RUNNING, 1)

        os.killpg(worker.pid, signal.SIGKILL)  # mid-send: the server has the message, the worker never hears back
        worker.wait(timeout=10)
        assert run_committed(_state, first, first_job) == (Notification.State.SENDING, 1, Job.State.RUNNING, 1)

        handler.delay = 0
        queued.append(run_committed(_queue, "其他邮件"))
        second, second_job = queued[1]
        run_committed(_expire_lease, first_job)  # the 5-minute lease has run out
        again = subprocess.run([sys.executable, "manage.py", "run_worker", "--once", "--scan-interval", "0",
                                "--fold-interval", "0"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 0, again.stdout + again.stderr

        # The killed job ran again and finished without sending; the other one was delivered; each mail once.
        assert run_committed(_state, first, first_job) == (Notification.State.SENDING, 1, Job.State.DONE, 2)
        assert run_committed(_state, second, second_job) == (Notification.State.SENT, 1, Job.State.DONE, 1)
        assert sorted(handler.ids()) == sorted([str(first), str(second)])
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        smtp.stop()
        log.unlink(missing_ok=True)
        run_committed(_delete, queued)
