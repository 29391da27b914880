"""个人信息保护: the daily retention job anonymises personal data past its retention period in one tenant schema,
keeps what a workflow still needs, changes nothing on a second run, and is scheduled once a day per tenant."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.evaluations.models import Evaluation, PhoneVerification, ServiceCase
from haochaping.feedback.models import CommentEvent, PublicComment, WorkOrder
from haochaping.items.models import ServiceItem
from haochaping.jobs.models import Job
from haochaping.jobs.scheduler import enqueue_periodic
from haochaping.jobs.services import run_due_jobs
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.rectification.models import FollowUp, Rectification, RectificationEvent
from haochaping.retention.models import RetentionRun
from haochaping.retention.services import ANONYMISED, RETENTION_JOB, apply_retention
from haochaping.surveys.models import CallBack, Survey, SurveyLink, SurveyResponse, SurveyVersion
from tenants.models import Tenant

PHONE, EMAIL, ID_NUMBER = "13812345678", "zhang.san@example.com", "11010519491231002X"
# Redacted once it reads "找到某先生，电话[电话]，…，工作人员某某度差"; redacting that again must change nothing.
TEXT = f"找到了张先生，电话{PHONE}，邮箱 {EMAIL}，身份证{ID_NUMBER}，工作人员李四态度差"
S = Rectification.State


def redacted(text: str) -> bool:
    return PHONE not in text and EMAIL not in text and ID_NUMBER not in text and "张" not in text and "李四" not in text


@dataclass
class Rows:
    case: ServiceCase
    evaluation: Evaluation
    bad_case: ServiceCase
    bad_evaluation: Evaluation
    rectification: Rectification
    follow_up: FollowUp
    event: RectificationEvent
    comment: PublicComment
    comment_event: CommentEvent
    work_order: WorkOrder
    response: SurveyResponse
    call: CallBack
    notification: Notification
    sms: SmsRecord
    verification: PhoneVerification


def make_rows(schema: str, tag: str, *, age: timedelta, short_age: timedelta, rect_state: str = S.CLOSED,
              comment_status: str = PublicComment.Status.ANSWERED, call_state: str = CallBack.State.DONE,
              notification_state: str = Notification.State.SENT) -> Rows:
    """One of everything that holds personal data, dated `age` ago (notifications `short_age` ago)."""
    when, short_when = timezone.now() - age, timezone.now() - short_age
    with schema_context(schema):
        tenant = Tenant.objects.get(schema_name=schema)
        item = ServiceItem.objects.order_by("pk").first()
        handler = User.objects.get(username="handler")

        def case(n: int) -> ServiceCase:
            return ServiceCase.objects.create(
                case_number=f"{tag}-{n}", item=item, accepting_unit=tenant, handling_unit=tenant,
                applicant_kind="INDIVIDUAL", applicant_name="张三", applicant_phone=PHONE, applicant_email=EMAIL,
                status=ServiceCase.Status.COMPLETED, accepted_at=when, completed_at=when)

        def evaluation(c: ServiceCase, grade: int) -> Evaluation:
            e = Evaluation.objects.create(
                case=c, grade=grade, is_bad=grade <= 2, channel="QR_CODE", comment=TEXT, rater_name="张三",
                rater_phone=PHONE, real_name_basis="APPLICANT", receipt_code=f"{tag}{grade}",
                answers={"suggestion": f"请联系{PHONE}", "guidance": "CLEAR"}, rated_at=when)
            Evaluation.objects.filter(pk=e.pk).update(created_at=when)
            return Evaluation.objects.get(pk=e.pk)

        good_case, bad_case = case(1), case(2)
        good, bad = evaluation(good_case, 5), evaluation(bad_case, 1)
        rect = Rectification.objects.create(
            rating_unit=tenant, owner_unit=tenant, source_evaluation_id=bad.pk, evaluation=bad,
            case_number=bad_case.case_number, grade=1, channel="QR_CODE", comment=TEXT, rater_name="张三",
            rater_phone=PHONE, is_real_name=True, rated_at=when, state=rect_state, handler=handler,
            outcome="EXPLAINED" if rect_state == S.CLOSED else "", feedback=f"已电话{PHONE}联系张先生说明",
            follow_up_due=when, due=when, closed_at=when if rect_state == S.CLOSED else None)
        follow_up = FollowUp.objects.create(rectification=rect, contacted_at=when, method="PHONE",
                                            contacted_by=handler, rater_said=f"评价人说可打{PHONE}")
        event = RectificationEvent.objects.create(rectification=rect, actor=handler, actor_label="整改专人",
                                                  action="FOLLOWED_UP", from_state="OPEN", to_state="VERIFYING",
                                                  note=f"评价人说可打{PHONE}", data={"said": f"请拨{PHONE}"})
        comment = PublicComment.objects.create(
            receipt_code=f"{tag}C", channel="HOTLINE_12345", category="COMPLAINT", text=TEXT, contact_name="张三",
            contact_phone=PHONE, contact_email=EMAIL, route="HOST", status=comment_status, submitted_at=when,
            answer=f"已回复至{EMAIL}")
        comment_event = CommentEvent.objects.create(comment=comment, actor_label="系统", action="RECEIVED",
                                                    note=f"来电{PHONE}", data={"from": EMAIL})
        work_order = WorkOrder.objects.create(comment=comment, order_number=f"{tag}-WO", state="CALLED_BACK",
                                              dispatched_at=when, callback_note=f"回访{PHONE}满意")
        survey = Survey.objects.create(title="满意度调查", period_start=date(2020, 1, 1), period_end=date(2030, 1, 1),
                                       created_by="测试")
        version = SurveyVersion.objects.create(survey=survey, version=1, questions=[], published_by="测试")
        link = SurveyLink.objects.create(survey=survey, version=version, case=good_case, item_code="TEST-001",
                                         channel="SMS", token_digest=f"{tag}-digest", expires_at=when)
        response = SurveyResponse.objects.create(link=link, survey=survey, version=version, item_code="TEST-001",
                                                 scores={}, text=TEXT)
        SurveyResponse.objects.filter(pk=response.pk).update(submitted_at=when)
        call = CallBack.objects.create(draw_key=f"{tag}-draw", seed="s", evaluation=good, stratum="QR_CODE",
                                       channel="QR_CODE", grade=5, is_bad=False, drawn_by="县级", state=call_state,
                                       notes=f"拨打{PHONE}，本人确认")
        CallBack.objects.filter(pk=call.pk).update(drawn_at=when)
        notification = Notification.objects.create(channel="SMS", recipient=PHONE, subject=f"致{PHONE}",
                                                   body=TEXT, purpose="invitation", state=notification_state)
        Notification.objects.filter(pk=notification.pk).update(created_at=short_when)
        sms = SmsRecord.objects.create(notification=notification, phone=PHONE, text=TEXT)
        SmsRecord.objects.filter(pk=sms.pk).update(sent_at=short_when)
        verification = PhoneVerification.objects.create(phone_digest=f"{tag}-phone", code_digest="c",
                                                        expires_at=short_when)
        return Rows(good_case, good, bad_case, bad, rect, follow_up, event, comment, comment_event, work_order, response,
                    call, notification, sms, verification)


OLD = dict(age=timedelta(days=3 * 365 + 30), short_age=timedelta(days=200))
NEW = dict(age=timedelta(days=30), short_age=timedelta(days=30))


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def assert_untouched(schema: str, rows: Rows) -> None:
    with schema_context(schema):
        for case in (rows.case, rows.bad_case):
            case = fresh(case)
            assert (case.applicant_name, case.applicant_phone, case.applicant_email) == ("张三", PHONE, EMAIL)
        for e in (rows.evaluation, rows.bad_evaluation):
            e = fresh(e)
            assert (e.rater_name, e.rater_phone, e.comment) == ("张三", PHONE, TEXT)
            assert e.answers["suggestion"] == f"请联系{PHONE}"
        r = fresh(rows.rectification)
        assert (r.rater_name, r.rater_phone, r.comment) == ("张三", PHONE, TEXT) and PHONE in r.feedback
        assert PHONE in fresh(rows.follow_up).rater_said and PHONE in fresh(rows.event).note
        c = fresh(rows.comment)
        assert (c.contact_name, c.contact_phone, c.contact_email, c.text) == ("张三", PHONE, EMAIL, TEXT)
        assert PHONE in fresh(rows.comment_event).note and PHONE in fresh(rows.work_order).callback_note
        assert fresh(rows.response).text == TEXT and PHONE in fresh(rows.call).notes
        n = fresh(rows.notification)
        assert (n.recipient, n.body) == (PHONE, TEXT)
        assert fresh(rows.sms).phone == PHONE
        assert PhoneVerification.objects.filter(pk=rows.verification.pk).exists()


def test_only_old_rows_are_anonymised_and_a_rerun_changes_nothing(alpha, beta):
    old, new = make_rows("alpha", "OLD", **OLD), make_rows("alpha", "NEW", **NEW)
    beta_old = make_rows("beta", "OLD", **OLD)

    with schema_context("alpha"):
        run = apply_retention()
    assert run.counts == {
        "rectification.Rectification": 1, "rectification.FollowUp": 1, "rectification.RectificationEvent": 1,
        "evaluations.Evaluation": 2,
        "evaluations.ServiceCase": 2, "feedback.PublicComment": 1, "feedback.CommentEvent": 1,
        "feedback.WorkOrder": 1, "surveys.SurveyResponse": 1, "surveys.CallBack": 1,
        "notifications.Notification": 1, "notifications.SmsRecord": 1, "evaluations.PhoneVerification": 1,
    }
    assert run.total == 15

    with schema_context("alpha"):
        for case in (old.case, old.bad_case):
            case = fresh(case)
            assert (case.applicant_name, case.applicant_phone, case.applicant_email) == (ANONYMISED, "", "")
        for e in (old.evaluation, old.bad_evaluation):
            e = fresh(e)
            assert (e.rater_name, e.rater_phone) == ("", "") and redacted(e.comment) and "[电话]" in e.comment
            assert e.answers == {"suggestion": "请联系[电话]", "guidance": "CLEAR"}
            # What statistics need stays.
            assert e.grade in (1, 5) and e.real_name_basis == "APPLICANT"
        r = fresh(old.rectification)
        assert (r.rater_name, r.rater_phone) == ("", "") and redacted(r.comment) and redacted(r.feedback)
        assert r.state == S.CLOSED and r.outcome == "EXPLAINED"
        assert redacted(fresh(old.follow_up).rater_said)
        event = fresh(old.event)
        assert redacted(event.note) and event.data == {"said": "请拨[电话]"}
        assert (event.action, event.actor_label, event.to_state) == ("FOLLOWED_UP", "整改专人", "VERIFYING")
        c = fresh(old.comment)
        assert (c.contact_name, c.contact_phone, c.contact_email) == ("", "", "")
        assert redacted(c.text) and redacted(c.answer) and c.category == "COMPLAINT"
        event = fresh(old.comment_event)
        assert redacted(event.note) and event.data == {"from": "[邮箱]"}
        assert redacted(fresh(old.work_order).callback_note)
        assert redacted(fresh(old.response).text) and redacted(fresh(old.call).notes)
        n = fresh(old.notification)
        assert (n.recipient, n.body) == (ANONYMISED, ANONYMISED) and redacted(n.subject)
        assert (fresh(old.sms).phone, fresh(old.sms).text) == (ANONYMISED, ANONYMISED)
        assert not PhoneVerification.objects.filter(pk=old.verification.pk).exists()
        assert RetentionRun.objects.get(pk=run.pk).counts == run.counts

    assert_untouched("alpha", new)
    assert_untouched("beta", beta_old)

    with schema_context("alpha"):
        snapshot = [(fresh(old.evaluation).comment, fresh(old.rectification).feedback, fresh(old.comment).text)]
        again = apply_retention()
        assert again.total == 0 and set(again.counts.values()) == {0}
        assert snapshot == [(fresh(old.evaluation).comment, fresh(old.rectification).feedback, fresh(old.comment).text)]
        assert RetentionRun.objects.count() == 2
    assert_untouched("beta", beta_old)


def test_rows_still_needed_keep_their_contacts(alpha):
    """An open rectification keeps its contact, its evaluation's and its case's; so do an unanswered comment, a
    call-back not yet made and a notification not yet sent — however old."""
    rows = make_rows("alpha", "OPEN", **OLD, rect_state=S.LEDGER, comment_status=PublicComment.Status.OPEN,
                     call_state=CallBack.State.PENDING, notification_state=Notification.State.PENDING)
    with schema_context("alpha"):
        run = apply_retention()
        assert run.counts["rectification.Rectification"] == 0 and run.counts["feedback.PublicComment"] == 0
        # Only what no workflow needs: the survey answer and the expired phone check.
        assert run.counts["surveys.SurveyResponse"] == 1 and run.counts["evaluations.PhoneVerification"] == 1
        assert run.total == 2
        r = fresh(rows.rectification)
        assert (r.rater_name, r.rater_phone, r.comment) == ("张三", PHONE, TEXT)
        for e in (rows.evaluation, rows.bad_evaluation):  # pending call-back, open rectification
            assert fresh(e).rater_phone == PHONE
        for case in (rows.case, rows.bad_case):
            assert fresh(case).applicant_phone == PHONE
        assert fresh(rows.comment).contact_phone == PHONE and fresh(rows.notification).recipient == PHONE

        # Once the rectification closes (long ago), the next run anonymises it.
        Rectification.objects.filter(pk=rows.rectification.pk).update(state=S.CLOSED, closed_at=rows.evaluation.rated_at)
        run = apply_retention()
        assert run.counts["rectification.Rectification"] == 1 and run.counts["evaluations.Evaluation"] == 1
        assert fresh(rows.rectification).rater_phone == "" and fresh(rows.bad_evaluation).rater_phone == ""
        assert fresh(rows.evaluation).rater_phone == PHONE  # its call-back is still pending


def test_retention_period_is_a_setting(alpha, settings):
    rows = make_rows("alpha", "SET", **NEW)
    settings.PRIVACY_RETENTION_DAYS = 10
    settings.PRIVACY_NOTIFICATION_RETENTION_DAYS = 10
    with schema_context("alpha"):
        run = apply_retention()
        assert run.counts["evaluations.Evaluation"] == 2 and run.counts["notifications.Notification"] == 1
        assert fresh(rows.evaluation).rater_phone == ""


@pytest.mark.parametrize("hour", [0, 18])
def test_scheduled_once_a_day_per_tenant(alpha, beta, hour):
    day_start = 1_800_000_000 - 1_800_000_000 % 86400 + 19 * 3600  # 19:00 UTC = 03:00 Asia/Shanghai
    now = day_start + hour * 3600
    assert enqueue_periodic(300, now=now) > 0
    jobs = Job.objects.filter(kind=RETENTION_JOB)
    assert sorted(jobs.values_list("schema_name", flat=True)) == ["alpha", "beta"]
    enqueue_periodic(300, now=now + 3600)  # later the same day (another scan bucket): no second retention job
    assert jobs.count() == 2
    enqueue_periodic(300, now=day_start + 86400)  # the next day's first tick
    assert jobs.count() == 4

    run_due_jobs(batch=50)
    assert set(jobs.filter(state=Job.State.DONE).values_list("schema_name", flat=True)) == {"alpha", "beta"}
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            assert RetentionRun.objects.exists()


def test_events_stay_append_only_apart_from_the_retention_redaction(alpha):
    """The trigger's exception is narrow: only with the job's transaction-local setting, only note and data."""
    rows = make_rows("alpha", "TRIG", **OLD)
    pk = rows.event.pk
    with schema_context("alpha"):
        for sql in ("UPDATE rectification_rectificationevent SET note = 'x' WHERE id = %s",
                    "DELETE FROM rectification_rectificationevent WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql, [pk])
        for sql in ("UPDATE rectification_rectificationevent SET action = 'CLOSED' WHERE id = %s",
                    "UPDATE rectification_rectificationevent SET note = 'x', at = now() - interval '1 day' WHERE id = %s",
                    "DELETE FROM rectification_rectificationevent WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT set_config('haochaping.retention', 'on', true)")
                cur.execute(sql, [pk])
        apply_retention()
        assert redacted(fresh(rows.event).note)
        # The job turns its setting off again: later writes in the same transaction are refused as before.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE rectification_rectificationevent SET note = 'x' WHERE id = %s", [pk])
