"""The board domain: links, sequence numbers, snapshots, anonymisation and threshold alerts (no sockets)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.boards import publisher, services
from haochaping.boards.models import BoardAlert, HallBoard
from haochaping.core.errors import DomainError
from haochaping.core.privacy import redact_text
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.policy import update_policy
from haochaping.notifications.models import Notification
from haochaping.organizations.models import ServiceOrg

from .conftest import add_window, rate

pytestmark = pytest.mark.django_db


def hall(slug="alpha") -> ServiceOrg:
    return ServiceOrg.objects.get(code="H01")


def test_board_token_opens_its_own_hall_only(alpha, beta):
    with schema_context("alpha"):
        token = services.board_token(hall())
        assert services.hall_for_board_token("H01", token).code == "H01"
        other = ServiceOrg.objects.create(kind="HALL", code="H02", name="甲镇第二大厅")
        with pytest.raises(DomainError) as refused:
            services.hall_for_board_token("H02", token)
        assert refused.value.codes == ["INVALID_TOKEN"]
        assert services.board_token(other) != token
        with pytest.raises(DomainError) as unknown:
            services.hall_for_board_token("NOPE", token)
        assert unknown.value.codes == ["INVALID_TOKEN"] or unknown.value.codes == ["NOT_FOUND"]
    # beta has a hall H01 with the same primary key: alpha's token is still refused there.
    with schema_context("beta"):
        with pytest.raises(DomainError) as foreign:
            services.hall_for_board_token("H01", token)
        assert foreign.value.codes == ["INVALID_TOKEN"]


def test_rotating_revokes_the_old_link(alpha):
    with schema_context("alpha"):
        old = services.board_token(hall())
        url = services.rotate_board_token(hall())
        new = url.split("?t=")[1]
        assert new != old
        assert services.hall_for_board_token("H01", new).code == "H01"
        with pytest.raises(DomainError):
            services.hall_for_board_token("H01", old)
        assert "/board/H01/?t=" in url


def test_each_rating_numbers_the_halls_events_and_the_snapshot_agrees(alpha):
    with schema_context("alpha"):
        add_window("alpha", "W02", "甲镇不动产窗口")
        assert services.snapshot(hall())["seq"] == 0
        for grade, window in ((5, "W01"), (4, "W02"), (1, "W02"), (3, "W01")):
            rate("alpha", grade, window)
        snap = services.snapshot(hall())
        assert snap["seq"] == 4 and HallBoard.objects.get(org=hall()).seq == 4
        by_code = {w["code"]: w for w in snap["windows"]}
        assert by_code["W01"]["counts"] == {"5": 1, "4": 0, "3": 1, "2": 0, "1": 0}
        assert by_code["W02"]["total"] == 2 and by_code["W02"]["bad"] == 1 and by_code["W02"]["satisfaction"] == 0.5
        assert snap["totals"]["total"] == 4 and snap["totals"]["satisfaction"] == 0.75
        hour = timezone.localtime().hour
        assert snap["trend"][hour] == {"hour": hour, "good": 3, "bad": 1}
        assert [r["grade"] for r in snap["latest"]] == [3, 1, 4, 5]


def test_snapshot_leaves_out_excluded_and_other_days_ratings(alpha):
    with schema_context("alpha"):
        kept = rate("alpha", 5)
        excluded = rate("alpha", 1)
        Evaluation.objects.filter(pk=excluded.pk).update(excluded_from_scores=True)
        yesterday = rate("alpha", 4, comment="昨天的评价")
        Evaluation.objects.filter(pk=yesterday.pk).update(rated_at=timezone.now() - timedelta(days=1))
        snap = services.snapshot(hall())
        assert snap["totals"]["total"] == 1 and snap["totals"]["counts"]["5"] == 1
        assert snap["seq"] == 3  # every event was numbered, counted or not
        assert kept.pk


def test_board_sees_no_personal_data(alpha):
    with schema_context("alpha"):
        rate("alpha", 2, comment="张先生态度差，我的电话13812345678，身份证110101199003071234，邮箱a.b@example.com")
        snap = services.snapshot(hall())
    latest = snap["latest"][0]
    text = repr(snap)
    for secret in ("13812345678", "110101199003071234", "a.b@example.com", "张先生"):
        assert secret not in text
    assert latest["comment"].startswith("某先生态度差")
    assert set(latest) == {"window", "windowName", "grade", "label", "labelEn", "bad", "counted", "ratedAt", "comment"}
    assert "staff" not in text and "rater" not in text


def test_redaction_covers_names_after_job_titles_and_long_numbers():
    # Names are guessed generously: better a word too many removed than a name left.
    assert "李明" not in redact_text("工作人员李明很耐心") and redact_text("工作人员李明很耐心").startswith("工作人员某某")
    assert redact_text("办件号 2026-1101-8888 没人管") == "办件号 [号码] 没人管"
    assert redact_text("非常好" * 30, 10) == "非常好非常好非常好…"
    assert redact_text("") == ""


def test_rating_without_a_window_is_not_on_any_board(alpha):
    from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
    from haochaping.organizations.models import ServicePlatform

    with schema_context("alpha"):
        admin = User.objects.get(username="tenant_admin")
        platform = ServicePlatform.objects.get(code="P01")
        submit_evaluation(EvaluationInput(grade=5, channel="HOTLINE", platform_id=platform.pk), Submitter(user=admin))
        assert not HallBoard.objects.exists()


def test_rating_event_goes_out_after_commit_only(alpha, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = publisher.hall_group("alpha", "H01")
    async_to_sync(layer.group_add)(group, channel)
    try:
        with schema_context("alpha"):
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                rate("alpha", 4, comment="很好")
            assert len(callbacks) == 1  # nothing was sent before commit
            for callback in callbacks:
                callback()
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(group, channel)
    event = message["event"]
    assert message["type"] == "board.event"
    assert event["v"] == 1 and event["type"] == "rating" and event["hall"] == "H01" and event["seq"] == 1
    assert event["rating"]["grade"] == 4 and event["rating"]["window"] == "W01" and event["rating"]["counted"]


def test_a_failing_channel_layer_never_fails_the_rating(alpha, django_capture_on_commit_callbacks, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}  # nothing listens there
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        with schema_context("alpha"):
            with django_capture_on_commit_callbacks(execute=True):
                evaluation = rate("alpha", 5)
            assert Evaluation.objects.filter(pk=evaluation.pk).exists()
    finally:
        channel_layers.backends.clear()


def test_group_names_carry_the_schema_and_stay_valid():
    assert publisher.hall_group("alpha", "H01") == "t.alpha.hall.H01"
    assert publisher.hall_group("alpha", "H01") != publisher.hall_group("beta", "H01")
    odd = publisher.hall_group("alpha", "大厅 1")
    assert odd.startswith("t.alpha.hall.x") and odd.isascii() and " " not in odd
    assert publisher.manager_group("alpha", "H01") == "t.alpha.hall.H01.manage"


# --- threshold alerts ----------------------------------------------------------------------------------------


@pytest.fixture
def manager(alpha):
    with schema_context("alpha"):
        User.objects.filter(username="agency").update(email="agency@example.com")
        User.objects.filter(username="tenant_admin").update(email="admin@example.com")


def test_half_bad_in_fifteen_minutes_with_four_ratings_raises_one_alert(alpha, manager):
    with schema_context("alpha"):
        for grade in (5, 1, 4):
            rate("alpha", grade)
        assert not BoardAlert.objects.exists()  # 1 bad of 3: under the minimum count
        rate("alpha", 2)  # 2 bad of 4 = 50%
        alert = BoardAlert.objects.get()
        assert (alert.ratings, alert.bad_ratings, alert.period_minutes, alert.threshold_percent) == (4, 2, 15, 50)
        assert alert.window.code == "W01" and alert.state == "OPEN"
        mails = Notification.objects.filter(purpose="board_alert")
        assert sorted(mails.values_list("recipient", flat=True)) == ["admin@example.com", "agency@example.com"]
        assert "W01" in mails.first().subject and "2条差评" in mails.first().body
        rate("alpha", 1)  # still over the line: the open alert stands, no second one
        assert BoardAlert.objects.count() == 1


def test_good_ratings_never_raise_and_other_windows_do_not_count(alpha, manager):
    with schema_context("alpha"):
        add_window("alpha", "W02", "甲镇二号窗口")
        for _ in range(3):
            rate("alpha", 1, "W02")
        for _ in range(3):
            rate("alpha", 5)
        rate("alpha", 1)  # W01: 1 bad of 4
        assert list(BoardAlert.objects.values_list("window__code", flat=True)) == []
        rate("alpha", 1, "W02")  # W02: 4 of 4
        assert list(BoardAlert.objects.values_list("window__code", flat=True)) == ["W02"]


def test_the_threshold_is_a_tenant_setting(alpha, manager):
    with schema_context("alpha"):
        update_policy(board_alert_bad_percent=80, board_alert_min_ratings=2, board_alert_minutes=5)
        rate("alpha", 5)
        rate("alpha", 1)  # 50% < 80%
        assert not BoardAlert.objects.exists()
        rate("alpha", 1)  # 2 of 3 = 67%
        assert not BoardAlert.objects.exists()
        rate("alpha", 1)  # 3 of 4 = 75%
        rate("alpha", 1)  # 4 of 5 = 80%
        assert BoardAlert.objects.get().period_minutes == 5
    with schema_context("alpha"):
        with pytest.raises(DomainError) as refused:
            update_policy(board_alert_bad_percent=0, board_alert_minutes=0)
        assert set(refused.value.codes) == {"OUT_OF_RANGE"}


def test_ratings_outside_the_rolling_period_do_not_count(alpha, manager):
    with schema_context("alpha"):
        for grade in (1, 1, 1):
            old = rate("alpha", grade)
            Evaluation.objects.filter(pk=old.pk).update(rated_at=timezone.now() - timedelta(minutes=20))
        rate("alpha", 5)
        rate("alpha", 1)
        assert not BoardAlert.objects.exists()  # only 2 ratings inside 15 minutes


def test_manager_acknowledges_and_a_new_alert_needs_a_fresh_period(alpha, manager):
    with schema_context("alpha"):
        for grade in (1, 1, 1, 1):
            rate("alpha", grade)
        alert = BoardAlert.objects.get()
        agency = User.objects.get(username="agency")
        acked = services.acknowledge_alert(alert.pk, agency, "已到窗口了解情况")
        assert acked.state == "ACKNOWLEDGED" and acked.acknowledged_by == agency and acked.note == "已到窗口了解情况"
        with pytest.raises(DomainError) as twice:
            services.acknowledge_alert(alert.pk, agency)
        assert twice.value.codes == ["ALREADY_ACKNOWLEDGED"]
        rate("alpha", 1)
        assert BoardAlert.objects.count() == 1  # within the period of the last alert
        BoardAlert.objects.update(raised_at=timezone.now() - timedelta(minutes=16))
        rate("alpha", 1)
        assert BoardAlert.objects.count() == 2


def test_only_hall_managers_acknowledge(alpha, manager):
    with schema_context("alpha"):
        for grade in (1, 1, 1, 1):
            rate("alpha", grade)
        alert = BoardAlert.objects.get()
        viewer = User.objects.get(username="viewer")
        with pytest.raises(DomainError) as refused:
            services.acknowledge_alert(alert.pk, viewer)
        assert refused.value.codes == ["NOT_FOUND"]
        board = HallBoard.objects.get(org=alert.org)
        board.managers.add(viewer)  # named a manager of this hall
        assert services.acknowledge_alert(alert.pk, viewer).state == "ACKNOWLEDGED"
        with pytest.raises(DomainError) as long_note:
            services.acknowledge_alert(alert.pk, viewer, "很" * 501)
        assert long_note.value.codes == ["TOO_LONG"]


def test_named_managers_receive_the_alert_instead_of_everyone(alpha, manager):
    with schema_context("alpha"):
        handler = User.objects.get(username="handler")
        handler.email = "handler@example.com"
        handler.save()
        board, _ = HallBoard.objects.get_or_create(org=hall())
        board.managers.add(handler)
        for grade in (1, 1, 1, 1):
            rate("alpha", grade)
        assert list(Notification.objects.filter(purpose="board_alert").values_list("recipient", flat=True)) == [
            "handler@example.com"]
        assert Role.HANDLER == handler.role
