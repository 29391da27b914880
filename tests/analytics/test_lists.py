"""Commendation and accountability lists and the performance table, from the tenant's counts."""
from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import schema_context

from haochaping.analytics.lists import accountability_list, commendation_list, performance_rows
from haochaping.analytics.models import TenantCount
from haochaping.integrity.models import SuspicionFlag
from haochaping.organizations.models import ServiceOrg, Staff, Window
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def cell(day: date, grade: int, n: int, *, window: Window, staff: Staff | None = None, excluded: bool = False):
    TenantCount.objects.create(day=day, org=window.org, window=window, staff=staff, channel="QR_CODE", grade=grade,
                               excluded=excluded, n=n)


@pytest.fixture
def two_windows(alpha):
    with schema_context("alpha"):
        w1 = Window.objects.get(code="W01")
        w2 = Window.objects.create(org=ServiceOrg.objects.get(code="H01"), code="W02", name="甲镇二号窗口")
        return w1.pk, w2.pk


def test_commendation_needs_every_month_high_and_busy(two_windows):
    w1_pk, w2_pk = two_windows
    with schema_context("alpha"):
        w1, w2 = Window.objects.get(pk=w1_pk), Window.objects.get(pk=w2_pk)
        staff = Staff.objects.get(employee_no="E001")
        for month in (9, 10, 11):
            cell(date(2026, month, 3), 5, 50, window=w1, staff=staff)
        cell(date(2026, 9, 3), 5, 50, window=w2)
        cell(date(2026, 10, 3), 5, 50, window=w2)
        cell(date(2026, 11, 3), 5, 10, window=w2)  # too few ratings in November
        chosen = commendation_list(date(2026, 9, 1), date(2026, 11, 30))
    assert [(p.kind, p.code) for p in chosen] == [("STAFF", "E001"), ("WINDOW", "H01/W01")]
    assert all(p.counts.counted == 150 for p in chosen)


def test_accountability_from_bad_reviews_and_fraud_flags(two_windows):
    w1_pk, w2_pk = two_windows
    with schema_context("alpha"):
        w1, w2 = Window.objects.get(pk=w1_pk), Window.objects.get(pk=w2_pk)
        cell(date(2026, 11, 3), 1, 2, window=w1)
        cell(date(2026, 11, 4), 2, 1, window=w1)
        cell(date(2026, 11, 4), 1, 9, window=w1, excluded=True)  # rejected reviews never count against anyone
        cell(date(2026, 11, 4), 1, 2, window=w2)
    SuspicionFlag.objects.create(tenant=Tenant.objects.get(schema_name="alpha"), kind="FAST_TOP_STREAK",
                                 window_code="H01/W02", detail="连续满分")
    with schema_context("alpha"):
        chosen = {p.code: p.reasons for p in accountability_list(date(2026, 11, 1), date(2026, 11, 30))}
    assert chosen["H01/W01"] == ["差评3条"]
    assert chosen["H01/W02"] == ["疑似刷评1次"]


def test_performance_table_and_tenant_isolation(two_windows, beta):
    w1_pk, _ = two_windows
    with schema_context("alpha"):
        cell(date(2026, 11, 3), 5, 3, window=Window.objects.get(pk=w1_pk))
        cell(date(2026, 11, 3), 1, 1, window=Window.objects.get(pk=w1_pk))
        rows = list(performance_rows(date(2026, 11, 1), date(2026, 11, 30)))
    assert rows[0][:7] == ["窗口", "H01/W01", "alpha便民服务中心 alpha综合窗口", 4, 0.75, 0.25, 4.0]
    assert rows[-1][0] == "单位合计" and rows[-1][3] == 4
    with schema_context("beta"):
        assert list(performance_rows(date(2026, 11, 1), date(2026, 11, 30)))[-1][3] == 0
