"""The public portal's unit pages, item search and guides, monthly report, widget and units open data: on the public
host, anonymous, in Chinese and English; only published (public-schema) data; tiny cells show no rate."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.disclosure.models import PublishedFee, PublishedOverdueReason, PublishedRectification
from haochaping.disclosure.portal import shift_month
from haochaping.disclosure.rankings import month_bounds
from conftest import public_count

pytestmark = pytest.mark.django_db
PORTAL = "localhost"
PHONE, ID_NUMBER = "13812345678", "110101199003071234"


def count(tenant, day, grade, n, **extra):
    public_count(tenant, day, item_code="TEST-001", org_code="H01", window_code="W01", grade=grade, n=n, **extra)


@pytest.fixture
def figures(alpha, beta):
    """This month: alpha 40 good + 10 bad (+2 excluded), beta 3 good (a tiny cell). Alpha also rated two months ago."""
    today = timezone.localdate()
    count(alpha, today, 5, 40)
    count(alpha, today, 1, 10)
    count(alpha, today, 2, 2, excluded=True)
    count(beta, today, 5, 3)
    earlier = month_bounds(*shift_month(today.year, today.month, -2))[0]
    count(alpha, earlier, 4, 7)
    return today


@pytest.fixture
def beta_only(beta):
    """Published rows that belong to beta alone."""
    now = timezone.now()
    PublishedFee.objects.create(tenant=beta, org_code="H02", org_name="乙镇分中心", service_name="乙镇专属复印",
                                is_free=False, fee="1元/页")
    PublishedRectification.objects.create(tenant=beta, rectification_id=991, source="BAD_REVIEW",
                                          item_name="乙镇独有事项", state="OPEN", opened_at=now,
                                          due=now + timedelta(days=5))
    PublishedOverdueReason.objects.create(tenant=beta, case_id=77, case_number_masked="BETA****01",
                                          item_name="测试事项2", reason="乙镇的逾期原因", completed_at=now)


def get(path, english=False, host=PORTAL):
    client = Client()
    if english:
        client.cookies["django_language"] = "en"
    return client.get(path, HTTP_HOST=host)


PAGES = ["/", "/units/alpha/", "/units/beta/?q=测试", "/items/", "/items/?q=测试事项1", "/items/alpha/TEST-001/",
         "/reports/", "/widget/alpha.html"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_chinese_and_english(figures, path):
    zh = get(path)
    assert zh.status_code == 200, path
    assert 'lang="zh-hans"' in zh.content.decode()
    en = get(path, english=True)
    assert en.status_code == 200, path
    html = en.content.decode()
    assert 'lang="en"' in html
    english_marker = {"/": "Rankings", "/widget/alpha.html": "satisfaction"}.get(path, "Service items and guides")
    assert english_marker.lower() in html.lower(), path


def test_report_page_in_both_languages(figures):
    month = f"{figures.year}-{figures.month:02d}"
    zh = get(f"/reports/{month}/").content.decode()
    en = get(f"/reports/{month}/", english=True).content.decode()
    assert "月度竞赛榜" in zh, zh
    assert "Monthly league table" in en, en
    assert "Satisfaction" in en and "Received this month" in en, en


def test_unit_page_shows_the_units_figures_chart_and_rank(figures):
    html = get("/units/alpha/").content.decode()
    assert '<svg class="chart"' in html and "<title id=\"unit-chart-t\">" in html
    assert 'id="fig-rate">80.0%' in html and 'id="fig-ratings">50<' in html
    assert 'id="fig-rank">1／1<' in html  # beta has too few ratings to be ranked
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    assert html.count('class="bar"') == 12  # twelve months, bars even for empty ones
    assert "测试事项1" in html and "alpha便民服务中心" in html and "0.5元/页" in html


def test_item_search_in_a_unit_page(figures):
    html = get("/units/alpha/?q=测试事项2").content.decode()
    assert "测试事项2" in html and "/items/alpha/TEST-002/" in html and "/items/alpha/TEST-001/" not in html


def test_tenant_pages_show_only_that_tenants_data(figures, beta_only):
    alpha_html = get("/units/alpha/").content.decode()
    for theirs in ("乙镇专属复印", "乙镇独有事项", "乙镇的逾期原因", "beta便民服务中心", "/items/beta/"):
        assert theirs not in alpha_html, theirs
    beta_html = get("/units/beta/").content.decode()
    for theirs in ("alpha便民服务中心", "/items/alpha/", "80.0%"):
        assert theirs not in beta_html, theirs
    assert "乙镇专属复印" in beta_html and "乙镇独有事项" in beta_html and "乙镇的逾期原因" in beta_html


def test_tiny_cells_show_no_rate(figures):
    beta_html = get("/units/beta/").content.decode()
    assert 'id="fig-rate">—<' in beta_html and 'id="fig-ratings">3<' in beta_html and "100.0%" not in beta_html
    assert 'id="fig-rank">—<' in beta_html
    month = f"{figures.year}-{figures.month:02d}"
    report = get(f"/reports/{month}/").content.decode()
    assert "评价数不足" in report and "100.0%" not in report and 'id="report-ratings">53<' in report
    widget = get("/widget/beta.html").content.decode()
    assert 'id="widget-rate">—<' in widget
    rows = {r["slug"]: r for r in json.loads(get(f"/open-data/units.json?month={month}").content)["rows"]}
    assert rows["beta"]["satisfactionRate"] is None and rows["beta"]["ratings"] == 3
    assert rows["alpha"]["satisfactionRate"] == 0.8 and rows["alpha"]["ratings"] == 50 and rows["alpha"]["excluded"] == 2


def test_open_data_units_csv(figures):
    response = get("/open-data/units.csv")
    text = response.content.decode("utf-8")
    assert response["Content-Type"].startswith("text/csv") and text.startswith("\ufeff")
    rows = {r[0]: r for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))}
    assert rows["单位代码"][5] == "评价数"
    assert rows["alpha"][5:8] == ["50", "2", "0.8000"] and rows["beta"][5:8] == ["3", "0", ""]
    assert get("/open-data/units.xml").status_code == 404


def test_personal_data_in_an_overdue_reason_or_feedback_never_reaches_the_portal(figures, alpha):
    from haochaping.evaluations.cases import record_overdue_reason
    from haochaping.evaluations.models import ServiceCase
    from haochaping.items.models import ServiceItem

    now = timezone.now()
    with schema_context("alpha"):
        case = ServiceCase.objects.create(
            case_number="ALPHA-LATE-0002", item=ServiceItem.objects.get(catalog_item__code="TEST-001"),
            accepting_unit=alpha, handling_unit=alpha, applicant_kind="INDIVIDUAL", applicant_name="王小明",
            status="COMPLETED", accepted_at=now - timedelta(days=9), promised_at=now - timedelta(days=2),
            completed_at=now - timedelta(days=1), is_overdue=True)
        record_overdue_reason(case=case, reason=f"等待申请人李女士补件（{PHONE}，身份证号{ID_NUMBER}）")
    # A handler's feedback is for the receipt holder only: the unit page never shows it.
    PublishedRectification.objects.create(tenant=alpha, rectification_id=992, source="BAD_REVIEW", item_name="测试事项1",
                                          state="CLOSED", outcome="FIXED_NOW", feedback=f"已电话联系{PHONE}",
                                          opened_at=now, due=now + timedelta(days=5), closed_at=now)
    for english in (False, True):
        html = get("/units/alpha/", english=english).content.decode()
        assert "补件" in html and "[电话]" in html and "ALPH*********02" in html
        for secret in (PHONE, ID_NUMBER, "李女士", "王小明", "ALPHA-LATE-0002"):
            assert secret not in html, secret
    assert "[电话]" in get("/units/alpha/").content.decode()


def test_only_the_widget_may_be_framed(figures):
    widget = get("/widget/alpha.html")
    assert widget.status_code == 200 and "X-Frame-Options" not in widget.headers
    html = widget.content.decode()
    assert 'id="widget-rate">80.0%<' in html and "50" in html and "<html" in html and "site.css" not in html
    for path in ("/units/alpha/", "/items/", "/reports/", "/", "/open-data/units.json"):
        assert get(path).headers.get("X-Frame-Options") == "DENY", path


def test_widget_speaks_english_on_request(figures):
    html = get("/widget/alpha.html?lang=en").content.decode()
    assert 'lang="en"' in html and "ratings" in html


def test_guide_page_and_cross_tenant_search(figures):
    html = get("/items/?q=测试事项1").content.decode()
    assert "/items/alpha/TEST-001/" in html and "/items/beta/TEST-001/" in html and "测试事项2" not in html
    guide = get("/items/beta/TEST-001/").content.decode()
    assert "便民服务中心" in guide and "身份证" in guide and "承诺件" in guide and "乙镇" in guide
    en = get("/items/beta/TEST-001/", english=True).content.decode()
    assert "Promised" in en and "At a window" in en
    assert get("/items/beta/NOPE/").status_code == 404


def test_unknown_units_and_months_are_404(figures):
    for path in ("/units/public/", "/units/nobody/", "/widget/nobody.html", "/reports/2026-13/", "/reports/x/"):
        assert get(path).status_code == 404, path


def test_portal_pages_are_not_served_on_a_tenant_host(figures):
    for path in ("/units/alpha/", "/reports/", "/widget/alpha.html", "/open-data/units.json"):
        assert get(path, host="alpha.localhost").status_code == 404, path


def test_portal_home_links_every_unit_page(figures):
    html = get("/").content.decode()
    assert 'href="/units/alpha/"' in html and 'href="/units/beta/"' in html
    assert 'href="/items/"' in html and 'href="/reports/"' in html
