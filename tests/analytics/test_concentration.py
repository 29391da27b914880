"""Concentrated problems: bad reviews sharing a topic at one window or item open a tracked improvement case with a
deadline, overdue ones are escalated, closed ones are published."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.conftest import add_window, rate
from haochaping.accounts.models import User
from haochaping.analytics import concentration
from haochaping.analytics.comments import DIMENSIONS
from haochaping.analytics.models import ImprovementCase
from haochaping.core.errors import DomainError
from haochaping.disclosure.models import PublishedImprovement
from haochaping.evaluations.models import Evaluation
from haochaping.notifications.models import Notification
from haochaping.workcalendar.services import deadline

pytestmark = pytest.mark.django_db
WAITING = ["排队等了一个多小时", "等候时间太长了", "叫号太慢，等了很久"]


def test_three_bad_reviews_on_one_topic_open_one_case_with_a_deadline(alpha):
    with schema_context("alpha"):
        User.objects.filter(username="tenant_admin").update(email="admin@example.com")
        for text in WAITING:
            rate("alpha", 1, comment=text)
        now = timezone.now()
        opened = concentration.detect(now)
        assert [(c.subject_kind, c.subject_name, c.topic, c.review_count) for c in opened] == [
            ("WINDOW", "alpha便民服务中心 alpha综合窗口", "waiting", 3)]
        assert opened[0].due == deadline(now, concentration.WORKING_DAYS)
        assert concentration.detect(now) == []  # already open: no second case
        mail = Notification.objects.get(purpose="improvement")
        assert mail.recipient == "admin@example.com"
        assert DIMENSIONS["waiting"].label in mail.body and "3条" in mail.body


def test_fewer_good_or_rejected_reviews_do_not_count(alpha):
    with schema_context("alpha"):
        rate("alpha", 1, comment=WAITING[0])
        rate("alpha", 2, comment=WAITING[1])
        rate("alpha", 5, comment="排队不用等，很快")  # a good review about waiting is no complaint
        rejected = rate("alpha", 1, comment=WAITING[2])
        Evaluation.objects.filter(pk=rejected.pk).update(excluded_from_scores=True)
        assert concentration.detect() == []
        rate("alpha", 1, comment="材料要求反复变，跑了三趟")  # another topic
        assert concentration.detect() == []


def test_reviews_at_different_windows_do_not_add_up(alpha):
    with schema_context("alpha"):
        add_window("alpha", "W02", "甲镇二号窗口")
        rate("alpha", 1, "W01", WAITING[0])
        rate("alpha", 1, "W01", WAITING[1])
        rate("alpha", 1, "W02", WAITING[2])
        assert concentration.detect() == []


def test_overdue_cases_are_escalated_once_and_the_county_is_told(alpha):
    User.objects.create(username="county_watch", role="COUNTY_ADMIN", email="county@example.com")
    with schema_context("alpha"):
        for text in WAITING:
            rate("alpha", 2, comment=text)
        case = concentration.detect()[0]
        later = case.due + timedelta(minutes=1)
        assert [c.pk for c in concentration.escalate_overdue(later)] == [case.pk]
        assert concentration.escalate_overdue(later + timedelta(days=1)) == []
        assert ImprovementCase.objects.get().escalated_at == later
        assert Notification.objects.filter(purpose="improvement", recipient="county@example.com").count() == 1


def test_closing_publishes_what_was_done_without_personal_data(alpha):
    with schema_context("alpha"):
        for text in WAITING:
            rate("alpha", 1, comment=text)
        case = concentration.detect()[0]
        with pytest.raises(DomainError) as empty:
            concentration.close_case(case.pk, "  ")
        assert empty.value.codes == ["REQUIRED"]
        concentration.close_case(case.pk, "增开两个窗口，高峰期预约分流；联系人王主任13812345678")
        with pytest.raises(DomainError) as twice:
            concentration.close_case(case.pk, "再次")
        assert twice.value.codes == ["ALREADY_CLOSED"]
        # The same reviews do not reopen it; three new ones do.
        assert concentration.detect() == []
        for text in WAITING:
            rate("alpha", 1, comment=text)
        assert len(concentration.detect()) == 1
    published = PublishedImprovement.objects.get()
    assert published.tenant.schema_name == "alpha" and published.on_time and published.topic == "waiting"
    assert "13812345678" not in published.outcome and "增开两个窗口" in published.outcome


def test_alpha_scan_never_sees_beta(alpha, beta):
    with schema_context("beta"):
        for text in WAITING:
            rate("beta", 1, comment=text)
    with schema_context("alpha"):
        assert concentration.scan() == {"opened": 0, "escalated": 0}
    with schema_context("beta"):
        assert concentration.scan() == {"opened": 1, "escalated": 0}
        assert ImprovementCase.objects.count() == 1
    with schema_context("alpha"):
        assert not ImprovementCase.objects.exists()
