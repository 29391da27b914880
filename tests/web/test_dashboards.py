"""Dashboards: a tenant's own (filterable by period, window, item, channel) and the county's (by unit, channel)."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.analytics.models import TenantCount
from haochaping.organizations.models import ServiceOrg, Window
from tenants.models import Tenant
from conftest import public_count

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def signed_in(slug: str, username: str) -> Client:
    client = Client()
    with schema_context(slug):
        client.force_login(User.objects.get(username=username))
    connection.set_schema_to_public()
    return client


def figure(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', html).group(1)


def test_tenant_dashboard_filters_by_window_and_channel(alpha, beta):
    with schema_context("alpha"):
        w1 = Window.objects.get(code="W01")
        w2 = Window.objects.create(org=ServiceOrg.objects.get(code="H01"), code="W02", name="二号窗口")
        TenantCount.objects.create(day=TODAY, org=w1.org, window=w1, channel="QR_CODE", grade=5, n=3)
        TenantCount.objects.create(day=TODAY, org=w1.org, window=w1, channel="WEB", grade=1, n=1)
        TenantCount.objects.create(day=TODAY, org=w2.org, window=w2, channel="QR_CODE", grade=4, n=6)
        w1_pk = w1.pk
    with schema_context("beta"):
        TenantCount.objects.create(day=TODAY, channel="QR_CODE", grade=1, n=50)
    connection.set_schema_to_public()
    client = signed_in("alpha", "viewer")
    html = client.get("/dashboard/", HTTP_HOST="alpha.localhost").content.decode()
    assert figure(html, "dash-counted") == "10" and figure(html, "dash-rate") == "90.0%"  # beta's 50 are not here
    assert "<svg" in html and "二号窗口" in html
    only_w1 = client.get(f"/dashboard/?window={w1_pk}", HTTP_HOST="alpha.localhost").content.decode()
    assert figure(only_w1, "dash-counted") == "4" and figure(only_w1, "dash-rate") == "75.0%"
    web_only = client.get("/dashboard/?channel=WEB", HTTP_HOST="alpha.localhost").content.decode()
    assert figure(web_only, "dash-counted") == "1"
    assert signed_in("alpha", "staff").get("/dashboard/", HTTP_HOST="alpha.localhost").status_code == 403


def test_county_dashboard_for_county_users_only(alpha, beta):
    for slug, n in (("alpha", 4), ("beta", 6)):
        public_count(Tenant.objects.get(schema_name=slug), TODAY, channel="QR_CODE", grade=5, n=n)
    client = Client()
    client.force_login(User.objects.get(username="county_supervisor"))
    html = client.get("/supervision/dashboard/", HTTP_HOST="localhost").content.decode()
    assert figure(html, "dash-counted") == "10" and "甲镇" in html and "乙镇" in html
    unit = Tenant.objects.get(schema_name="beta").pk
    assert figure(client.get(f"/supervision/dashboard/?unit={unit}", HTTP_HOST="localhost").content.decode(),
                  "dash-counted") == "6"
    assert Client().get("/supervision/dashboard/", HTTP_HOST="localhost").status_code in (302, 403)
