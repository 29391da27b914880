"""The exchange outbox: one record per target, case number and round, queued in the rating's transaction
(also by the real submission path), delivered by the worker through a pluggable sender, retried after a definite
failure and never sent twice — not on a second job, not after a crash mid-send, not when in doubt."""
from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.jobs.models import Job
from haochaping.jobs.services import enqueue, run_due_jobs
from haochaping.exchange.models import ExchangeRecord, RecordedExchange
from haochaping.exchange.services import DELIVER_JOB, DeliveryInDoubt, queue_exchange

from .helpers import ID_NUMBER, PHONE, stored_evaluation, submit_case_rating

BOTH = override_settings(EXCHANGE_TARGETS=["national", "henan"])


class CountingSender:
    calls: list[int] = []

    def send(self, record):
        CountingSender.calls.append(record.pk)
        return f"counted:{record.pk}"


class FlakySender:
    """Refuses (a definite failure) the first `failures` times."""
    failures = 0
    calls = 0

    def send(self, record):
        FlakySender.calls += 1
        if FlakySender.calls <= FlakySender.failures:
            raise ConnectionRefusedError("receiver down")
        return "ok"


class DoubtSender:
    calls = 0

    def send(self, record):
        DoubtSender.calls += 1
        raise DeliveryInDoubt("connection dropped after the request was sent")


class Crash(BaseException):
    """Stands in for the worker being killed mid-send (not an Exception: the job runner does not catch it)."""


class CrashingSender:
    def send(self, record):
        raise Crash()


@pytest.fixture(autouse=True)
def _reset_senders():
    CountingSender.calls = []
    FlakySender.failures, FlakySender.calls = 0, 0
    DoubtSender.calls = 0


def records(slug="alpha", **filters):
    with schema_context(slug):
        return list(ExchangeRecord.objects.filter(**filters).order_by("target", "pk"))


def job_of(record, slug="alpha") -> Job:
    return Job.objects.get(dedupe_key=f"{slug}:exchange:{record.pk}")


def make_due(record, slug="alpha") -> None:
    Job.objects.filter(pk=job_of(record, slug).pk).update(run_after=timezone.now() - timedelta(seconds=1))


# --- queuing ------------------------------------------------------------------------------------------------------


@BOTH
def test_a_case_rating_queues_one_record_per_target_with_masked_payloads(db):
    evaluation = stored_evaluation("EX-Q-1")
    henan, national = records(case_number="EX-Q-1")  # ordered by target
    assert (henan.target, national.target) == ("henan", "national")
    assert national.round == henan.round == 1 and national.state == ExchangeRecord.State.PENDING
    assert national.payload["办件编号"] == "EX-Q-1" and henan.payload["projectNo"] == "EX-Q-1"
    text = json.dumps([national.payload, henan.payload], ensure_ascii=False)
    assert PHONE not in text and ID_NUMBER not in text and "张三丰" not in text
    assert Job.objects.filter(kind=DELIVER_JOB, schema_name="alpha").count() == 2
    assert evaluation.case.case_number == "EX-Q-1"


@BOTH
def test_queuing_twice_for_the_same_case_and_round_keeps_one_record(db):
    evaluation = stored_evaluation("EX-Q-2")
    with schema_context("alpha"):
        assert queue_exchange(evaluation) == []
        assert queue_exchange(evaluation) == []
    assert len(records(case_number="EX-Q-2")) == 2
    assert Job.objects.filter(kind=DELIVER_JOB, schema_name="alpha").count() == 2


@BOTH
def test_the_follow_up_round_is_a_record_of_its_own(db):
    stored_evaluation("EX-Q-3")
    stored_evaluation("EX-Q-3", round=2, grade=4)
    assert sorted((r.target, r.round) for r in records(case_number="EX-Q-3")) == [
        ("henan", 1), ("henan", 2), ("national", 1), ("national", 2)]
    follow_up = records(case_number="EX-Q-3", target="henan", round=2)[0]
    assert follow_up.payload["assessNumber"] == "2"


def test_a_rating_without_a_case_is_not_exchanged(db):
    from boards.conftest import rate

    evaluation = rate("alpha", 1, comment="没有办件")
    with schema_context("alpha"):
        assert queue_exchange(evaluation) == []
        assert not ExchangeRecord.objects.exists()
    assert not Job.objects.filter(kind=DELIVER_JOB).exists()


@override_settings(EXCHANGE_TARGETS=["national", "atlantis"])
def test_an_unknown_target_is_skipped_not_fatal_to_the_rating(db):
    stored_evaluation("EX-Q-4")
    assert [r.target for r in records(case_number="EX-Q-4")] == ["national"]


@override_settings(EXCHANGE_TARGETS=["national"])
def test_the_submission_path_queues_the_record_in_the_ratings_transaction_once(db):
    from haochaping.evaluations.models import Evaluation
    from .helpers import make_case

    make_case("EX-S-1")
    first = submit_case_rating("EX-S-1", key="ex-s-1")
    again = submit_case_rating("EX-S-1", key="ex-s-1")  # a retry with the same idempotency key
    assert again.replayed and again.evaluation.pk == first.evaluation.pk
    (record,) = records(case_number="EX-S-1")
    assert record.target == "national" and record.round == 1
    assert record.payload["满意度代码"] == "4"  # grade 2 (不满意) is A.8 code 4
    assert record.payload["文字评价"] == "电话[电话] 身份证[证件号] 办事很慢"
    with schema_context("alpha"):
        assert Evaluation.objects.filter(case__case_number="EX-S-1").count() == 1


# --- delivery -----------------------------------------------------------------------------------------------------


@override_settings(EXCHANGE_TARGETS=["national"])
def test_the_default_sender_records_what_it_sent(db):
    stored_evaluation("EX-D-1")
    run_due_jobs()
    (record,) = records(case_number="EX-D-1")
    assert record.state == ExchangeRecord.State.SENT and record.attempts == 1 and record.sent_at
    with schema_context("alpha"):
        recorded = RecordedExchange.objects.get(record=record)
    assert recorded.payload == record.payload and record.reference == f"recorded:{recorded.pk}"


@override_settings(EXCHANGE_TARGETS=["national"], EXCHANGE_SENDER="exchange.test_outbox.CountingSender")
def test_running_the_job_twice_sends_once(db):
    stored_evaluation("EX-D-2")
    (record,) = records(case_number="EX-D-2")
    run_due_jobs()
    # A second job for the same record (a re-enqueue, a duplicate worker) finds it SENT and does nothing.
    enqueue(DELIVER_JOB, {"record_id": record.pk}, schema_name="alpha")
    run_due_jobs()
    assert CountingSender.calls == [record.pk]
    assert records(case_number="EX-D-2")[0].state == ExchangeRecord.State.SENT


@override_settings(EXCHANGE_TARGETS=["national"], EXCHANGE_SENDER="exchange.test_outbox.FlakySender")
def test_a_definite_failure_is_retried_and_then_sent_once(db):
    FlakySender.failures = 2
    stored_evaluation("EX-D-3")
    (record,) = records(case_number="EX-D-3")
    for expected_attempts in (1, 2):
        run_due_jobs()
        record = records(case_number="EX-D-3")[0]
        assert record.state == ExchangeRecord.State.PENDING and record.attempts == expected_attempts
        assert "receiver down" in record.last_error
        job = job_of(record)
        assert job.state == Job.State.PENDING and job.run_after > timezone.now()  # backoff
        make_due(record)
    run_due_jobs()
    record = records(case_number="EX-D-3")[0]
    assert record.state == ExchangeRecord.State.SENT and record.attempts == 3 and record.last_error == ""
    assert FlakySender.calls == 3
    run_due_jobs()
    assert FlakySender.calls == 3


@override_settings(EXCHANGE_TARGETS=["national"], EXCHANGE_SENDER="exchange.test_outbox.FlakySender")
def test_the_last_definite_failure_marks_the_record_failed(db):
    FlakySender.failures = 99
    stored_evaluation("EX-D-4")
    (record,) = records(case_number="EX-D-4")
    Job.objects.filter(pk=job_of(record).pk).update(max_attempts=2)
    run_due_jobs()
    make_due(record)
    run_due_jobs()
    record = records(case_number="EX-D-4")[0]
    assert record.state == ExchangeRecord.State.FAILED and record.attempts == 2
    assert job_of(record).state == Job.State.FAILED


@override_settings(EXCHANGE_TARGETS=["national"])
def test_a_crash_after_sending_does_not_resend(db):
    stored_evaluation("EX-D-5")
    (record,) = records(case_number="EX-D-5")
    with override_settings(EXCHANGE_SENDER="exchange.test_outbox.CrashingSender"):
        with pytest.raises(Crash):
            run_due_jobs()
    record = records(case_number="EX-D-5")[0]
    assert record.state == ExchangeRecord.State.SENDING  # committed before the send
    assert job_of(record).state == Job.State.RUNNING
    # The worker is gone; its lease expires and another worker runs the job again.
    Job.objects.filter(pk=job_of(record).pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    with override_settings(EXCHANGE_SENDER="exchange.test_outbox.CountingSender"):
        run_due_jobs()
    assert CountingSender.calls == []
    assert records(case_number="EX-D-5")[0].state == ExchangeRecord.State.SENDING
    assert job_of(record).state == Job.State.DONE


@override_settings(EXCHANGE_TARGETS=["national"], EXCHANGE_SENDER="exchange.test_outbox.DoubtSender")
def test_a_send_in_doubt_is_never_repeated_automatically(db):
    stored_evaluation("EX-D-6")
    (record,) = records(case_number="EX-D-6")
    run_due_jobs()
    enqueue(DELIVER_JOB, {"record_id": record.pk}, schema_name="alpha")
    run_due_jobs()
    record = records(case_number="EX-D-6")[0]
    assert DoubtSender.calls == 1
    assert record.state == ExchangeRecord.State.SENDING and record.last_error.startswith("in doubt")


@override_settings(EXCHANGE_TARGETS=["national"])
def test_each_tenants_records_are_delivered_in_its_own_schema(db):
    stored_evaluation("EX-T-A", slug="alpha", comment="甲的意见")
    stored_evaluation("EX-T-B", slug="beta", comment="乙的意见")
    (alpha_record,) = records("alpha")
    (beta_record,) = records("beta")
    # A job carries its schema: beta's job (and one naming alpha's record id in beta) never reaches alpha's record.
    enqueue(DELIVER_JOB, {"record_id": alpha_record.pk}, schema_name="beta")
    run_due_jobs()
    with schema_context("alpha"):
        assert [r.payload["文字评价"] for r in RecordedExchange.objects.all()] == ["甲的意见"]
    with schema_context("beta"):
        assert [r.payload["文字评价"] for r in RecordedExchange.objects.all()] == ["乙的意见"]
    assert records("alpha")[0].attempts == 1 and records("beta")[0].attempts == 1


# --- the HTTP sender ----------------------------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    status = 200
    delay = 0.0
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append({"body": json.loads(body), "key": self.headers["X-Haochaping-Exchange"]})
        time.sleep(Receiver.delay)
        self.send_response(Receiver.status)
        self.send_header("X-Reference", "RCPT-1")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.status, Receiver.delay, Receiver.received = 200, 0.0, []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hcp"
    server.shutdown()
    server.server_close()


def http_settings(url, **extra):
    return override_settings(EXCHANGE_TARGETS=["henan"], EXCHANGE_SENDER="haochaping.exchange.senders.HttpExchangeSender",
                             EXCHANGE_URL=url, EXCHANGE_TIMEOUT=1, **extra)


def test_the_http_sender_posts_the_json_record(db, receiver):
    with http_settings(receiver):
        stored_evaluation("EX-H-1")
        run_due_jobs()
    (record,) = records(case_number="EX-H-1")
    assert record.state == ExchangeRecord.State.SENT and record.reference == "RCPT-1"
    (got,) = Receiver.received
    assert got["key"] == "henan:EX-H-1:1"
    assert got["body"] == {"target": "henan", "caseNumber": "EX-H-1", "round": 1, "record": record.payload}


def test_the_http_receivers_refusal_is_retried(db, receiver):
    Receiver.status = 503
    with http_settings(receiver):
        stored_evaluation("EX-H-2")
        run_due_jobs()
        record = records(case_number="EX-H-2")[0]
        assert record.state == ExchangeRecord.State.PENDING and "503" in record.last_error
        Receiver.status = 200
        make_due(record)
        run_due_jobs()
    assert records(case_number="EX-H-2")[0].state == ExchangeRecord.State.SENT
    assert len(Receiver.received) == 2


def test_an_unreachable_receiver_is_a_definite_failure(db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    with http_settings(f"http://127.0.0.1:{port}/hcp"):
        stored_evaluation("EX-H-3")
        run_due_jobs()
    record = records(case_number="EX-H-3")[0]
    assert record.state == ExchangeRecord.State.PENDING and "unreachable" in record.last_error


def test_a_receiver_that_times_out_leaves_the_record_in_doubt(db, receiver):
    Receiver.delay = 2.0  # longer than EXCHANGE_TIMEOUT: the receiver got the record but did not answer in time
    with http_settings(receiver):
        stored_evaluation("EX-H-4")
        run_due_jobs()
        enqueue(DELIVER_JOB, {"record_id": records(case_number="EX-H-4")[0].pk}, schema_name="alpha")
        run_due_jobs()
    record = records(case_number="EX-H-4")[0]
    assert record.state == ExchangeRecord.State.SENDING and record.last_error.startswith("in doubt")
    assert len(Receiver.received) == 1
