"""The rectification workflow against the domain services (haochaping.rectification.services): opening on a bad
review and the handoff to the handling unit, every transition allowed and refused by role and state with its
typed code, contact reads logged, evidence rules, feedback to the rater, rejections approved by the unit's 同级
management agency (a township's own agency; the county for a department), extensions in working days, 追评,
optimistic versions under a real race, and the append-only events trigger (also in a freshly cloned tenant)."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.accounts.tokens import issue_token
from haochaping.core.codes import uscc_check_char
from haochaping.core.errors import DomainError
from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
from haochaping.notifications.models import Notification
from haochaping.rectification import services
from haochaping.rectification.models import ContactAccess, Evidence, Rectification, RectificationEvent
from haochaping.rectification.services import Actor
from haochaping.workcalendar.services import WorkingCalendar
from tenants.models import Tenant
from tenants.services import TenantSpec, create_tenant

from conftest import delete_rectifications, run_committed

pytestmark = pytest.mark.django_db
S, O = Rectification.State, Rectification.Outcome
ROLES = ("tenant_admin", "agency", "handler", "viewer", "staff")
PHONE = "13812345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def user(username: str) -> User:
    return User.objects.get(username=username)


def actor(username: str) -> Actor:
    return Actor.of(user(username))


def county(username: str = "county_admin") -> Actor:
    with schema_context("public"):
        return Actor.county_user(User.objects.get(username=username))


def codes_of(call) -> list[str]:
    with pytest.raises(DomainError) as error:
        call()
    return error.value.codes


def rate(number: str, grade: int = 2, *, handling: str | None = None, round: int = 1) -> Evaluation:
    """In the current schema: a completed case at H01/W01 (handled by `handling`) and its rating by a business system."""
    now = timezone.now()
    if round == 1:
        upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL",
                              applicant_name="王小明", applicant_phone=PHONE, status="COMPLETED",
                              accepted_at=now - timedelta(hours=3), completed_at=now - timedelta(hours=1),
                              window="H01/W01", handling_unit=handling))
    token = issue_token(name="测试业务系统", kind="SYSTEM", scopes=["evaluations:write"]).token
    result = submit_evaluation(EvaluationInput(grade=grade, channel="MOBILE_APP", case_number=number, round=round,
                                               idempotency_key=uuid.uuid4().hex, comment="等候时间太长",
                                               rater_name="张三丰", rater_phone=PHONE), Submitter(token=token))
    return result.evaluation


def bad(number: str | None = None) -> Rectification:
    """A bad review on alpha (current schema) and its rectification."""
    evaluation = rate(number or f"WF-{uuid.uuid4().hex[:8]}")
    return Rectification.objects.get(evaluation=evaluation)


def fresh(pk: int) -> Rectification:
    return Rectification.objects.get(pk=pk)


def put(r: Rectification, state: str, *, evidence: bool = False, **changes) -> Rectification:
    """Directly into `state` (the rectification row is not append-only; its events are)."""
    Rectification.objects.filter(pk=r.pk).update(state=state, **changes)
    if evidence:
        Evidence.objects.create(rectification_id=r.pk, file=f"tenants/alpha/rectification/{r.pk}/x.png",
                                stored_name="x.png", original_name="现场.png", content_type="image/png", size=10,
                                uploaded_by=user("handler"))
    return fresh(r.pk)


def actions(r: Rectification) -> list[str]:
    return list(RectificationEvent.objects.filter(rectification_id=r.pk).values_list("action", flat=True))


# ------------------------------------------------------------------------------------------------------ opening


def test_a_bad_review_opens_a_rectification_with_its_clocks_and_event(alpha):
    with schema_context("alpha"):
        evaluation = rate("WF-OPEN-1")
        r = Rectification.objects.get(evaluation=evaluation)
        assert (r.state, r.version, r.owner_unit, r.rating_unit) == (S.OPEN, 0, alpha, alpha)
        assert r.source_evaluation_id == evaluation.pk and r.case_number == "WF-OPEN-1"
        assert (r.grade, r.rater_phone, r.item_name) == (2, PHONE, "测试事项1")
        calendar = WorkingCalendar.load()
        assert r.follow_up_due == calendar.deadline(evaluation.rated_at, 1)
        assert r.due == calendar.deadline(evaluation.rated_at, 15)
        assert evaluation.rated_at < r.follow_up_due < r.due
        event = RectificationEvent.objects.get(rectification=r)
        assert (event.action, event.actor_label, event.to_state) == ("OPENED", "系统", S.OPEN)
        # A good review opens nothing.
        rate("WF-OPEN-GOOD", grade=4)
        assert Rectification.objects.count() == 1


def test_a_case_handled_by_another_tenant_is_handed_off_to_its_schema(alpha, beta):
    with schema_context("alpha"):
        evaluation = rate("WF-HANDOFF", handling="beta")
        assert not Rectification.objects.exists()  # nothing in the rating tenant's table
        assert not RectificationEvent.objects.exists()
    with schema_context("beta"):
        r = Rectification.objects.get(case_number="WF-HANDOFF")
        assert (r.owner_unit, r.rating_unit, r.source_evaluation_id, r.evaluation_id) == (beta, alpha, evaluation.pk, None)
        assert (r.rater_name, r.rater_phone, r.comment, r.grade) == ("张三丰", PHONE, "等候时间太长", 2)
        event = RectificationEvent.objects.get(rectification=r)
        assert event.action == "HANDED_OFF" and event.data == {"rating_unit": "alpha"}


# ------------------------------------------------------------------------------------------- roles and states

# action → (call(r), roles that may, the state it starts from, whether it needs evidence)
ACTIONS = {
    "assign_handler": (lambda r, a: services.assign_handler(r.pk, r.version, a, user("handler")),
                       {"tenant_admin", "agency"}, S.OPEN, False),
    "record_follow_up": (lambda r, a: services.record_follow_up(r.pk, r.version, a, method="PHONE", rater_said="等了很久"),
                         {"tenant_admin", "handler"}, S.OPEN, False),
    "fix_now": (lambda r, a: services.fix_now(r.pk, r.version, a, feedback="已加开窗口"),
                {"tenant_admin", "handler"}, S.VERIFYING, True),
    "open_ledger": (lambda r, a: services.open_ledger(r.pk, r.version, a, plan="两周内增设导办岗"),
                    {"tenant_admin", "handler"}, S.VERIFYING, False),
    "add_progress": (lambda r, a: services.add_progress(r.pk, r.version, a, note="已培训"),
                     {"tenant_admin", "handler"}, S.LEDGER, False),
    "close_ledger": (lambda r, a: services.close_ledger(r.pk, r.version, a, feedback="导办岗已设立"),
                     {"tenant_admin", "handler"}, S.LEDGER, True),
    "explain": (lambda r, a: services.explain(r.pk, r.version, a, feedback="依法须本人到场，已解释"),
                {"tenant_admin", "handler"}, S.VERIFYING, False),
    "request_rejection": (lambda r, a: services.request_rejection(r.pk, r.version, a, kind=O.REJECTED_MISTAKEN,
                                                                  reason="评价人确认误点"),
                          {"tenant_admin", "handler"}, S.VERIFYING, False),
    "request_extension": (lambda r, a: services.request_extension(r.pk, r.version, a, days=3, reason="需采购设备"),
                          {"tenant_admin", "handler"}, S.VERIFYING, False),
    # A township's 同级 management agency is its own AGENCY; never the admin whose score benefits.
    "decide_rejection": (lambda r, a: services.decide_rejection(r.pk, r.version, a, approve=True),
                         {"agency"}, S.REJECTION_PENDING, False),
    "decide_extension": (lambda r, a: services.decide_extension(r.pk, r.version, a, approve=True),
                         {"agency"}, S.VERIFYING, False),
}
# A state each action refuses (with a role that may act).
REFUSED_STATE = {"assign_handler": S.CLOSED, "record_follow_up": S.CLOSED, "fix_now": S.OPEN, "open_ledger": S.LEDGER,
                 "add_progress": S.VERIFYING, "close_ledger": S.VERIFYING, "explain": S.OPEN,
                 "request_rejection": S.LEDGER, "request_extension": S.CLOSED, "decide_rejection": S.VERIFYING,
                 "decide_extension": S.CLOSED}


def _ready(r: Rectification, name: str, state: str) -> Rectification:
    _, _, _, needs_evidence = ACTIONS[name]
    extra = {}
    if name == "decide_rejection":
        extra = {"rejection_kind": O.REJECTED_MISTAKEN}
    if name == "decide_extension":
        extra = {"extension_requested_days": 2}
    return put(r, state, evidence=needs_evidence, **extra)


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_each_action_by_each_role(alpha, name, role):
    call, allowed, state, _ = ACTIONS[name]
    with schema_context("alpha"):
        r = _ready(bad(), name, state)
        before = actions(r)
        if role in allowed:
            done = call(r, actor(role))
            assert done.version == r.version + 1
            assert actions(r)[len(before):] and len(actions(r)) == len(before) + 1
        else:
            assert codes_of(lambda: call(r, actor(role))) == ["TRANSITION_NOT_ALLOWED"]
            after = fresh(r.pk)
            assert (after.state, after.version, actions(after)) == (r.state, r.version, before)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_action_refused_in_the_wrong_state(alpha, name):
    call, allowed, _, _ = ACTIONS[name]
    with schema_context("alpha"):
        r = _ready(bad(), name, REFUSED_STATE[name])
        assert codes_of(lambda: call(r, actor(sorted(allowed)[0]))) == ["TRANSITION_NOT_ALLOWED"]
        assert fresh(r.pk).version == r.version


def test_county_users_never_act_as_a_townships_staff(alpha):
    with schema_context("alpha"):
        r = bad()
        assert codes_of(lambda: services.record_follow_up(r.pk, r.version, county(), method="PHONE",
                                                          rater_said="x")) == ["TRANSITION_NOT_ALLOWED"]
        r = put(r, S.REJECTION_PENDING, rejection_kind=O.REJECTED_MISTAKEN)
        # A township's agency is its own: the county does not decide a township's rejection.
        assert codes_of(lambda: services.decide_rejection(r.pk, r.version, county(), approve=True)) == ["TRANSITION_NOT_ALLOWED"]


def test_unknown_id_and_bad_input(alpha):
    with schema_context("alpha"):
        r = bad()
        assert codes_of(lambda: services.explain(999999, 0, actor("handler"), feedback="x")) == ["NOT_FOUND"]
        assert codes_of(lambda: services.record_follow_up(r.pk, 0, actor("handler"), method="FAX", rater_said=" ")) == [
            "INVALID_METHOD", "REQUIRED"]
        assert codes_of(lambda: services.assign_handler(r.pk, 0, actor("agency"), user("staff"))) == ["INVALID_HANDLER"]
        assert codes_of(lambda: services.request_extension(r.pk, 0, actor("handler"), days=31, reason="x")) == ["INVALID_DAYS"]
        assert fresh(r.pk).version == 0


# ------------------------------------------------------------------------------------------ the happy paths


def test_contact_reads_are_logged_and_refused_for_viewer_and_staff(alpha):
    with schema_context("alpha"):
        r = bad()
        for role in ("handler", "tenant_admin", "agency"):
            assert services.read_contact(r.pk, actor(role)) == ("张三丰", PHONE)
        assert list(ContactAccess.objects.filter(rectification=r).order_by("pk").values_list("user__username", flat=True)) == [
            "handler", "tenant_admin", "agency"]
        for role in ("viewer", "staff"):
            assert codes_of(lambda: services.read_contact(r.pk, actor(role))) == ["TRANSITION_NOT_ALLOWED"]
        assert codes_of(lambda: services.read_contact(r.pk, county())) == ["TRANSITION_NOT_ALLOWED"]
        assert ContactAccess.objects.filter(rectification=r).count() == 3


def test_follow_up_moves_open_to_verifying(alpha):
    with schema_context("alpha"):
        r = bad()
        done = services.record_follow_up(r.pk, 0, actor("handler"), method="PHONE", rater_said="等了两个小时")
        assert (done.state, done.version) == (S.VERIFYING, 1) and done.followed_up_at is not None
        assert done.follow_ups.get().rater_said == "等了两个小时"
        event = RectificationEvent.objects.filter(rectification=r).last()
        assert (event.action, event.from_state, event.to_state, event.actor.username) == (
            "FOLLOWED_UP", S.OPEN, S.VERIFYING, "handler")


def _feedback_sms(r: Rectification) -> list[Notification]:
    return list(Notification.objects.filter(purpose="rectification_feedback", recipient=PHONE,
                                            dedupe_key__contains=f":rectification:{r.pk}:"))


@pytest.mark.parametrize("path", ["fix_now", "close_ledger"])
def test_fixing_needs_evidence_then_closes_and_queues_one_feedback_sms(alpha, settings, tmp_path, path):
    settings.MEDIA_ROOT = str(tmp_path)
    with schema_context("alpha"):
        r = bad()
        r = services.record_follow_up(r.pk, r.version, actor("handler"), method="PHONE", rater_said="态度差")
        if path == "close_ledger":
            r = services.open_ledger(r.pk, r.version, actor("handler"), plan="台账整改")
            fix = lambda r: services.close_ledger(r.pk, r.version, actor("handler"), feedback="已整改并致歉")  # noqa: E731
        else:
            fix = lambda r: services.fix_now(r.pk, r.version, actor("handler"), feedback="已整改并致歉")  # noqa: E731
        assert codes_of(lambda: fix(r)) == ["EVIDENCE_REQUIRED"]
        assert fresh(r.pk).state != S.CLOSED and _feedback_sms(r) == []
        services.add_evidence(r.pk, actor("handler"), name="现场.png", content=PNG)
        done = fix(fresh(r.pk))
        assert (done.state, done.outcome) == (S.CLOSED, O.FIXED_NOW if path == "fix_now" else O.LEDGER_FIXED)
        assert done.closed_at and done.feedback_sent_at and done.feedback == "已整改并致歉"
        sms = _feedback_sms(r)
        assert len(sms) == 1 and sms[0].channel == "SMS" and "已整改并致歉" in sms[0].body


def test_explain_closes_without_evidence(alpha):
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        done = services.explain(r.pk, r.version, actor("handler"), feedback="依法须本人到场，已解释")
        assert (done.state, done.outcome) == (S.CLOSED, O.EXPLAINED)
        assert len(_feedback_sms(r)) == 1


def test_township_rejection_approved_by_its_agency_excludes_the_evaluation(alpha):
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        r = services.request_rejection(r.pk, r.version, actor("handler"), kind=O.REJECTED_MALICIOUS, reason="同一人反复差评")
        assert (r.state, r.rejection_kind) == (S.REJECTION_PENDING, O.REJECTED_MALICIOUS)
        assert codes_of(lambda: services.decide_rejection(r.pk, r.version, actor("tenant_admin"), approve=True)) == [
            "TRANSITION_NOT_ALLOWED"]
        done = services.decide_rejection(r.pk, r.version, actor("agency"), approve=True, note="同意")
        assert (done.state, done.outcome) == (S.CLOSED, O.REJECTED_MALICIOUS)
        assert Evaluation.objects.get(pk=r.source_evaluation_id).excluded_from_scores is True
        assert actions(r)[-2:] == ["REJECTION_REQUESTED", "REJECTION_APPROVED"]


def test_denied_rejection_goes_back_to_verifying(alpha):
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        r = services.request_rejection(r.pk, r.version, actor("handler"), kind=O.REJECTED_MISTAKEN, reason="误点")
        done = services.decide_rejection(r.pk, r.version, actor("agency"), approve=False, note="证据不足")
        assert (done.state, done.outcome, done.rejection_kind) == (S.VERIFYING, "", "")
        assert Evaluation.objects.get(pk=r.source_evaluation_id).excluded_from_scores is False


@pytest.fixture
def department(alpha):
    """A county department (县直部门) created in the test (its DDL rolls back with it), with a handler."""
    code17 = "11411325MB1234567"
    tenant = create_tenant(TenantSpec("wfdept", "县测试局", "DEPARTMENT", code17 + uscc_check_char(code17)))
    with schema_context("wfdept"):
        handler = User(username="handler", role=Role.HANDLER)
        handler.set_password("Correct-Horse-42")
        handler.save()
        User.objects.create(username="tenant_admin", role=Role.TENANT_ADMIN)
    connection.set_schema_to_public()
    return tenant


def test_a_departments_rejection_is_decided_only_by_the_county(alpha, department):
    with schema_context("alpha"):
        evaluation = rate("WF-DEPT", handling="wfdept")
        assert not Rectification.objects.exists()
    with schema_context("wfdept"):
        r = Rectification.objects.get(case_number="WF-DEPT")
        assert (r.owner_unit, r.rating_unit) == (department, alpha)
        r = services.record_follow_up(r.pk, r.version, actor("handler"), method="PHONE", rater_said="误点了")
        r = services.request_rejection(r.pk, r.version, actor("handler"), kind=O.REJECTED_MISTAKEN, reason="误点")
        for refused in (actor("tenant_admin"), actor("handler")):
            assert codes_of(lambda: services.decide_rejection(r.pk, r.version, refused, approve=True)) == [
                "TRANSITION_NOT_ALLOWED"]
    with schema_context("wfdept"):
        # Only the county agency's own roles decide, and only as county users.
        not_county = Actor(user=None, label="县级：某人", role=Role.AGENCY, county=True)
        county_role_as_tenant_user = Actor(user=None, label="某人", role=Role.COUNTY_ADMIN, county=False)
        for refused in (not_county, county_role_as_tenant_user):
            assert codes_of(lambda: services.decide_rejection(r.pk, r.version, refused, approve=True)) == [
                "TRANSITION_NOT_ALLOWED"]
        assert fresh(r.pk).state == S.REJECTION_PENDING
        done = services.decide_rejection(r.pk, r.version, county("county_supervisor"), approve=True, note="县级同意")
        assert (done.state, done.outcome) == (S.CLOSED, O.REJECTED_MISTAKEN)
        event = RectificationEvent.objects.filter(rectification=r).last()
        assert event.action == "REJECTION_APPROVED" and event.actor is None and event.actor_label.startswith("县级")
    with schema_context("alpha"):
        assert Evaluation.objects.get(pk=evaluation.pk).excluded_from_scores is True


def test_extension_moves_the_due_date_by_working_days(alpha):
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        old_due = r.due
        r = services.request_extension(r.pk, r.version, actor("handler"), days=3, reason="需采购设备")
        assert r.extension_requested_days == 3 and r.due == old_due
        assert codes_of(lambda: services.decide_extension(r.pk, r.version, actor("tenant_admin"), approve=True)) == [
            "TRANSITION_NOT_ALLOWED"]
        done = services.decide_extension(r.pk, r.version, actor("agency"), approve=True)
        assert done.due == WorkingCalendar.load().deadline(old_due, 3) and done.due >= old_due + timedelta(days=3)
        assert done.extension_requested_days is None
        assert codes_of(lambda: services.decide_extension(done.pk, done.version, actor("agency"), approve=True)) == [
            "NO_EXTENSION_REQUESTED"]


def test_a_denied_extension_keeps_the_due_date(alpha):
    with schema_context("alpha"):
        r = put(bad(), S.LEDGER)
        r = services.request_extension(r.pk, r.version, actor("handler"), days=5, reason="x")
        done = services.decide_extension(r.pk, r.version, actor("agency"), approve=False)
        assert done.due == r.due and done.extension_requested_days is None
        assert actions(r)[-1] == "EXTENSION_DENIED"


def _closed(number: str) -> Rectification:
    r = bad(number)
    r = services.record_follow_up(r.pk, r.version, actor("handler"), method="PHONE", rater_said="等太久")
    return services.explain(r.pk, r.version, actor("handler"), feedback="已解释")


def test_a_bad_follow_up_rating_reopens_and_escalates(alpha):
    with schema_context("alpha"):
        r = _closed("WF-DISPUTE")
        assert r.state == S.CLOSED
        rate("WF-DISPUTE", grade=1, round=2)
        after = fresh(r.pk)
        assert (after.state, after.outcome, after.reopened_count, after.rater_confirmed) == (S.VERIFYING, "", 1, False)
        assert after.escalated_at is not None and after.closed_at is None and after.version == r.version + 1
        assert actions(r)[-1] == "DISPUTED"
        assert Rectification.objects.count() == 1  # reopened, not a second one


def test_a_good_follow_up_rating_confirms(alpha):
    with schema_context("alpha"):
        r = _closed("WF-CONFIRM")
        rate("WF-CONFIRM", grade=5, round=2)
        after = fresh(r.pk)
        assert (after.state, after.rater_confirmed, after.reopened_count, after.escalated_at) == (S.CLOSED, True, 0, None)
        assert actions(r)[-1] == "CONFIRMED"


# ------------------------------------------------------------------------------------------ optimistic versions


def test_a_stale_version_is_a_conflict(alpha):
    with schema_context("alpha"):
        r = bad()
        services.assign_handler(r.pk, 0, actor("agency"), user("handler"))
        assert codes_of(lambda: services.record_follow_up(r.pk, 0, actor("handler"), method="PHONE",
                                                          rater_said="x")) == ["CONFLICT"]
        assert fresh(r.pk).version == 1 and fresh(r.pk).state == S.OPEN


def test_two_concurrent_actions_with_one_version_one_wins(alpha):
    """Each thread has its own connection; the rows are committed and removed afterwards."""

    def setup():
        with schema_context("alpha"):
            now = timezone.now()
            tenant = Tenant.objects.get(schema_name="alpha")
            r = Rectification.objects.create(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=-int(now.timestamp()),
                                              grade=1, channel="MOBILE_APP", rated_at=now, follow_up_due=now, due=now)
            return r.pk

    pk = run_committed(setup)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def act(i):
        try:
            connection.set_schema("alpha")
            who = actor(("handler", "tenant_admin")[i])
            barrier.wait(timeout=30)
            services.record_follow_up(pk, 0, who, method="PHONE", rater_said=f"第{i}次")
            results[i] = "ok"
        except DomainError as error:
            results[i] = error.codes
        except BaseException as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(map(str, results)) == ["['CONFLICT']", "ok"], results

        def read():
            with schema_context("alpha"):
                r = Rectification.objects.get(pk=pk)
                return r.version, r.follow_ups.count(), actions(r)

        assert run_committed(read) == (1, 1, ["FOLLOWED_UP"])
    finally:
        def cleanup():
            with schema_context("alpha"):
                return delete_rectifications(Rectification.objects.filter(pk=pk))

        assert run_committed(cleanup) == 1


# ------------------------------------------------------------------------------------- append-only events


def _assert_events_are_append_only(event_pk: int) -> None:
    with connection.cursor() as cursor:
        # TRUNCATE cannot be tried inside the test's transaction (pending FK trigger events): check its trigger.
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'rectification_rectificationevent'::regclass "
                       "AND NOT tgisinternal")
        assert {row[0] for row in cursor.fetchall()} == {"rectification_event_append_only",
                                                          "rectification_event_no_truncate"}
    for sql in ("UPDATE rectification_rectificationevent SET note = 'changed' WHERE id = %s",
                "DELETE FROM rectification_rectificationevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event_pk])
    assert RectificationEvent.objects.filter(pk=event_pk, note="").exists()
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            RectificationEvent.objects.filter(pk=event_pk).delete()


def test_the_trigger_refuses_update_and_delete_of_an_event(alpha):
    with schema_context("alpha"):
        r = bad()
        _assert_events_are_append_only(RectificationEvent.objects.get(rectification=r).pk)


def test_the_trigger_is_in_a_tenant_created_later_by_cloning(alpha):
    create_tenant(TenantSpec("wfgamma", "丙镇", "TOWNSHIP", "411325909", "丙镇政务服务管理办公室"))
    with schema_context("wfgamma"):
        tenant = Tenant.objects.get(schema_name="wfgamma")
        now = timezone.now()
        r = Rectification.objects.create(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=1, grade=1,
                                         channel="MOBILE_APP", rated_at=now, follow_up_due=now, due=now)
        event = RectificationEvent.objects.create(rectification=r, actor_label="系统", action="OPENED")
        _assert_events_are_append_only(event.pk)


# ------------------------------------------------------------------------------------------------- evidence


def test_evidence_is_checked_by_signature_and_size_and_stored_under_the_tenant(alpha, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        handler = actor("handler")
        assert codes_of(lambda: services.add_evidence(r.pk, handler, name="photo.png", content=b"GIF89a" + b"\x00" * 20)) == [
            "INVALID_FILE_TYPE"]
        assert codes_of(lambda: services.add_evidence(r.pk, handler, name="x.pdf", content=PNG)) == ["INVALID_FILE_TYPE"]
        assert codes_of(lambda: services.add_evidence(r.pk, handler, name="x.gif", content=b"GIF89a",
                                                      content_type="image/gif")) == ["INVALID_FILE_TYPE"]
        big = b"\xff\xd8\xff" + b"\x00" * services.MAX_EVIDENCE_BYTES
        assert codes_of(lambda: services.add_evidence(r.pk, handler, name="big.jpg", content=big)) == ["FILE_TOO_LARGE"]
        assert codes_of(lambda: services.add_evidence(r.pk, actor("viewer"), name="a.png", content=PNG)) == [
            "TRANSITION_NOT_ALLOWED"]
        assert not Evidence.objects.filter(rectification=r).exists()

        evidence = services.add_evidence(r.pk, handler, name="../../现场.png", content=PNG)
        assert evidence.file.name.startswith(f"tenants/alpha/rectification/{r.pk}/")
        assert evidence.file.name.endswith(".png") and ".." not in evidence.file.name
        assert (tmp_path / evidence.file.name).read_bytes() == PNG
        assert (evidence.content_type, evidence.size, evidence.uploaded_by.username) == ("image/png", len(PNG), "handler")
        pdf = services.add_evidence(r.pk, handler, name="说明.pdf", content=b"%PDF-1.4\n")
        assert pdf.file.name.endswith(".pdf")
        assert actions(r)[-2:] == ["EVIDENCE_ADDED", "EVIDENCE_ADDED"]
        closed = put(r, S.CLOSED)
        assert codes_of(lambda: services.add_evidence(closed.pk, handler, name="a.png", content=PNG)) == [
            "TRANSITION_NOT_ALLOWED"]


# ----------------------------------------------------------------------------------------- pausing the clock


def test_pausing_waits_on_the_rater_and_moves_the_deadline_by_the_working_days_waited(alpha):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from haochaping.rectification import services

    china = ZoneInfo("Asia/Shanghai")
    with schema_context("alpha"):
        r = put(bad(), S.VERIFYING)
        handler = Actor.of(user("handler"))
        with pytest.raises(DomainError) as refused:
            services.resume(r.pk, r.version, handler)
        assert refused.value.codes == ["NOT_PAUSED"]
        viewer = Actor.of(user("viewer"))
        with pytest.raises(DomainError) as refused:
            services.pause(r.pk, r.version, viewer, reason="等材料")
        assert refused.value.codes == ["TRANSITION_NOT_ALLOWED"]
        r = services.pause(r.pk, r.version, handler, reason="等评价人补充材料")
        with pytest.raises(DomainError) as refused:
            services.pause(r.pk, r.version, handler, reason="再停")
        assert refused.value.codes == ["ALREADY_PAUSED"]
        # Paused on Wed 2026-09-30, resumed on Fri 2026-10-09: the National Day holiday is not counted,
        # so two working days were spent waiting (Thu 10-08 and Fri 10-09).
        due = datetime(2026, 10, 12, 23, 59, 59, 999999, tzinfo=china)
        Rectification.objects.filter(pk=r.pk).update(paused_at=datetime(2026, 9, 30, 10, 0, tzinfo=china), due=due)
        from unittest import mock

        with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 10, 9, 16, 0, tzinfo=china)):
            r = services.resume(r.pk, fresh(r.pk).version, handler)
        assert r.paused_at is None
        # Two working days after Mon 10-12: Tue 10-13, Wed 10-14.
        assert r.due == datetime(2026, 10, 14, 23, 59, 59, 999999, tzinfo=china)
        by_id = RectificationEvent.objects.filter(rectification_id=r.pk).order_by("id").values_list("action", flat=True)
        assert list(by_id)[-2:] == ["PAUSED", "RESUMED"]
