"""The portal's rankings page and open-data feed (public host, anonymous)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.test import Client

from tenants.models import Tenant
from conftest import public_count

pytestmark = pytest.mark.django_db
PORTAL = "localhost"


@pytest.fixture
def november(alpha, beta):
    for slug, good, bad in (("alpha", 40, 10), ("beta", 3, 0)):
        tenant = Tenant.objects.get(schema_name=slug)
        public_count(tenant, date(2026, 11, 3), item_code="TEST-001", org_code="H01", window_code="W01", grade=5,
                     n=good)
        if bad:
            public_count(tenant, date(2026, 11, 3), item_code="TEST-001", org_code="H01", window_code="W01", grade=2,
                         n=bad)


def test_rankings_page_shows_scores_counts_and_unscored_units(november):
    response = Client().get("/rankings/?month=2026-11", HTTP_HOST=PORTAL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "月度竞赛榜" in html and "80.0%" in html and "评价数不足" in html
    assert html.index("甲镇") < html.index("乙镇")  # 40 of 50 outranks 3 of 3
    assert "测试事项1" in html or "TEST-001" in html


def test_open_data_json_and_csv(november):
    body = json.loads(Client().get("/open-data/rankings.json?month=2026-11", HTTP_HOST=PORTAL).content)
    assert body["month"] == "2026-11" and body["level"] == "tenant"
    assert [(r["name"], r["rank"], r["ratings"]) for r in body["rows"]] == [("甲镇", 1, 50), ("乙镇", None, 3)]
    response = Client().get("/open-data/rankings.csv?month=2026-11&level=window", HTTP_HOST=PORTAL)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["排名", "名称", "所属单位", "评价数"] and rows[1][3] == "50" and rows[1][5] == "0.8000"


def test_open_data_bodies_are_cached_per_level_month_and_format(november):
    """The feed's bodies are kept for a minute; each level, month and format has its own."""
    client = Client()
    tenants = json.loads(client.get("/open-data/rankings.json?month=2026-11", HTTP_HOST=PORTAL).content)
    windows = json.loads(client.get("/open-data/rankings.json?month=2026-11&level=window", HTTP_HOST=PORTAL).content)
    october = json.loads(client.get("/open-data/rankings.json?month=2026-10", HTTP_HOST=PORTAL).content)
    csv_text = client.get("/open-data/rankings.csv?month=2026-11", HTTP_HOST=PORTAL).content.decode("utf-8")
    assert tenants["level"] == "tenant" and windows["level"] == "window" and october["rows"] == []
    assert windows["rows"][0]["name"].endswith("W01") and csv_text.startswith("\ufeff")
    public_count(Tenant.objects.get(schema_name="beta"), date(2026, 11, 4), grade=5, n=100)
    again = json.loads(client.get("/open-data/rankings.json?month=2026-11", HTTP_HOST=PORTAL).content)
    assert again == tenants  # within the minute: the same body
    from django.core.cache import cache

    cache.clear()
    fresh = json.loads(client.get("/open-data/rankings.json?month=2026-11", HTTP_HOST=PORTAL).content)
    assert fresh["rows"][0]["name"] == "乙镇" and fresh["rows"][0]["ratings"] == 103


def test_open_data_refuses_an_unknown_level(november):
    response = Client().get("/open-data/rankings.json?level=staff", HTTP_HOST=PORTAL)
    assert response.status_code == 400 and json.loads(response.content)["error"]["code"] == "INVALID_LEVEL"


def test_rankings_are_not_served_on_a_tenant_host(november):
    assert Client().get("/rankings/", HTTP_HOST="alpha.localhost").status_code == 404


def test_portal_home_shows_published_improvements(alpha):
    from django.utils import timezone

    from haochaping.disclosure.models import PublishedImprovement

    now = timezone.now()
    PublishedImprovement.objects.create(tenant=Tenant.objects.get(schema_name="alpha"), case_id=1,
                                        subject_name="甲镇综合窗口", topic="waiting", review_count=4, opened_at=now,
                                        closed_at=now, on_time=True, outcome="增开两个窗口，高峰期预约分流")
    html = Client().get("/", HTTP_HOST=PORTAL).content.decode()
    assert "集中问题整改公开" in html and "增开两个窗口" in html and "甲镇综合窗口" in html
