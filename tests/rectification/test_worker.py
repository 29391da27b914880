"""The rectification worker: periodic scans scheduled by run_worker, follow-up-overdue / due-soon / overdue
alerts (each sent once), escalation to the county agency (once), the schema carried by every job, and the
notice to the management agency of a rejection awaiting approval."""
from __future__ import annotations

import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.jobs.models import Job
from haochaping.jobs.services import enqueue, run_due_jobs
from haochaping.notifications.models import Notification
from haochaping.rectification import services
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.rectification.tasks import AGENCY_NOTICE_JOB, SCAN_JOB
from haochaping.supervision.models import Escalation
from tenants.models import Tenant

S = Rectification.State


def make_rect(schema: str, *, pk: int | None = None, due_in: timedelta, follow_up_in: timedelta = timedelta(days=-5),
              followed_up: bool = True, state: str = S.VERIFYING, handler: str | None = "handler", **extra) -> Rectification:
    now = timezone.now()
    with schema_context(schema):
        tenant = Tenant.objects.get(schema_name=schema)
        values = dict(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=pk or 0, case_number="CASE-001",
                      item_name="测试事项1", grade=1, channel="WINDOW", comment="态度差", rater_name="张三",
                      rater_phone="13800000000", is_real_name=True, rated_at=now - timedelta(days=20), state=state,
                      handler=User.objects.get(username=handler) if handler else None,
                      follow_up_due=now + follow_up_in, followed_up_at=(now - timedelta(days=19)) if followed_up else None,
                      due=now + due_in)
        values.update(extra)
        if pk is not None:
            values["pk"] = pk
        r = Rectification.objects.create(**values)
        if pk is None:
            Rectification.objects.filter(pk=r.pk).update(source_evaluation_id=r.pk)
        return r


@pytest.fixture
def emails(db):
    """Give the alpha and beta users an address (alerts go by email)."""
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            for user in User.objects.all():
                User.objects.filter(pk=user.pk).update(email=f"{user.username}@{schema}.example.cn")


def scan(schema: str) -> None:
    enqueue(SCAN_JOB, {}, schema_name=schema)
    run_due_jobs(batch=50)


def alerts(schema: str, kind: str) -> list[Notification]:
    with schema_context(schema):
        return list(Notification.objects.filter(purpose=f"rectification_{kind.lower()}"))


def events(schema: str, r: Rectification, action: str) -> int:
    with schema_context(schema):
        return RectificationEvent.objects.filter(rectification_id=r.pk, action=action).count()


def test_overdue_is_escalated_once_and_alerted_once(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(days=-1))
    scan("alpha")
    with schema_context("alpha"):
        r.refresh_from_db()
    assert r.escalated_at is not None
    escalation = Escalation.objects.get(tenant=alpha, rectification_id=r.pk)
    assert escalation.reason == Escalation.Reason.OVERDUE
    assert (escalation.case_number, escalation.item_name, escalation.due) == ("CASE-001", "测试事项1", r.due)
    assert events("alpha", r, "ESCALATED") == 1
    [alert] = alerts("alpha", "OVERDUE")
    assert alert.recipient == "handler@alpha.example.cn" and alert.channel == "EMAIL"
    assert "13800000000" not in alert.body and "张三" not in alert.body
    first_escalated_at = r.escalated_at

    scan("alpha")  # a second scan: nothing new
    with schema_context("alpha"):
        r.refresh_from_db()
    assert r.escalated_at == first_escalated_at
    assert Escalation.objects.filter(tenant=alpha, rectification_id=r.pk).count() == 1
    assert events("alpha", r, "ESCALATED") == 1
    assert len(alerts("alpha", "OVERDUE")) == 1


def test_due_soon_alert_is_sent_once(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(hours=3))
    far = make_rect("alpha", due_in=timedelta(days=30))
    scan("alpha")
    scan("alpha")
    soon = alerts("alpha", "DUE_SOON")
    assert len(soon) == 1 and f"整改#{r.pk}" in soon[0].body
    assert not any(f"整改#{far.pk}" in n.body for n in soon)
    assert not Escalation.objects.filter(tenant=alpha).exists()
    with schema_context("alpha"):
        r.refresh_from_db()
    assert r.escalated_at is None


def test_follow_up_overdue_alert(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(days=10), follow_up_in=timedelta(hours=-2), followed_up=False,
                  state=S.OPEN, handler=None)
    done = make_rect("alpha", due_in=timedelta(days=10), follow_up_in=timedelta(hours=-2), followed_up=True)
    scan("alpha")
    scan("alpha")
    late = alerts("alpha", "FOLLOW_UP_OVERDUE")
    # No handler yet: the unit's admin is told.
    assert [(n.recipient, f"整改#{r.pk}" in n.body) for n in late] == [("tenant_admin@alpha.example.cn", True)]
    assert not any(f"整改#{done.pk}" in n.body for n in late)


def test_closed_and_paused_cases_are_left_alone(alpha, emails):
    make_rect("alpha", due_in=timedelta(days=-3), state=S.CLOSED, closed_at=timezone.now())
    make_rect("alpha", due_in=timedelta(days=-3), paused_at=timezone.now())
    scan("alpha")
    assert not Escalation.objects.filter(tenant=alpha).exists()
    assert alerts("alpha", "OVERDUE") == []


def test_the_job_carries_the_schema(alpha, beta, emails):
    """Identical primary keys in both tenants, both overdue: alpha's scan escalates only alpha's."""
    a = make_rect("alpha", pk=9001, due_in=timedelta(days=-2))
    b = make_rect("beta", pk=9001, due_in=timedelta(days=-2))
    scan("alpha")
    assert list(Escalation.objects.values_list("tenant__schema_name", "rectification_id")) == [("alpha", 9001)]
    with schema_context("beta"):
        b.refresh_from_db()
        assert b.escalated_at is None and b.version == 0
        assert not RectificationEvent.objects.filter(rectification_id=9001).exists()
        assert not Notification.objects.exists()
    with schema_context("alpha"):
        a.refresh_from_db()
        assert a.escalated_at is not None
    scan("beta")
    assert Escalation.objects.filter(tenant=beta, rectification_id=9001).count() == 1
    assert Escalation.objects.count() == 2


def test_a_disputed_escalation_reaches_the_county(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(days=5), escalated_at=timezone.now())
    with schema_context("alpha"):
        services._event(r, services.SYSTEM, "DISPUTED", r.state, "追评不认可")
    scan("alpha")
    assert Escalation.objects.get(tenant=alpha, rectification_id=r.pk).reason == Escalation.Reason.DISPUTED


@pytest.fixture
def worker_command(monkeypatch):
    """run_worker inside the test's transaction: keep the connection, restore the signal handlers."""
    monkeypatch.setattr("haochaping.jobs.management.commands.run_worker.close_old_connections", lambda: None)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield lambda *args: call_command("run_worker", "--once", *args, stdout=StringIO())
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_run_worker_schedules_scans_per_tenant(alpha, beta, emails, worker_command, monkeypatch):
    monkeypatch.setattr("haochaping.jobs.scheduler._clock", lambda: 1_800_000_100.0)  # one time bucket throughout
    r = make_rect("alpha", due_in=timedelta(days=-1))
    worker_command("--scan-interval", "300")
    scans = Job.objects.filter(kind=SCAN_JOB)
    assert sorted(scans.values_list("schema_name", flat=True)) == ["alpha", "beta"]
    assert all(job.state == Job.State.DONE for job in scans)
    assert all(job.dedupe_key.startswith(f"{job.schema_name}:{SCAN_JOB}:") for job in scans)
    assert Escalation.objects.filter(tenant=alpha, rectification_id=r.pk).count() == 1
    # Another worker (or the next loop) in the same time bucket enqueues nothing new.
    worker_command("--scan-interval", "300")
    assert Job.objects.filter(kind=SCAN_JOB).count() == 2
    assert Escalation.objects.filter(tenant=alpha).count() == 1
    # The next bucket scans again; the case is not escalated twice.
    monkeypatch.setattr("haochaping.jobs.scheduler._clock", lambda: 1_800_000_400.0)
    worker_command("--scan-interval", "300")
    assert Job.objects.filter(kind=SCAN_JOB).count() == 4
    assert Escalation.objects.filter(tenant=alpha).count() == 1


def test_scheduler_off(db, worker_command):
    worker_command("--scan-interval", "0")
    assert not Job.objects.filter(kind=SCAN_JOB).exists()


def test_agency_is_told_of_a_rejection_awaiting_approval(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(days=5), state=S.VERIFYING)
    with schema_context("alpha"):
        handler = User.objects.get(username="handler")
        services.request_rejection(r.pk, None, services.Actor.of(handler), kind="REJECTED_MISTAKEN",
                                   reason="评价人确认选错等级")
    assert Job.objects.filter(kind=AGENCY_NOTICE_JOB, schema_name="alpha").count() == 1
    run_due_jobs(batch=50)
    run_due_jobs(batch=50)
    with schema_context("alpha"):
        notices = list(Notification.objects.filter(purpose="rejection_approval"))
    # A township: its own management agency (AGENCY users), once.
    assert [n.recipient for n in notices] == ["agency@alpha.example.cn"]
    assert "误评" in notices[0].body and "评价人确认选错等级" in notices[0].body


def test_county_agency_is_told_for_a_department(alpha, emails):
    r = make_rect("alpha", due_in=timedelta(days=5), state=S.REJECTION_PENDING, rejection_kind="REJECTED_MALICIOUS",
                  rejection_reason="恶意刷差评")
    Tenant.objects.filter(pk=alpha.pk).update(kind=Tenant.Kind.DEPARTMENT)
    User.objects.filter(username="county_supervisor").update(email="sup@county.example.cn")
    enqueue(AGENCY_NOTICE_JOB, {"rectification_id": r.pk, "kind": "REJECTED_MALICIOUS"}, schema_name="alpha")
    run_due_jobs(batch=50)
    with schema_context("alpha"):
        assert list(Notification.objects.filter(purpose="rejection_approval").values_list("recipient", flat=True)) == [
            "sup@county.example.cn"]
