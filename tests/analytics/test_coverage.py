"""三个全覆盖: items, evaluated parties and channels that cannot be rated, or were not rated, in a period."""
from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.conftest import add_window, rate
from haochaping.analytics.coverage import county_coverage, coverage
from haochaping.analytics.fold import fold_batch
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import Staff

pytestmark = pytest.mark.django_db


def gaps(report) -> dict[tuple[str, str], list[str]]:
    return {(g.kind, g.code): g.problems for g in report.gaps}


def test_nothing_rated_means_every_party_is_a_gap(alpha):
    today = timezone.localdate()
    with schema_context("alpha"):
        report = coverage(today, today)
    found = gaps(report)
    assert found[("WINDOW", "H01/W01")] == ["NOT_RATED"]  # it has an active device
    assert found[("STAFF", "E001")] == ["NOT_RATED"] and found[("PLATFORM", "P01")] == ["NOT_RATED"]
    assert "NOT_RATED" in found[("ITEM", "TEST-001")] and found[("ORG", "H01")] == ["NOT_RATED"]
    assert report.totals == {"ITEM": 2, "WINDOW": 1, "ORG": 1, "STAFF": 1, "PLATFORM": 1}
    assert not report.fully_covered


def test_ratings_and_devices_close_the_gaps_that_remain_visible(alpha):
    today = timezone.localdate()
    with schema_context("alpha"):
        add_window("alpha", "W02", "甲镇二号窗口")  # no device
        Staff.objects.create(employee_no="E002", name="新同事", org_id=1)  # on no window
        rate("alpha", 5)  # W01, its only staff member E001
        fold_batch()
        report = coverage(today, today)
    found = gaps(report)
    assert ("WINDOW", "H01/W01") not in found and ("STAFF", "E001") not in found and ("ORG", "H01") not in found
    assert found[("WINDOW", "H01/W02")] == ["NO_DEVICE", "NOT_RATED"]
    assert found[("STAFF", "E002")] == ["NO_WINDOW", "NOT_RATED"]
    assert report.count("WINDOW", "NO_DEVICE") == 1


def test_item_channel_gaps_follow_the_current_guide(alpha):
    today = timezone.localdate()
    with schema_context("alpha"):
        item = ServiceItem.objects.get(catalog_item__code="TEST-001")
        guide = item.guides.order_by("-version").first()
        guide.pk, guide.version, guide.evaluation_channels = None, guide.version + 1, ["WINDOW_DEVICE"]
        guide.save()
        found = gaps(coverage(today, today))
    assert found[("ITEM", "TEST-001")] == ["NO_ONLINE_CHANNEL", "NOT_RATED"]


def test_county_report_has_every_tenant_and_keeps_them_apart(alpha, beta):
    today = timezone.localdate()
    with schema_context("beta"):
        rate("beta", 4)
        fold_batch()
    reports = {slug: report for slug, _, report in county_coverage(today, today)}
    assert {"alpha", "beta"} <= set(reports)
    assert ("WINDOW", "H01/W01") in gaps(reports["alpha"])  # beta's rating covers beta's window only
    assert ("WINDOW", "H01/W01") not in gaps(reports["beta"])
