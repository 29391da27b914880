"""County supervision: instructions (督办意见) and their acknowledgement, internal circulars, and the county
overview's metrics on a hand-built set."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError
from haochaping.notifications.models import Notification
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.supervision import services
from haochaping.supervision.models import Circular, SupervisionInstruction
from haochaping.supervision.selectors import county_overview, tenant_ledger
from tenants.models import Tenant

S, O = Rectification.State, Rectification.Outcome


def make_rect(schema: str, *, real_name=True, followed=False, state=S.VERIFYING, closed_late=None, overdue=False,
              escalated=False, **extra) -> Rectification:
    now = timezone.now()
    due = now - timedelta(days=1) if overdue else now + timedelta(days=10)
    values = dict(case_number="CASE-9", item_name="测试事项1", grade=1, channel="WINDOW", rater_name="李四",
                  rater_phone="13900000000", is_real_name=real_name, rated_at=now - timedelta(days=3), state=state,
                  follow_up_due=now + timedelta(days=1), due=due,
                  followed_up_at=now - timedelta(days=2) if followed else None,
                  escalated_at=now if escalated else None)
    if closed_late is not None:
        values.update(state=S.CLOSED, outcome=O.EXPLAINED, due=now - timedelta(days=2),
                      closed_at=now - timedelta(days=1) if closed_late else now - timedelta(days=3))
    values.update(extra)
    with schema_context(schema):
        tenant = Tenant.objects.get(schema_name=schema)
        r = Rectification.objects.create(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=0, **values)
        Rectification.objects.filter(pk=r.pk).update(source_evaluation_id=r.pk)
        return r


@pytest.fixture
def county(db) -> User:
    return User.objects.get(username="county_supervisor")


@pytest.fixture
def admin_emails(db):
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            User.objects.filter(username="tenant_admin").update(email=f"admin@{schema}.example.cn")


def outbox(schema: str, purpose: str) -> list[Notification]:
    with schema_context(schema):
        return list(Notification.objects.filter(purpose=purpose))


def test_instruction_flow(alpha, beta, county, admin_emails):
    r = make_rect("alpha", overdue=True, escalated=True)
    instruction = services.issue_instruction(alpha, r.pk, "请于三个工作日内完成整改并报送结果", county)
    assert SupervisionInstruction.objects.get(pk=instruction.pk).issued_by.startswith("县级：")
    with schema_context("alpha"):
        event = RectificationEvent.objects.get(rectification_id=r.pk, action="SUPERVISION_INSTRUCTION")
        assert event.data == {"instruction_id": instruction.pk} and "三个工作日" in event.note
    [mail] = outbox("alpha", "supervision_instruction")
    assert mail.recipient == "admin@alpha.example.cn"
    assert outbox("beta", "supervision_instruction") == []

    # Beta cannot acknowledge alpha's instruction.
    with schema_context("beta"):
        with pytest.raises(DomainError):
            services.acknowledge_instruction(instruction.pk, User.objects.get(username="tenant_admin"))
    with schema_context("alpha"):
        viewer = User.objects.get(username="viewer")
        with pytest.raises(DomainError):
            services.acknowledge_instruction(instruction.pk, viewer)
        admin = User.objects.get(username="tenant_admin")
        done = services.acknowledge_instruction(instruction.pk, admin)
        again = services.acknowledge_instruction(instruction.pk, admin)
        assert done.acknowledged_at is not None and again.acknowledged_at == done.acknowledged_at
        assert done.acknowledged_by.startswith("甲镇")
        assert RectificationEvent.objects.filter(rectification_id=r.pk, action="SUPERVISION_ACKNOWLEDGED").count() == 1


def test_only_county_users_issue_instructions(alpha, admin_emails):
    r = make_rect("alpha")
    with schema_context("alpha"):
        tenant_admin = User.objects.get(username="tenant_admin")
    with pytest.raises(DomainError):
        services.issue_instruction(alpha, r.pk, "督办", tenant_admin)
    with pytest.raises(DomainError):
        services.issue_instruction(alpha, r.pk, "  ", User.objects.get(username="county_admin"))
    with pytest.raises(DomainError):
        services.issue_instruction(alpha, 987654, "督办", User.objects.get(username="county_admin"))
    assert not SupervisionInstruction.objects.exists()


def test_circular_to_named_units(alpha, beta, county, admin_emails):
    r = make_rect("alpha", overdue=True)
    circular = services.issue_circular(title="关于甲镇差评整改逾期的通报", body="整改逾期，造成不良影响。",
                                       county_user=county, tenants=[alpha], subject_tenant=alpha, rectification_id=r.pk)
    assert list(Circular.objects.get(pk=circular.pk).tenants.all()) == [alpha]
    assert [n.recipient for n in outbox("alpha", "circular")] == ["admin@alpha.example.cn"]
    assert outbox("beta", "circular") == []
    with schema_context("alpha"):
        assert RectificationEvent.objects.filter(rectification_id=r.pk, action="CIRCULATED").count() == 1


def test_circular_to_every_unit(alpha, beta, county, admin_emails):
    services.issue_circular(title="全县通报", body="各单位引以为戒。", county_user=county)
    assert len(outbox("alpha", "circular")) == 1 and len(outbox("beta", "circular")) == 1


def test_county_overview_rates(alpha, beta):
    # 4 real-name bad reviews: 3 followed up, 2 of those closed → 50%.
    make_rect("alpha", followed=True, closed_late=False)       # closed on time
    make_rect("alpha", followed=True, closed_late=True)        # closed late
    make_rect("alpha", followed=True, overdue=True, escalated=True)  # open, overdue, escalated
    make_rect("alpha", followed=False)                         # open, not followed up
    # Not real-name, closed on time: counts for on-time (3 closed, 2 by due → 66.7%), not for the real-name rate.
    make_rect("alpha", real_name=False, followed=True, closed_late=False)
    # A rejection awaiting the agency, and an approved one (excluded from the real-name rate).
    make_rect("alpha", real_name=False, followed=True, state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MISTAKEN,
              rejection_reason="评价人选错等级")
    make_rect("alpha", followed=True, state=S.CLOSED, outcome=O.REJECTED_MALICIOUS, rejection_kind=O.REJECTED_MALICIOUS,
              rejection_reason="同一号码连续恶意差评", closed_at=timezone.now())
    overview = {row.tenant.schema_name: row for row in county_overview()}
    a = overview["alpha"]
    assert (a.real_name_follow_up_rectification.numerator, a.real_name_follow_up_rectification.denominator) == (2, 4)
    assert a.real_name_follow_up_rectification.percent == 50.0
    assert (a.on_time.numerator, a.on_time.denominator) == (3, 4)  # the approved rejection closed by its due too
    assert (a.open, a.overdue, a.escalated, a.closed) == (3, 1, 1, 4)
    assert a.rejection_count == 2
    assert sorted(x.reason for x in a.rejections) == ["同一号码连续恶意差评", "评价人选错等级"]
    b = overview["beta"]
    assert b.open == 0 and b.on_time.percent is None and b.real_name_follow_up_rectification.value is None
    assert "public" not in overview and "tenant_base" not in overview


def test_on_time_rate_is_two_thirds(alpha):
    make_rect("alpha", followed=True, closed_late=False)
    make_rect("alpha", followed=True, closed_late=True)
    make_rect("alpha", real_name=False, followed=True, closed_late=False)
    [a] = [row for row in county_overview() if row.tenant.schema_name == "alpha"]
    assert a.on_time.percent == 66.7
    assert a.real_name_follow_up_rectification.percent == 100.0


def test_ledger_for_the_county_has_no_rater_contact(alpha):
    make_rect("alpha")
    [row] = tenant_ledger(alpha)
    assert "rater_name" not in row and "rater_phone" not in row and "comment" not in row
    assert row["case_number"] == "CASE-9"
