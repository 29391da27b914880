"""The server-rendered pages: the public portal, a tenant's home, items and guides, login, language switch and
the tenant admin."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User

from conftest import PASSWORD

ALPHA, BETA, PUBLIC = "alpha.localhost", "beta.localhost", "localhost"


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def get(client: Client, host: str, path: str, **extra):
    return client.get(path, HTTP_HOST=host, **extra)


def login(client: Client, host: str, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password}, HTTP_HOST=host)


def is_signed_in(client: Client, host: str) -> bool:
    html = get(client, host, "/").content.decode()
    return 'action="/accounts/logout/"' in html


# --- the public portal ------------------------------------------------------------------------------------


def test_portal_lists_tenants_with_links_from_base_domain(db, settings):
    settings.BASE_SCHEME = "https"
    settings.BASE_DOMAIN = "hcp.example.gov.cn:8443"
    response = get(Client(), PUBLIC, "/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试县" in html
    assert "甲镇" in html and "乙镇" in html and "411325901" in html
    # Links are built from BASE_DOMAIN, never from the request's host.
    assert 'href="https://alpha.hcp.example.gov.cn:8443/"' in html
    assert 'href="https://beta.hcp.example.gov.cn:8443/"' in html
    assert "alpha.localhost" not in html
    # Tenant business data stays on tenant hosts.
    assert "alpha综合窗口" not in html


def test_portal_default_links(db, settings):
    html = get(Client(), PUBLIC, "/").content.decode()
    assert f'href="{settings.BASE_SCHEME}://alpha.{settings.BASE_DOMAIN}/"' in html


def test_portal_item_pages_read_only_the_published_copies(db):
    """The portal's /items/ is not a tenant's item view: it lists the public schema's published copies only
    (an item present in alpha's schema but not published there does not appear)."""
    from haochaping.disclosure.models import PublishedItem

    PublishedItem.objects.filter(tenant__schema_name="alpha", item_code="TEST-002").delete()
    html = get(Client(), PUBLIC, "/items/?q=TEST-002").content.decode()
    assert "/items/beta/TEST-002/" in html and "/items/alpha/TEST-002/" not in html
    assert get(Client(), PUBLIC, "/items/alpha/TEST-002/").status_code == 404


# --- a tenant's home --------------------------------------------------------------------------------------


def test_tenant_home_shows_its_halls_and_windows_only(db):
    html = get(Client(), ALPHA, "/").content.decode()
    assert html_lang(html) == "zh-hans"
    assert "甲镇" in html and "甲镇政务服务管理办公室" in html
    assert "alpha便民服务中心" in html and "alpha综合窗口" in html and "文印" in html
    assert "beta" not in html and "乙镇" not in html
    other = get(Client(), BETA, "/").content.decode()
    assert "beta便民服务中心" in other and "beta综合窗口" in other
    assert "alpha" not in other


# --- items and guides -------------------------------------------------------------------------------------


def test_item_list(db):
    response = get(Client(), ALPHA, "/items/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("TEST-001", "测试事项1", "TEST-002", "测试事项2", 'href="/items/TEST-001/"', "公共服务", "行政许可"):
        assert text in html, text
    # Adopted items only.
    assert "TEST-003" not in html and "测试事项3" not in html


@pytest.mark.parametrize(("query", "present", "absent"), [
    ("测试事项2", ["TEST-002"], ["TEST-001"]),
    ("TEST-001", ["TEST-001"], ["TEST-002"]),
    ("test-00", ["TEST-001", "TEST-002"], []),
    ("没有这个", [], ["TEST-001", "TEST-002"]),
])
def test_item_search(db, query, present, absent):
    html = get(Client(), ALPHA, "/items/", data={"q": query}).content.decode()
    for code in present:
        assert f'href="/items/{code}/"' in html, code
    for code in absent:
        assert f'href="/items/{code}/"' not in html, code
    if not present:
        assert "没有找到事项" in html
    assert f'value="{query}"' in html


def test_item_detail_shows_the_guide(db):
    response = get(Client(), ALPHA, "/items/TEST-001/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试事项1" in html and "《测试条例》第1条" in html
    assert "便民服务中心" in html  # handling unit
    assert re.search(r"法定时限</th><td>20 ", html) and re.search(r"承诺时限</th><td>5 ", html)
    assert "承诺件" in html
    assert "<li>身份证</li>" in html
    assert "WINDOW" in html and "QR_CODE" in html


def test_immediate_item(db):
    html = get(Client(), ALPHA, "/items/TEST-002/").content.decode()
    assert "即办件" in html and re.search(r"承诺时限</th><td>0 ", html)


@pytest.mark.parametrize("code", ["NOPE-404", "TEST-003", "TEST-999"])
def test_unknown_or_unadopted_item_is_404(db, code):
    assert get(Client(), ALPHA, f"/items/{code}/").status_code == 404


# --- login ------------------------------------------------------------------------------------------------


def test_login_page_renders(db):
    for host in (ALPHA, PUBLIC):
        response = get(Client(), host, "/accounts/login/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="username"' in html and 'name="password"' in html and "csrfmiddlewaretoken" in html
    assert "甲镇" in get(Client(), ALPHA, "/accounts/login/").content.decode()


def test_tenant_user_logs_in_on_its_own_host_only(db):
    client = Client()
    response = login(client, ALPHA, "tenant_admin")
    assert response.status_code == 302 and response.url == "/"
    assert is_signed_in(client, ALPHA)
    # The session belongs to alpha's schema: neither beta nor the public host know it.
    assert not is_signed_in(client, BETA)
    assert not is_signed_in(client, PUBLIC)
    # The same credentials do not work on the public host (no such user there).
    public = Client()
    response = login(public, PUBLIC, "tenant_admin")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert not is_signed_in(public, PUBLIC)


def test_public_user_cannot_log_in_on_a_tenant_host(db):
    client = Client()
    response = login(client, ALPHA, "county_admin")
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    assert login(client, PUBLIC, "county_admin").status_code == 302
    assert is_signed_in(client, PUBLIC)
    assert not is_signed_in(client, ALPHA)


def test_wrong_password_is_refused(db):
    client = Client()
    response = login(client, ALPHA, "tenant_admin", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_logout(db):
    client = Client()
    login(client, ALPHA, "viewer")
    assert is_signed_in(client, ALPHA)
    assert client.post("/accounts/logout/", HTTP_HOST=ALPHA).status_code == 302
    assert not is_signed_in(client, ALPHA)


# --- language ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", [ALPHA, PUBLIC])
def test_chinese_by_default_english_after_switching(db, host):
    client = Client()
    assert html_lang(get(client, host, "/").content.decode()) == "zh-hans"
    admin_login = get(client, host, "/admin/login/").content.decode()
    assert "用户名" in admin_login and "Username" not in admin_login

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_HOST=host)
    assert response.status_code == 302 and response.url == "/"
    assert client.cookies["django_language"].value == "en"

    assert html_lang(get(client, host, "/").content.decode()) == "en"
    assert html_lang(get(client, host, "/accounts/login/").content.decode()) == "en"
    admin_login = get(client, host, "/admin/login/").content.decode()
    assert "Username" in admin_login and "Log in" in admin_login
    assert 'lang="en"' in admin_login

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, HTTP_HOST=host)
    assert html_lang(get(client, host, "/").content.decode()) == "zh-hans"


def test_unknown_language_is_ignored(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"}, HTTP_HOST=ALPHA)
    assert html_lang(get(client, ALPHA, "/").content.decode()) == "zh-hans"


def test_language_switch_offers_both_languages(db):
    html = get(Client(), ALPHA, "/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'value="zh-hans" selected' in html and 'value="en"' in html


# --- the tenant admin -------------------------------------------------------------------------------------


def staff_client_for(**flags) -> Client:
    with schema_context("alpha"):
        User.objects.filter(username="tenant_admin").update(is_staff=True, **flags)
    client = Client()
    assert login(client, ALPHA, "tenant_admin").status_code == 302
    return client


@pytest.fixture
def staff_client(db) -> Client:
    """alpha's TENANT_ADMIN with is_staff (and no model permissions)."""
    return staff_client_for()


@pytest.fixture
def superuser_client(db) -> Client:
    """alpha's TENANT_ADMIN as a superuser of alpha's schema: the admin shows every model registered on it."""
    return staff_client_for(is_superuser=True)


PUBLIC_ADMIN_URLS = ("/admin/catalog/catalogitem/", "/admin/catalog/catalogimport/", "/admin/tenants/tenant/",
                     "/admin/tenants/domain/", "/admin/tenants/managementagency/", "/admin/jobs/job/", "/admin/catalog/")


def test_tenant_admin_is_reachable_for_staff(staff_client):
    response = get(staff_client, ALPHA, "/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "单位管理" in html and "好差评单位管理" in html
    for app in ("catalog", "tenants", "jobs"):
        assert f'href="/admin/{app}/' not in html, app
    for url in PUBLIC_ADMIN_URLS:
        assert get(staff_client, ALPHA, url).status_code == 404, url


def test_tenant_admin_lists_tenant_models_only(superuser_client):
    response = get(superuser_client, ALPHA, "/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    for url in ("/admin/organizations/window/", "/admin/organizations/serviceorg/", "/admin/items/serviceitem/",
                "/admin/accounts/user/"):
        assert f'href="{url}"' in html, url
    for app in ("catalog", "tenants", "jobs"):
        assert f'href="/admin/{app}/' not in html, app
    window_list = get(superuser_client, ALPHA, "/admin/organizations/window/")
    assert window_list.status_code == 200
    assert "alpha综合窗口" in window_list.content.decode() and "beta综合窗口" not in window_list.content.decode()
    assert get(superuser_client, ALPHA, "/admin/items/serviceitem/").status_code == 200
    users = get(superuser_client, ALPHA, "/admin/accounts/user/").content.decode()
    assert "tenant_admin" in users and "county_admin" not in users
    for url in PUBLIC_ADMIN_URLS:
        assert get(superuser_client, ALPHA, url).status_code == 404, url


def test_tenant_superuser_is_not_a_superuser_of_the_public_admin(superuser_client):
    response = get(superuser_client, PUBLIC, "/admin/catalog/catalogitem/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_tenant_admin_needs_is_staff(db):
    client = Client()
    assert login(client, ALPHA, "tenant_admin").status_code == 302
    response = get(client, ALPHA, "/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_tenant_staff_is_not_staff_on_the_public_admin(staff_client):
    response = get(staff_client, PUBLIC, "/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = get(staff_client, PUBLIC, "/admin/catalog/catalogitem/")
    assert response.status_code == 302


@pytest.mark.parametrize("role, visible", [
    ("TENANT_ADMIN", True),
    ("VIEWER", True),
    ("STAFF", False),
])
def test_tenant_admin_index_follows_role(alpha, role, visible):
    client = Client()
    with schema_context("alpha"):
        user = User.objects.get(username=role.lower())
        user.is_staff = True
        user.save()
        client.force_login(user)
    page = client.get("/admin/", HTTP_HOST="alpha.localhost")
    assert page.status_code == 200
    assert ("/admin/organizations/window/" in page.content.decode()) is visible
    add = client.get("/admin/organizations/servicePlatform/add/".lower(), HTTP_HOST="alpha.localhost")
    assert add.status_code == (200 if role == "TENANT_ADMIN" else 403)


def test_pages_open_in_chinese_whatever_the_browser_asks(alpha):
    page = Client().get("/", HTTP_HOST="alpha.localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in page.content.decode()
    english = Client()
    english.cookies["django_language"] = "en"
    assert '<html lang="en">' in english.get("/", HTTP_HOST="alpha.localhost").content.decode()
