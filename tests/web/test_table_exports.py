"""Every table view offers its table as CSV and XLSX (?format=csv|xlsx, &table=<key> when the page has several):
the same rows as the page, with its filters, its permissions, its masking, and only the current tenant's data."""
from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.analytics.models import TenantCount
from haochaping.disclosure.models import (PublishedFee, PublishedImprovement, PublishedOverdueReason,
                                          PublishedRectification)
from haochaping.organizations.models import ServiceOrg, Window
from haochaping.rectification.models import Rectification
from haochaping.supervision.models import Circular, SupervisionInstruction
from tenants.models import Tenant

from conftest import PASSWORD, public_count

pytestmark = pytest.mark.django_db
PUBLIC, ALPHA, BETA = "localhost", "alpha.localhost", "beta.localhost"
S, O = Rectification.State, Rectification.Outcome
RATER_NAME, RATER_PHONE, COMMENT = "王小明", "13800138000", "等候时间太长"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TODAY = timezone.localdate()


# --- helpers ----------------------------------------------------------------------------------------------------


def tenant_client(username: str | None, slug: str = "alpha") -> Client:
    client = Client()
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    return client


def county_client(username: str = "county_admin") -> Client:
    client = Client()
    connection.set_schema_to_public()
    client.force_login(User.objects.get(username=username))
    return client


def with_format(path: str, fmt: str, table: str = "") -> str:
    query = f"format={fmt}" + (f"&table={table}" if table else "")
    return f"{path}{'&' if '?' in path else '?'}{query}"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == XLSX_TYPE
    assert ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def both(client: Client, path: str, host: str, table: str = "") -> tuple[list[list[str]], list[list]]:
    """The table as CSV and as XLSX; they must hold the same rows (XLSX keeps numbers as numbers)."""
    as_csv = read_csv(client.get(with_format(path, "csv", table), HTTP_HOST=host))
    as_xlsx = read_xlsx(client.get(with_format(path, "xlsx", table), HTTP_HOST=host))
    assert len(as_csv) == len(as_xlsx)
    for text_row, cell_row in zip(as_csv, as_xlsx):
        assert len(text_row) == len(cell_row)
        for text, cell in zip(text_row, cell_row):
            if isinstance(cell, (int, float)):
                assert float(text) == cell  # openpyxl reads 1.0 back as 1
            else:
                assert text == cell
    return as_csv, as_xlsx


def flat(rows) -> str:
    return "\n".join(",".join(str(v) for v in row) for row in rows)


def rectification(slug: str = "alpha", **values) -> Rectification:
    """A rectification straight into `slug`'s schema, with rater data the exports must not show."""
    now = timezone.now()
    with schema_context(slug):
        tenant = Tenant.objects.get(schema_name=slug)
        fields = dict(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=secrets.randbelow(10**9) + 1,
                      grade=1, channel="QR_CODE", rated_at=now - timedelta(days=10),
                      follow_up_due=now - timedelta(days=9), due=now + timedelta(days=5),
                      case_number=f"EXP-{secrets.token_hex(3).upper()}", item_name="测试事项1",
                      rater_name=RATER_NAME, rater_phone=RATER_PHONE, comment=COMMENT, is_real_name=True)
        fields.update(values)
        r = Rectification.objects.create(**fields)
    connection.set_schema_to_public()
    return r


# --- the shared helper -------------------------------------------------------------------------------------------


def test_bad_format_and_unknown_table_are_400_in_both_languages():
    client = tenant_client("viewer")
    bad = client.get("/rectifications/?format=pdf", HTTP_HOST=ALPHA)
    assert bad.status_code == 400 and bad.content.decode() == "导出格式须为CSV或XLSX / Export format must be CSV or XLSX"
    empty = client.get("/rectifications/?format=", HTTP_HOST=ALPHA)
    assert empty.status_code == 400
    unknown = client.get("/dashboard/?format=csv&table=nosuch", HTTP_HOST=ALPHA)
    assert unknown.status_code == 400 and unknown.content.decode() == "该页面没有这个表格 / This page has no such table"
    assert Client().get("/rankings/?format=docx", HTTP_HOST=PUBLIC).status_code == 400


def test_file_names_are_ascii_with_an_rfc5987_chinese_name():
    response = tenant_client("viewer").get("/rectifications/?format=xlsx", HTTP_HOST=ALPHA)
    disposition = response["Content-Disposition"]
    stamp = TODAY.strftime("%Y%m%d")
    assert disposition.startswith(f'attachment; filename="alpha-rectifications-ledger-{stamp}.xlsx"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"差评整改台账-{stamp}.xlsx"
    disposition.encode("ascii")  # the header itself is pure ASCII


def test_page_links_keep_the_filters():
    html = tenant_client("viewer").get("/rectifications/?state=OPEN&overdue=1", HTTP_HOST=ALPHA).content.decode()
    assert 'href="?state=OPEN&amp;overdue=1&amp;table=ledger&amp;format=csv">导出 CSV</a>' in html
    assert 'href="?state=OPEN&amp;overdue=1&amp;table=ledger&amp;format=xlsx">导出 XLSX</a>' in html
    english = tenant_client("viewer")
    english.cookies["django_language"] = "en"
    assert ">Download XLSX</a>" in english.get("/rectifications/", HTTP_HOST=ALPHA).content.decode()


def test_formula_looking_cells_are_neutralised():
    rectification(item_name="=HYPERLINK(\"http://x\")", case_number="+EVIL")
    rows, sheet = both(tenant_client("viewer"), "/rectifications/", ALPHA)
    assert ["'+EVIL", "'=HYPERLINK(\"http://x\")"] == rows[1][:2]
    assert sheet[1][1] == "'=HYPERLINK(\"http://x\")"


# --- tenant host ------------------------------------------------------------------------------------------------


def test_tenant_item_list(alpha, beta):
    from haochaping.items.services import adopt_item

    from conftest import guide_input

    with schema_context("beta"):
        adopt_item(catalog_code="TEST-003", guide=guide_input())  # beta's alone
    connection.set_schema_to_public()
    client = Client()  # the item list is public on the tenant's host, and so is its download
    rows, sheet = both(client, "/items/", ALPHA)
    assert rows[0] == ["事项编码", "事项名称", "事项类型", "办件类型", "承诺时限（工作日）"]
    assert rows[1][:2] == ["TEST-001", "测试事项1"] and rows[1][3:] == ["承诺件", "5"] and sheet[1][4] == 5
    assert rows[2][:2] == ["TEST-002", "测试事项2"] and rows[2][3:] == ["即办件", ""]
    assert "TEST-003" not in flat(rows)
    assert "TEST-003" in flat(read_csv(client.get("/items/?format=csv", HTTP_HOST=BETA)))
    filtered, _ = both(client, "/items/?q=TEST-002", ALPHA)
    assert [r[0] for r in filtered[1:]] == ["TEST-002"]


def test_tenant_home_windows(alpha, beta):
    rows, _ = both(Client(), "/", ALPHA)
    assert rows[0] == ["服务机构", "机构类型", "窗口", "名称", "综合窗口"]
    assert rows[1:] == [["alpha便民服务中心", "政务服务中心", "W01", "alpha综合窗口", "否"]]
    assert "beta" not in flat(rows)


def test_rectification_ledger_filters_masks_and_isolates(alpha, beta):
    now = timezone.now()
    late = rectification(state=S.VERIFYING, due=now - timedelta(days=1))
    fine = rectification(state=S.OPEN, due=now + timedelta(days=3), escalated_at=now - timedelta(hours=2))
    other = rectification("beta", state=S.OPEN)
    client = tenant_client("viewer")
    rows, sheet = both(client, "/rectifications/", ALPHA)
    assert rows[0][:3] == ["办件编号", "事项", "等级"] and len(rows) == 3
    by_case = {r[0]: r for r in rows[1:]}
    assert set(by_case) == {late.case_number, fine.case_number}
    assert by_case[late.case_number][7:9] == ["是", "核实中"] and by_case[fine.case_number][7:9] == ["否", "待回访核实"]
    assert by_case[fine.case_number][10] == timezone.localtime(fine.escalated_at).strftime("%Y-%m-%d %H:%M")
    assert by_case[late.case_number][2] == "1" and 1 in [row[2] for row in sheet[1:]]
    text = flat(rows) + flat(sheet)
    assert RATER_NAME not in text and RATER_PHONE not in text and COMMENT not in text
    assert other.case_number not in text
    # The page's filters apply to the download.
    assert [r[0] for r in both(client, "/rectifications/?state=OPEN", ALPHA)[0][1:]] == [fine.case_number]
    assert [r[0] for r in both(client, "/rectifications/?overdue=1", ALPHA)[0][1:]] == [late.case_number]
    assert len(both(client, "/rectifications/?mine=1", ALPHA)[0]) == 1  # header only: viewer handles none
    # The page's refusals apply to the download.
    assert tenant_client("staff").get("/rectifications/?format=csv", HTTP_HOST=ALPHA).status_code == 403
    anonymous = Client().get("/rectifications/?format=csv", HTTP_HOST=ALPHA)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_tenant_dashboard_tables(alpha, beta):
    with schema_context("alpha"):
        w1 = Window.objects.get(code="W01")
        w2 = Window.objects.create(org=ServiceOrg.objects.get(code="H01"), code="W02", name="二号窗口")
        TenantCount.objects.create(day=TODAY, org=w1.org, window=w1, channel="QR_CODE", grade=5, n=3)
        TenantCount.objects.create(day=TODAY, org=w1.org, window=w1, channel="WEB", grade=1, n=1)
        TenantCount.objects.create(day=TODAY, org=w2.org, window=w2, channel="QR_CODE", grade=4, n=6)
        w1_pk = w1.pk
    with schema_context("beta"):
        TenantCount.objects.create(day=TODAY, channel="HOTLINE", grade=1, n=50)
    connection.set_schema_to_public()
    client = tenant_client("viewer")
    channels, sheet = both(client, "/dashboard/", ALPHA)  # the first table by default
    assert channels[0] == ["渠道", "评价数", "好评率"]
    assert sorted(channels[1:]) == [["网上评价", "1", "0.0"], ["评价二维码", "9", "1.0"]]
    assert {row[0]: row[1] for row in sheet[1:]}["评价二维码"] == 9  # a number in XLSX
    assert "热线评价" not in flat(channels)  # beta's hotline ratings
    units, _ = both(client, "/dashboard/", ALPHA, table="units")
    assert units[0] == ["名称", "评价数", "差评", "好评率"]
    assert units[1:] == [["alpha便民服务中心 二号窗口", "6", "0", "1.0"], ["alpha便民服务中心 alpha综合窗口", "4", "1", "0.75"]]
    only_w1, _ = both(client, f"/dashboard/?window={w1_pk}", ALPHA, table="units")
    assert only_w1[1:] == [["alpha便民服务中心 alpha综合窗口", "4", "1", "0.75"]]
    topics, _ = both(client, "/dashboard/", ALPHA, table="topics")
    assert topics[0] == ["问题", "条数"]
    assert tenant_client("staff").get("/dashboard/?format=csv", HTTP_HOST=ALPHA).status_code == 403


# --- county supervision (public host) ---------------------------------------------------------------------------


def test_county_dashboard_tables(alpha, beta):
    public_count(alpha, TODAY, channel="QR_CODE", grade=5, n=4)
    public_count(beta, TODAY, channel="QR_CODE", grade=1, n=6)
    client = county_client("county_supervisor")
    units, sheet = both(client, "/supervision/dashboard/", PUBLIC, table="units")
    assert units[1:] == [["乙镇", "6", "6", "0.0"], ["甲镇", "4", "0", "1.0"]] and sheet[1][1] == 6
    only_alpha, _ = both(client, f"/supervision/dashboard/?unit={alpha.pk}", PUBLIC, table="units")
    assert only_alpha[1:] == [["甲镇", "4", "0", "1.0"]]
    assert client.get("/supervision/dashboard/?format=csv&table=topics", HTTP_HOST=PUBLIC).status_code == 400
    assert Client().get("/supervision/dashboard/?format=csv", HTTP_HOST=PUBLIC).status_code == 302


def test_supervision_overview_tables(alpha, beta):
    now = timezone.now()
    rectification(state=S.CLOSED, outcome=O.FIXED_NOW, followed_up_at=now - timedelta(days=8),
                  closed_at=now - timedelta(days=1), due=now + timedelta(days=1))
    late = rectification(state=S.VERIFYING, due=now - timedelta(days=2), escalated_at=now - timedelta(days=1))
    rectification(state=S.CLOSED, outcome=O.REJECTED_MALICIOUS, rejection_kind=O.REJECTED_MALICIOUS,
                  rejection_reason="同一号码一日内差评二十次", closed_at=now, is_real_name=False)
    Circular.objects.create(title="关于窗口纪律的通报", body="请各单位自查", issued_by="county_admin")
    client = county_client()
    overview, sheet = both(client, "/supervision/", PUBLIC)
    assert overview[0][:8] == ["单位", "类型", "未办结", "已超期", "升级督办", "已办结", "按期办结率", "实名差评回访整改率"]
    alpha_row = next(r for r in overview[1:] if r[0] == "甲镇")
    assert alpha_row[2:11] == ["1", "1", "1", "2", "1.0", "0.5", "1", "2", "是"]
    assert alpha_row[11] == "1" and "同一号码一日内差评二十次" in alpha_row[12] and "恶意差评" in alpha_row[12]
    beta_row = next(r for r in overview[1:] if r[0] == "乙镇")
    assert beta_row[2] == "0" and beta_row[7] == ""  # no real-name bad reviews: no rate, like the page's "—"
    assert next(r for r in sheet[1:] if r[0] == "甲镇")[6] == 1.0
    escalations, _ = both(client, "/supervision/", PUBLIC, table="escalations")
    assert [r[:3] for r in escalations[1:]] == [["甲镇", str(late.pk), late.case_number]]
    circulars, _ = both(client, "/supervision/", PUBLIC, table="circulars")
    assert circulars[1][1:4] == ["关于窗口纪律的通报", "请各单位自查", "全部单位"]
    rejections, _ = both(client, "/supervision/", PUBLIC, table="rejections")
    assert rejections[0] == ["单位", "整改编号", "办件编号", "事项", "类型", "理由"]
    text = flat(overview) + flat(escalations)
    assert RATER_NAME not in text and RATER_PHONE not in text and COMMENT not in text


def test_supervision_refusals_match_the_page():
    user = User(username="plain_public_export", role=Role.VIEWER)
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    client.force_login(user)
    for path in ("/supervision/?format=csv", "/supervision/alpha/?format=xlsx", "/supervision/dashboard/?format=csv"):
        assert client.get(path, HTTP_HOST=PUBLIC).status_code == 403, path
        assert Client().get(path, HTTP_HOST=PUBLIC).status_code == 302, path
    assert county_client().get("/supervision/nosuch/?format=csv", HTTP_HOST=PUBLIC).status_code == 404


def test_supervision_tenant_ledger_and_instructions(alpha, beta):
    now = timezone.now()
    late = rectification(state=S.VERIFYING, due=now - timedelta(days=1))
    closed = rectification(state=S.CLOSED, outcome=O.EXPLAINED, closed_at=now - timedelta(hours=1), reopened_count=1)
    other = rectification("beta", state=S.OPEN)
    SupervisionInstruction.objects.create(tenant=alpha, rectification_id=late.pk, text="请三日内办结",
                                          issued_by="county_admin")
    client = county_client()
    rows, sheet = both(client, "/supervision/alpha/", PUBLIC)
    assert rows[0][:5] == ["整改编号", "办件编号", "事项", "等级", "实名"]
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {str(late.pk), str(closed.pk)}
    assert by_id[str(late.pk)][9:11] == ["是", "核实中"]
    assert by_id[str(closed.pk)][10:12] == ["已办结", "解释说明"] and by_id[str(closed.pk)][14] == "1"
    assert isinstance(sheet[1][0], int)
    text = flat(rows)
    assert RATER_NAME not in text and RATER_PHONE not in text and COMMENT not in text and other.case_number not in text
    instructions, _ = both(client, "/supervision/alpha/", PUBLIC, table="instructions")
    assert instructions[1][1:4] == [str(late.pk), "请三日内办结", "county_admin"] and instructions[1][4] == ""
    beta_rows, _ = both(client, "/supervision/beta/", PUBLIC)
    assert [r[1] for r in beta_rows[1:]] == [other.case_number]
    assert len(both(client, "/supervision/beta/", PUBLIC, table="instructions")[0]) == 1


# --- public portal ----------------------------------------------------------------------------------------------


@pytest.fixture
def figures(alpha, beta):
    """This month: alpha 40 good + 10 bad (+2 excluded), beta 3 good (a tiny cell: no rate anywhere)."""
    for tenant, grade, n, excluded in ((alpha, 5, 40, False), (alpha, 1, 10, False), (alpha, 2, 2, True),
                                       (beta, 5, 3, False)):
        public_count(tenant, TODAY, item_code="TEST-001", org_code="H01", window_code="W01", grade=grade, n=n,
                     excluded=excluded)
    return f"{TODAY.year}-{TODAY.month:02d}"


def test_rankings_page_tables_and_open_data_xlsx(figures):
    client = Client()
    competition, sheet = both(client, f"/rankings/?month={figures}", PUBLIC)
    assert competition[0] == ["名次", "单位", "评价数", "好评率", "上月名次", "名次变化"]
    assert competition[1][:4] == ["1", "甲镇", "50", "0.8"] and sheet[1][3] == 0.8
    assert competition[2][:4] == ["", "乙镇", "3", ""]  # too few ratings: no rank, no rate, like the page
    items, _ = both(client, f"/rankings/?month={figures}", PUBLIC, table="items")
    assert items[0] == ["名次", "事项", "单位", "评价数", "好评率"] and ["甲镇", "50", "0.8"] == items[1][2:]
    windows, _ = both(client, f"/rankings/?month={figures}", PUBLIC, table="windows")
    assert windows[1][2:] == ["甲镇", "50", "0.8"]
    opened = read_xlsx(client.get(f"/open-data/rankings.xlsx?month={figures}", HTTP_HOST=PUBLIC))
    assert opened[0][:4] == ["排名", "名称", "所属单位", "评价数"] and opened[1][1] == "甲镇" and opened[1][5] == 0.8
    assert read_csv(client.get(f"/open-data/rankings.csv?month={figures}", HTTP_HOST=PUBLIC))[1][5] == "0.8000"
    assert client.get("/open-data/rankings.pdf", HTTP_HOST=PUBLIC).status_code == 404
    html = client.get(f"/rankings/?month={figures}", HTTP_HOST=PUBLIC).content.decode()
    assert f"/open-data/rankings.xlsx?month={figures}" in html and "table=windows&amp;format=xlsx" in html


def test_portal_item_search(alpha, beta):
    client = Client()
    rows, _ = both(client, "/items/", PUBLIC)
    assert rows[0] == ["事项", "编码", "单位", "办件类型", "承诺时限（工作日）"]
    assert ["测试事项1", "TEST-001", "甲镇", "承诺件", "5"] in rows and ["测试事项1", "TEST-001", "乙镇", "承诺件", "5"] in rows
    filtered, _ = both(client, "/items/?q=甲镇", PUBLIC)
    assert {r[2] for r in filtered[1:]} == {"甲镇"}


def test_unit_page_tables_are_the_units_own(figures, alpha, beta):
    now = timezone.now()
    PublishedFee.objects.create(tenant=beta, org_code="H02", org_name="乙镇分中心", service_name="乙镇专属复印",
                                is_free=False, fee="1元/页")
    PublishedFee.objects.create(tenant=alpha, org_code="H01", org_name="甲镇中心", service_name="复印", is_free=True)
    PublishedRectification.objects.create(tenant=beta, rectification_id=991, source="BAD_REVIEW",
                                          item_name="乙镇独有事项", state="OPEN", opened_at=now, due=now + timedelta(days=5),
                                          feedback="只给回执持有人看的反馈")
    PublishedOverdueReason.objects.create(tenant=beta, case_id=77, case_number_masked="BETA****01",
                                          item_name="测试事项2", reason="乙镇的逾期原因", completed_at=now)
    PublishedImprovement.objects.create(tenant=alpha, case_id=5, subject_name="alpha综合窗口", topic="WAITING",
                                        review_count=4, opened_at=now - timedelta(days=9), closed_at=now,
                                        on_time=True, outcome="增设取号机")
    client = Client()
    months, sheet = both(client, "/units/alpha/", PUBLIC)
    assert months[0] == ["月份", "评价数", "好评率", "不予采纳"]
    assert months[1] == [figures, "50", "0.8", "2"] and sheet[1][1] == 50 and months[-1][0] == "合计"
    assert len(months) == 12 + 2
    beta_months, _ = both(client, "/units/beta/", PUBLIC)
    assert beta_months[1] == [figures, "3", "", "0"]  # a tiny cell shows no rate
    fees, _ = both(client, "/units/alpha/", PUBLIC, table="fees")
    assert fees[1:] == [["甲镇中心", "复印", "免费", ""], ["alpha便民服务中心", "文印", "0.5元/页", ""]]
    improvements, _ = both(client, "/units/alpha/", PUBLIC, table="improvements")
    assert improvements[1][0] == "alpha综合窗口" and improvements[1][2:4] == ["4", "增设取号机"]
    alpha_text = "".join(flat(both(client, "/units/alpha/", PUBLIC, table=t)[0])
                         for t in ("rectifications", "overdue", "fees"))
    assert "乙镇" not in alpha_text and "BETA" not in alpha_text
    beta_rects, _ = both(client, "/units/beta/", PUBLIC, table="rectifications")
    assert beta_rects[1][1:5] == ["差评", "乙镇独有事项", "待回访核实", ""] and "只给回执持有人看的反馈" not in flat(beta_rects)
    overdue, _ = both(client, "/units/beta/", PUBLIC, table="overdue")
    assert overdue[1][0] == "BETA****01" and overdue[1][4] == "乙镇的逾期原因"


def test_monthly_report_tables(figures):
    client = Client()
    path = f"/reports/{figures}/"
    competition, _ = both(client, path, PUBLIC)
    assert competition[1][:4] == ["1", "甲镇", "50", "0.8"] and competition[2][:4] == ["", "乙镇", "3", ""]
    channels, sheet = both(client, path, PUBLIC, table="channels")
    assert channels[1:] == [["评价二维码", "53", "0.8113"]] and sheet[1][1] == 53
    rects, _ = both(client, path, PUBLIC, table="rectifications")
    assert [r[0] for r in rects[1:]] == ["本月收到", "本月办结"]
    units = read_xlsx(client.get(f"/open-data/units.xlsx?month={figures}", HTTP_HOST=PUBLIC))
    assert {r[0]: r[5:8] for r in units[1:]}["alpha"] == [50, 2, 0.8]
    html = client.get(path, HTTP_HOST=PUBLIC).content.decode()
    assert f"/open-data/units.xlsx?month={figures}" in html and "table=channels&amp;format=csv" in html


def test_portal_home_tables(alpha, beta):
    rows, _ = both(Client(), "/", PUBLIC, table="units")
    assert rows[0][:4] == ["类型", "名称", "代码", "主页"]
    assert {r[1] for r in rows[1:]} >= {"甲镇", "乙镇"}
    assert read_csv(Client().get("/?format=csv", HTTP_HOST=PUBLIC))[0][0] == "单位"  # improvements first
