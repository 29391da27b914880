"""The notification outbox: queued in the caller's transaction, delivered by the worker after commit — email over
real SMTP (a small aiosmtpd server on a free port), SMS through the default recording provider — retried after a
definite failure, never sent twice (a notification left SENDING or in doubt is not sent again), and always in
the tenant schema that queued it."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.jobs.models import Job
from haochaping.jobs.services import HANDLERS, enqueue, run_due_jobs
from haochaping.notifications import tasks
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.notifications.services import DELIVER_JOB, DELIVER_MAX_ATTEMPTS, queue_notification

from conftest import run_committed  # noqa: E402 - tests/conftest.py

ROOT = Path(__file__).resolve().parents[2]


# --- a real SMTP server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every accepted message; can refuse recipients or answer slowly."""

    def __init__(self):
        self.received: list[dict] = []
        self.refuse_recipients = False
        self.delay_after_accepting = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": message_from_bytes(envelope.original_content, policy=policy.default)})
        if self.delay_after_accepting:  # stored, but the client gives up before it hears so
            await asyncio.sleep(self.delay_after_accepting)
        return "250 2.0.0 accepted"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[dict]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **extra):
        return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                                 EMAIL_PORT=self.port, EMAIL_USE_TLS=False, EMAIL_HOST_USER="",
                                 EMAIL_HOST_PASSWORD="", **extra)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    with server.settings():
        yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """A port where nothing listens (connection refused) and the server that may be started there later."""
    server = SmtpServer()
    with server.settings():
        yield server
    server.stop()


# --- helpers ---------------------------------------------------------------------------------------------


def queue_email(schema="alpha", **overrides) -> Notification:
    values = dict(channel="EMAIL", recipient="applicant@example.com", subject="政务服务“好差评”邀请您评价",
                  body="请对本次服务进行评价：http://alpha.localhost:8000/e/x/", purpose="invitation")
    values.update(overrides)
    with schema_context(schema):
        return queue_notification(**values)


def queue_sms(schema="alpha", **overrides) -> Notification:
    values = dict(channel="SMS", recipient="13800138000", body="您的验证码为123456", purpose="phone_code")
    values.update(overrides)
    with schema_context(schema):
        return queue_notification(**values)


def job_for(notification: Notification, schema="alpha") -> Job:
    return Job.objects.get(dedupe_key=f"{schema}:notification:{notification.pk}")


def reload(notification: Notification, schema="alpha") -> Notification:
    with schema_context(schema):
        return Notification.objects.get(pk=notification.pk)


def make_due(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(seconds=1))


def test_the_deliver_handler_is_registered():
    assert HANDLERS[DELIVER_JOB] is tasks.deliver
    assert settings.SMS_PROVIDER == "haochaping.notifications.sms.RecordingSmsProvider"


# --- email over SMTP -------------------------------------------------------------------------------------


def test_email_is_sent_over_smtp_once(db, smtp):
    notification = queue_email(recipient="wang@example.com", body="您的办件已办结，请评价：http://alpha.localhost:8000/e/abc/")
    job = job_for(notification)
    assert job.kind == DELIVER_JOB and job.schema_name == "alpha"
    assert job.payload == {"notification_id": notification.pk}
    assert job.max_attempts == DELIVER_MAX_ATTEMPTS == 16  # retried for hours, not minutes
    assert smtp.received == []  # nothing is sent in the caller's transaction

    assert run_due_jobs() == 1
    assert len(smtp.received) == 1
    sent = smtp.received[0]
    assert sent["to"] == ["wang@example.com"] and sent["from"] == settings.DEFAULT_FROM_EMAIL
    message = sent["message"]
    assert message["Subject"] == "政务服务“好差评”邀请您评价"
    assert message["To"] == "wang@example.com"
    assert message["X-Haochaping-Notification"] == str(notification.pk)
    assert message.get_content().strip() == "您的办件已办结，请评价：http://alpha.localhost:8000/e/abc/"

    notification = reload(notification)
    assert notification.state == Notification.State.SENT
    assert notification.attempts == 1 and notification.sent_at is not None
    assert notification.provider_reference == "smtp" and notification.last_error == ""
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 1

    # Neither the job system nor a stray second run of the handler sends it again.
    make_due(job)
    assert run_due_jobs() == 0
    with schema_context("alpha"):
        tasks.deliver({"notification_id": notification.pk, "job_id": job.pk})
    assert len(smtp.received) == 1


def test_refused_delivery_goes_back_to_pending_and_is_retried_with_backoff(db, smtp_down):
    notification = queue_email()
    job = job_for(notification)
    started = timezone.now()
    assert run_due_jobs() == 1  # the SMTP server is down: connection refused

    notification = reload(notification)
    assert notification.state == Notification.State.PENDING
    assert notification.attempts == 1 and notification.sent_at is None
    assert "ConnectionRefusedError" in notification.last_error
    job.refresh_from_db()
    assert job.state == Job.State.PENDING and job.attempts == 1
    assert job.run_after >= started + timedelta(seconds=2)  # backoff
    assert "DeliveryFailed" in job.last_error and job.locked_until is None
    assert run_due_jobs() == 0  # not before the backoff has passed

    smtp_down.start()
    make_due(job)
    assert run_due_jobs() == 1
    assert len(smtp_down.received) == 1
    assert smtp_down.received[0]["message"]["X-Haochaping-Notification"] == str(notification.pk)
    notification = reload(notification)
    assert notification.state == Notification.State.SENT
    assert notification.attempts == 2 and notification.last_error == ""
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2

    make_due(job)
    assert run_due_jobs() == 0
    assert len(smtp_down.received) == 1


def test_a_refused_recipient_is_a_definite_failure(db, smtp):
    smtp.handler.refuse_recipients = True
    notification = queue_email()
    assert run_due_jobs() == 1
    assert smtp.received == []
    notification = reload(notification)
    assert notification.state == Notification.State.PENDING
    assert "SMTPRecipientsRefused" in notification.last_error
    assert job_for(notification).state == Job.State.PENDING

    smtp.handler.refuse_recipients = False
    make_due(job_for(notification))
    assert run_due_jobs() == 1
    assert len(smtp.received) == 1
    assert reload(notification).state == Notification.State.SENT


def test_a_failure_on_the_last_attempt_marks_the_notification_failed(db, smtp_down):
    notification = queue_email()
    Job.objects.filter(pk=job_for(notification).pk).update(max_attempts=2)
    assert run_due_jobs() == 1
    assert reload(notification).state == Notification.State.PENDING
    make_due(job_for(notification))
    assert run_due_jobs() == 1
    notification = reload(notification)
    assert notification.state == Notification.State.FAILED
    assert notification.attempts == 2 and "ConnectionRefusedError" in notification.last_error
    job = job_for(notification)
    assert job.state == Job.State.FAILED and job.finished_at is not None


def test_an_answer_lost_after_the_server_accepted_the_mail_is_never_resent(db):
    """The server stores the message, then the client times out waiting for its reply: the message may well
    have gone out, so it is left SENDING (in doubt) and not retried."""
    server = SmtpServer().start()
    server.handler.delay_after_accepting = 4
    try:
        with server.settings(EMAIL_TIMEOUT=1.5):
            notification = queue_email()
            job = job_for(notification)
            assert run_due_jobs() == 1
            assert len(server.received) == 1
            notification = reload(notification)
            assert notification.state == Notification.State.SENDING
            assert "in doubt" in notification.last_error
            job.refresh_from_db()
            assert job.state == Job.State.DONE
            make_due(job)
            Job.objects.filter(pk=job.pk).update(state=Job.State.PENDING)  # even if the job ran again
            assert run_due_jobs() == 1
            assert reload(notification).state == Notification.State.SENDING
        time.sleep(0.1)
        assert len(server.received) == 1
    finally:
        server.stop()


class NothingSentBackend:
    """An email backend that reports nothing was sent (Django backends return how many they sent)."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        return 0


def test_a_backend_that_sends_nothing_does_not_count_as_sent(db):
    with override_settings(EMAIL_BACKEND=f"{__name__}.NothingSentBackend"):
        notification = queue_email()
        assert run_due_jobs() == 1
    notification = reload(notification)
    assert notification.state == Notification.State.PENDING and notification.sent_at is None
    assert notification.last_error
    assert job_for(notification).state == Job.State.PENDING


def test_in_tests_email_goes_to_the_locmem_outbox(db):
    notification = queue_email(recipient="li@example.com")
    assert run_due_jobs() == 1
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    assert mail.outbox[0].extra_headers["X-Haochaping-Notification"] == str(notification.pk)


# --- SMS through the provider interface ------------------------------------------------------------------


def test_sms_goes_to_sms_record_through_the_default_provider(db):
    notification = queue_sms(recipient="13900139000", body="您的政务服务评价验证码为654321")
    with schema_context("alpha"):
        assert not SmsRecord.objects.exists()
    assert run_due_jobs() == 1
    with schema_context("alpha"):
        record = SmsRecord.objects.get()
        assert record.notification_id == notification.pk
        assert record.phone == "13900139000" and record.text == "您的政务服务评价验证码为654321"
        notification.refresh_from_db()
        assert notification.state == Notification.State.SENT
        assert notification.provider_reference == f"recorded:{record.pk}"
    make_due(job_for(notification))
    assert run_due_jobs() == 0
    with schema_context("alpha"):
        assert SmsRecord.objects.count() == 1


SENT_BY_GATEWAY: list[str] = []


class FlakyGateway:
    """A county's gateway: refuses the first message, sends the second."""

    def send(self, notification):
        SENT_BY_GATEWAY.append(notification.recipient)
        if len(SENT_BY_GATEWAY) == 1:
            raise ConnectionError("gateway busy")
        return "gw-42"


def test_a_plugged_in_sms_gateway_is_used_and_retried(db):
    SENT_BY_GATEWAY.clear()
    with override_settings(SMS_PROVIDER=f"{__name__}.FlakyGateway"):
        notification = queue_sms()
        assert run_due_jobs() == 1
        assert reload(notification).state == Notification.State.PENDING
        assert "gateway busy" in reload(notification).last_error
        make_due(job_for(notification))
        assert run_due_jobs() == 1
    notification = reload(notification)
    assert notification.state == Notification.State.SENT and notification.provider_reference == "gw-42"
    assert SENT_BY_GATEWAY == ["13800138000", "13800138000"]
    with schema_context("alpha"):
        assert not SmsRecord.objects.exists()  # the recording provider was not used


class GatewayInDoubt:
    """A gateway whose answer was lost after the request went out."""

    def send(self, notification):
        from haochaping.notifications.services import DeliveryInDoubt

        SENT_BY_GATEWAY.append(notification.recipient)
        raise DeliveryInDoubt("read timed out")


def test_an_sms_gateway_in_doubt_is_never_asked_again(db):
    SENT_BY_GATEWAY.clear()
    with override_settings(SMS_PROVIDER=f"{__name__}.GatewayInDoubt"):
        notification = queue_sms()
        assert run_due_jobs() == 1
        job = job_for(notification)
        assert job.state == Job.State.DONE
        make_due(job)
        Job.objects.filter(pk=job.pk).update(state=Job.State.PENDING)
        assert run_due_jobs() == 1
    notification = reload(notification)
    assert notification.state == Notification.State.SENDING and "in doubt" in notification.last_error
    assert SENT_BY_GATEWAY == ["13800138000"]


# --- at most once ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["SMS", "EMAIL"])
def test_a_notification_left_sending_by_a_crash_is_never_resent(db, smtp, channel):
    """The worker marked it SENDING (committed), then died mid-send; its job runs again after the lease."""
    notification = queue_sms() if channel == "SMS" else queue_email()
    job = job_for(notification)
    with schema_context("alpha"):
        Notification.objects.filter(pk=notification.pk).update(state=Notification.State.SENDING, attempts=1)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1,
                                         locked_until=timezone.now() - timedelta(seconds=1))
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    notification = reload(notification)
    assert notification.state == Notification.State.SENDING and notification.attempts == 1
    assert smtp.received == []
    with schema_context("alpha"):
        assert not SmsRecord.objects.exists()


def test_the_same_dedupe_key_queues_once(db):
    first = queue_sms(dedupe_key="alpha:invitation:7")
    again = queue_sms(dedupe_key="alpha:invitation:7", body="另一条")
    assert first is not None and again is None
    with schema_context("alpha"):
        assert Notification.objects.filter(dedupe_key="alpha:invitation:7").count() == 1
        assert Notification.objects.count() == 1
    assert Job.objects.filter(kind=DELIVER_JOB).count() == 1
    assert run_due_jobs() == 1
    assert queue_sms(dedupe_key="alpha:invitation:7") is None  # also once it was sent
    with schema_context("alpha"):
        assert SmsRecord.objects.get().text == "您的验证码为123456"


def test_two_concurrent_callers_with_the_same_dedupe_key_queue_once(db):
    """The second caller's check sees nothing (the first has not committed), its insert waits on the unique
    index, and once the first commits it gets None instead of an IntegrityError."""
    import threading

    key = "alpha:concurrent:1"
    first_inserted = threading.Event()
    results: dict = {}

    def caller(name: str, hold: float):
        try:
            with schema_context("alpha"), transaction.atomic():
                if name == "second":
                    first_inserted.wait(10)
                results[name] = queue_notification(channel="SMS", recipient="13800138000", body=name,
                                                   purpose="t", dedupe_key=key)
                if name == "first":
                    first_inserted.set()
                    time.sleep(hold)  # the second caller is now blocked on the unique index
        except BaseException as exc:  # noqa: BLE001
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=caller, args=("first", 1.0)),
               threading.Thread(target=caller, args=("second", 0))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert isinstance(results["first"], Notification), results
        assert results["second"] is None, results
        with schema_context("alpha"):
            assert Notification.objects.filter(dedupe_key=key).count() == 1
        assert Job.objects.filter(dedupe_key=f"alpha:notification:{results['first'].pk}").count() == 1
    finally:
        def cleanup():
            with schema_context("alpha"):
                pks = list(Notification.objects.filter(dedupe_key=key).values_list("pk", flat=True))
                Notification.objects.filter(pk__in=pks).delete()
            Job.objects.filter(dedupe_key__in=[f"alpha:notification:{pk}" for pk in pks]).delete()

        run_committed(cleanup)


def test_a_rolled_back_transaction_queues_nothing(db):
    with pytest.raises(RuntimeError):
        with schema_context("alpha"), transaction.atomic():
            notification = queue_notification(channel="SMS", recipient="13800138000", body="x", purpose="invitation")
            assert notification is not None
            raise RuntimeError("the cause of the notification failed")
    with schema_context("alpha"):
        assert not Notification.objects.exists()
    assert not Job.objects.filter(kind=DELIVER_JOB).exists()
    assert run_due_jobs() == 0


def test_queue_inside_a_savepoint_that_rolls_back_keeps_the_outer_work(db):
    with schema_context("alpha"), transaction.atomic():
        kept = queue_notification(channel="SMS", recipient="13800138000", body="kept", purpose="t")
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_notification(channel="SMS", recipient="13800138001", body="lost", purpose="t")
            raise RuntimeError
    with schema_context("alpha"):
        assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Job.objects.filter(kind=DELIVER_JOB).count() == 1


# --- tenants ---------------------------------------------------------------------------------------------


def test_jobs_carry_the_tenant_schema_and_deliver_only_their_own_notification(db, smtp):
    pk = 900001
    for schema, phone in (("alpha", "13811110000"), ("beta", "13822220000")):
        with schema_context(schema):
            Notification.objects.create(pk=pk, channel="SMS", recipient=phone, body=f"{schema}的短信", purpose="t")
            Notification.objects.create(pk=pk + 1, channel="EMAIL", recipient=f"{schema}@example.com",
                                        subject=schema, body=f"{schema}的邮件", purpose="t")
    alpha_jobs = [enqueue(DELIVER_JOB, {"notification_id": n}, schema_name="alpha") for n in (pk, pk + 1)]
    beta_jobs = [enqueue(DELIVER_JOB, {"notification_id": n}, schema_name="beta", delay=timedelta(hours=1))
                 for n in (pk, pk + 1)]
    assert {job.schema_name for job in alpha_jobs} == {"alpha"} and {job.schema_name for job in beta_jobs} == {"beta"}

    assert run_due_jobs() == 2  # alpha's only
    with schema_context("alpha"):
        assert list(SmsRecord.objects.values_list("phone", "text")) == [("13811110000", "alpha的短信")]
        assert set(Notification.objects.filter(pk__in=[pk, pk + 1]).values_list("state", flat=True)) == {"SENT"}
    with schema_context("beta"):
        assert not SmsRecord.objects.exists()
        assert set(Notification.objects.filter(pk__in=[pk, pk + 1]).values_list("state", flat=True)) == {"PENDING"}
    assert [r["to"] for r in smtp.received] == [["alpha@example.com"]]

    for job in beta_jobs:
        make_due(job)
    assert run_due_jobs() == 2
    with schema_context("beta"):
        assert list(SmsRecord.objects.values_list("phone", "text")) == [("13822220000", "beta的短信")]
        assert set(Notification.objects.filter(pk__in=[pk, pk + 1]).values_list("state", flat=True)) == {"SENT"}
    with schema_context("alpha"):
        assert SmsRecord.objects.count() == 1
    assert [r["to"] for r in smtp.received] == [["alpha@example.com"], ["beta@example.com"]]
    assert connection.schema_name == "public"


def test_queue_notification_records_the_callers_schema(db):
    alpha_sms, beta_sms = queue_sms("alpha"), queue_sms("beta")
    assert job_for(alpha_sms, "alpha").schema_name == "alpha"
    assert job_for(beta_sms, "beta").schema_name == "beta"


# --- the worker ------------------------------------------------------------------------------------------


@pytest.fixture
def restore_signals():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_run_worker_once_delivers(db, smtp, restore_signals, monkeypatch):
    # run_worker closes old connections each loop; inside the test's transaction the test keeps its connection.
    monkeypatch.setattr("haochaping.jobs.management.commands.run_worker.close_old_connections", lambda: None)
    sms, email = queue_sms(), queue_email()
    call_command("run_worker", "--once", stdout=StringIO())
    assert reload(sms).state == reload(email).state == Notification.State.SENT
    assert len(smtp.received) == 1


def test_the_worker_keeps_running_when_the_queue_cannot_be_read(db, restore_signals, monkeypatch):
    """A database restart makes one round fail; the worker logs it, waits and goes on (make run keeps running)."""
    from django.db import OperationalError

    from haochaping.jobs.management.commands import run_worker

    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    notification = queue_sms()
    rounds = []

    def flaky_round():
        rounds.append(1)
        if len(rounds) == 1:
            raise OperationalError("the database system is starting up")
        ran = run_due_jobs()
        os.kill(os.getpid(), signal.SIGTERM)  # stop after this round
        return ran

    monkeypatch.setattr(run_worker, "run_due_jobs", flaky_round)
    out = StringIO()
    call_command("run_worker", "--error-sleep", "0", stdout=out)
    assert len(rounds) == 2 and "worker stopped" in out.getvalue()
    assert reload(notification).state == Notification.State.SENT


def test_run_worker_once_reports_a_broken_queue(db, restore_signals, monkeypatch):
    from django.db import OperationalError

    from haochaping.jobs.management.commands import run_worker

    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(run_worker, "run_due_jobs", lambda: (_ for _ in ()).throw(OperationalError("down")))
    with pytest.raises(OperationalError):
        call_command("run_worker", "--once", stdout=StringIO())


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    if (s["HOST"] or "").startswith("/"):
        return f"postgresql://{auth}@/{s['NAME']}?host={s['HOST']}" + (f"&port={s['PORT']}" if s["PORT"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}{port}/{s['NAME']}"


def _queue_committed() -> tuple[int, int]:
    with schema_context("alpha"), transaction.atomic():
        sms = queue_notification(channel="SMS", recipient="13800138000", body="worker短信", purpose="t")
        email = queue_notification(channel="EMAIL", recipient="worker@example.com", subject="worker",
                                   body="worker邮件", purpose="t")
    return sms.pk, email.pk


def _delete_committed(pks) -> None:
    with schema_context("alpha"):
        Notification.objects.filter(pk__in=pks).delete()
    Job.objects.filter(dedupe_key__in=[f"alpha:notification:{pk}" for pk in pks]).delete()


def test_the_worker_process_delivers_committed_notifications(db, smtp):
    """The real `manage.py run_worker` loop, in its own process, picks up what a committed transaction queued."""
    pks = run_committed(_queue_committed)
    env = dict(os.environ, DATABASE_URL=_database_url(), EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port),
               DB_POOL_MAX_SIZE="0")
    env.pop("EMAIL_BACKEND", None)
    worker = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_worker", "--idle-sleep", "0.1",
                               # no periodic rectification scans: they would commit jobs other tests then see
                               "--scan-interval", "0"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        states: set = set()
        while time.monotonic() < deadline and worker.poll() is None:
            with schema_context("alpha"):
                states = set(Notification.objects.filter(pk__in=pks).values_list("state", flat=True))
            if states == {Notification.State.SENT}:
                break
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
        assert states == {Notification.State.SENT}, output
        assert worker.returncode == 0, output
        assert "worker started" in output and "worker stopped" in output
        assert [r["to"] for r in smtp.received] == [["worker@example.com"]]
        with schema_context("alpha"):
            assert SmsRecord.objects.get(notification_id=pks[0]).text == "worker短信"
        assert set(Job.objects.filter(dedupe_key__in=[f"alpha:notification:{pk}" for pk in pks])
                   .values_list("state", flat=True)) == {Job.State.DONE}
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        run_committed(_delete_committed, pks)
