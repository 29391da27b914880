"""The board pages over HTTP (Django's test client; the live page itself is in tests/browser/test_board_browser.py)
and the tenant admin's board list."""
from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.boards import services
from haochaping.boards.models import HallBoard
from haochaping.organizations.models import ServiceOrg

pytestmark = pytest.mark.django_db
ALPHA, BETA = "alpha.localhost", "beta.localhost"


def board_token(slug: str) -> str:
    with schema_context(slug):
        value = services.board_token(ServiceOrg.objects.get(code="H01"))
    connection.set_schema_to_public()
    return value


def signed_in(slug: str, username: str) -> Client:
    client = Client()
    with schema_context(slug):
        user = User.objects.get(username=username)
        user.is_staff = True
        user.save()
        client.force_login(user)
    connection.set_schema_to_public()
    return client


def page_config(response) -> dict:
    match = re.search(r'<script id="board-config" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(match.group(1))


def test_board_page_opens_with_its_link_in_chinese(alpha):
    token = board_token("alpha")
    response = Client().get(f"/board/H01/?t={token}", HTTP_HOST=ALPHA)
    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha便民服务中心" in html and "好评率" in html and 'lang="zh-hans"' in html
    config = page_config(response)
    assert config["wsPath"] == f"/ws/board/H01/?t={token}" and config["manage"] is False
    assert config["strings"]["reconnecting"] == "连接中断，正在重新连接…"


def test_board_page_speaks_english_when_chosen(alpha):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(f"/board/H01/?t={board_token('alpha')}", HTTP_HOST=ALPHA)
    assert response.status_code == 200
    config = page_config(response)
    assert config["strings"]["satisfaction"] == "Satisfaction"
    assert config["strings"]["reconnecting"] == "Connection lost, reconnecting…"
    assert "Satisfaction" in response.content.decode()


@pytest.mark.parametrize("case, status", [("no token", 403), ("beta's token", 403), ("unknown hall", 404)])
def test_board_page_refuses_bad_links(alpha, beta, case, status):
    path = {"no token": "/board/H01/", "beta's token": f"/board/H01/?t={board_token('beta')}",
            "unknown hall": f"/board/NOPE/?t={board_token('alpha')}"}[case]
    response = Client().get(path, HTTP_HOST=ALPHA)
    assert response.status_code == status
    assert "评价屏链接无效" in response.content.decode()
    assert "board-config" not in response.content.decode()


def test_manager_view_needs_a_hall_manager(alpha, beta):
    assert Client().get("/board/H01/manage/", HTTP_HOST=ALPHA).status_code == 302  # to the login page
    assert signed_in("alpha", "viewer").get("/board/H01/manage/", HTTP_HOST=ALPHA).status_code == 403
    response = signed_in("alpha", "agency").get("/board/H01/manage/", HTTP_HOST=ALPHA)
    assert response.status_code == 200 and page_config(response)["manage"] is True
    assert 'id="board-alerts"' in response.content.decode() and "csrftoken" in response.cookies
    # A session from alpha counts for nothing on beta's host.
    assert signed_in("alpha", "agency").get("/board/H01/manage/", HTTP_HOST=BETA).status_code == 302


def test_tenant_home_links_managers_to_the_manager_view(alpha):
    assert "/board/H01/manage/" in signed_in("alpha", "agency").get("/", HTTP_HOST=ALPHA).content.decode()
    assert "/board/H01/manage/" not in signed_in("alpha", "viewer").get("/", HTTP_HOST=ALPHA).content.decode()
    assert "/board/H01/manage/" not in Client().get("/", HTTP_HOST=ALPHA).content.decode()


def test_tenant_admin_lists_boards_and_rotates_a_link(alpha):
    old = board_token("alpha")
    client = signed_in("alpha", "tenant_admin")
    listing = client.get("/admin/boards/hallboard/", HTTP_HOST=ALPHA)
    assert listing.status_code == 200 and "打开评价屏" in listing.content.decode()
    with schema_context("alpha"):
        pk = HallBoard.objects.get().pk
    response = client.post("/admin/boards/hallboard/", {"action": "rotate_links", "_selected_action": [pk]},
                           HTTP_HOST=ALPHA)
    assert response.status_code == 302
    with schema_context("alpha"):
        assert HallBoard.objects.get().token_version == 2
    connection.set_schema_to_public()
    assert Client().get(f"/board/H01/?t={old}", HTTP_HOST=ALPHA).status_code == 403
    # The agency may look, not change.
    agency = signed_in("alpha", "agency")
    assert agency.get("/admin/boards/boardalert/", HTTP_HOST=ALPHA).status_code == 200
    agency.post("/admin/boards/hallboard/", {"action": "rotate_links", "_selected_action": [pk]}, HTTP_HOST=ALPHA)
    with schema_context("alpha"):
        assert HallBoard.objects.get().token_version == 2
