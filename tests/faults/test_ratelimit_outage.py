"""The rate-limit counters' cache unreachable (a Redis URL on a dead port, nothing listening): ratings are counted
as allowed (fail open; the live-server version is test_redis_outage.py), SMS codes are refused (each costs money)."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_tenants.utils import schema_context

from browser.live import _free_port
from haochaping.core import ratelimit
from haochaping.core.errors import DomainError
from haochaping.evaluations.phone import request_code

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def redis_down():
    dead = f"redis://127.0.0.1:{_free_port()}/0"
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": dead}}):
        with pytest.raises(Exception):  # noqa: B017 - the point: the cache itself is down
            cache.add("probe", 1)
        yield


def test_limits_fail_open_for_ratings(redis_down):
    assert all(ratelimit.within_limit("ip", "x", 1, 60) for _ in range(3))
    assert ratelimit.claim_interval("device", "x", 10)


def test_limits_fail_closed_for_paid_sms(redis_down):
    assert ratelimit.within_limit("phone-code", "x", 5, 60, fail_open=False) is False
    with schema_context("alpha"), pytest.raises(DomainError) as refused:
        request_code("13800138000", client_ip="203.0.113.9")
    assert refused.value.codes == ["TOO_MANY_ATTEMPTS"]
