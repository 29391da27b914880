"""Sign-in throttling: N failures per username + IP lock that pair out for a cooldown, per tenant; success resets."""
import time

import pytest
from django.test import Client

from conftest import PASSWORD, host_of

WRONG = "wrong-password-1"


@pytest.fixture
def limits(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW = 60
    settings.LOGIN_LOCKOUT_SECONDS = 600
    return settings


def login(slug: str, username: str, password: str, ip: str = "10.0.0.1", path: str = "/accounts/login/"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path, {"username": username, "password": password}, HTTP_HOST=host_of(slug))
    return response, client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_lockout_after_repeated_failures(limits, db):
    for _ in range(2):
        response, _ = login("alpha", "viewer", WRONG)
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    response, _ = login("alpha", "viewer", WRONG)  # the third failure starts the cooldown
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多，请10分钟后再试" in html and "Too many failed sign-in attempts" in html
    # Even the right password is refused now, and no session is created.
    response, client = login("alpha", "viewer", PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    # The admin login shares the throttle.
    response, client = login("alpha", "viewer", PASSWORD, path="/admin/login/")
    assert "登录失败次数过多" in response.content.decode() and not signed_in(client)


def test_lockout_is_per_username_ip_and_tenant(limits, db):
    for _ in range(3):
        login("alpha", "viewer", WRONG)
    assert login("alpha", "viewer", PASSWORD)[0].status_code == 429
    # beta's user of the same name, from the same IP, is not locked (keys carry the schema).
    response, client = login("beta", "viewer", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    # Another user on alpha, and the same user from another IP, are not locked either.
    assert login("alpha", "handler", PASSWORD)[0].status_code == 302
    assert login("alpha", "viewer", PASSWORD, ip="10.0.0.2")[0].status_code == 302


def test_success_resets_the_failure_count(limits, db):
    for _ in range(2):
        login("alpha", "viewer", WRONG)
    response, client = login("alpha", "viewer", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    for _ in range(2):  # two more failures after the reset: still below the limit of three
        assert login("alpha", "viewer", WRONG)[0].status_code == 200
    assert login("alpha", "viewer", PASSWORD)[0].status_code == 302


def test_unknown_usernames_count_too(limits, db):
    for _ in range(3):
        login("alpha", "nobody", WRONG)
    assert login("alpha", "nobody", WRONG)[0].status_code == 429


def test_cooldown_ends(limits, db):
    limits.LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(3):
        login("alpha", "viewer", WRONG)
    assert login("alpha", "viewer", PASSWORD)[0].status_code == 429
    time.sleep(1.2)
    response, client = login("alpha", "viewer", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
