"""Exports for a tenant's admins: masked evaluations and exchange records as CSV and XLSX; nobody else."""
from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from boards.conftest import rate
from haochaping.accounts.models import User

pytestmark = pytest.mark.django_db
ALPHA = "alpha.localhost"


def signed_in(username: str) -> Client:
    client = Client()
    with schema_context("alpha"):
        client.force_login(User.objects.get(username=username))
    connection.set_schema_to_public()
    return client


def test_agency_downloads_masked_csv_and_xlsx(alpha):
    with schema_context("alpha"):
        rate("alpha", 1, comment="工作人员态度差，我电话13812345678")
    connection.set_schema_to_public()
    client = signed_in("agency")
    page = client.get("/exports/", HTTP_HOST=ALPHA)
    assert page.status_code == 200 and "GB/T 39046" in page.content.decode()
    csv_response = client.get("/exports/evaluations.csv", HTTP_HOST=ALPHA)
    text = csv_response.content.decode("utf-8")
    assert csv_response.status_code == 200 and text.startswith("\ufeff")
    assert "13812345678" not in text and "[电话]" in text
    xlsx = client.get("/exports/evaluations.xlsx", HTTP_HOST=ALPHA)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any("[电话]" in v for v in values) and not any("13812345678" in v for v in values)
    national = client.get("/exports/national.csv?start=2026-01-01&end=2026-12-31", HTTP_HOST=ALPHA)
    assert national.status_code == 200 and "办件编号" in national.content.decode("utf-8")


def test_other_roles_and_bad_formats_are_refused(alpha):
    assert signed_in("viewer").get("/exports/evaluations.csv", HTTP_HOST=ALPHA).status_code == 403
    assert Client().get("/exports/evaluations.csv", HTTP_HOST=ALPHA).status_code == 302
    bad = signed_in("tenant_admin").get("/exports/evaluations.pdf", HTTP_HOST=ALPHA)
    assert bad.status_code == 400 and "CSV" in bad.content.decode()
    unknown = signed_in("tenant_admin").get("/exports/nowhere.csv", HTTP_HOST=ALPHA)
    assert unknown.status_code == 400


def test_performance_export_lists_the_rated_window(alpha):
    from haochaping.analytics.fold import fold_batch

    with schema_context("alpha"):
        rate("alpha", 5)
        rate("alpha", 2)
        fold_batch()
    connection.set_schema_to_public()
    text = signed_in("tenant_admin").get("/exports/performance.csv", HTTP_HOST=ALPHA).content.decode("utf-8")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("类型,编码,名称,计入统计评价数,好评率")
    assert any(line.startswith("窗口,H01/W01,") and ",2,0.5," in line for line in lines)
    assert lines[-1].startswith("单位合计,alpha,甲镇,2,")
