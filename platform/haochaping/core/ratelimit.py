"""Fixed-window counters in the cache (Redis when REDIS_URL is set). Keys carry the tenant schema.

If the cache cannot be reached (Redis stopped or restarting) the limits fail open: the attempt is allowed and a
warning logged, so a Redis outage never refuses ratings (the database-backed checks still apply: device intervals,
idempotency keys, flood and streak flags). Callers that cost money per attempt (SMS codes) pass `fail_open=False`
and are refused instead. Counters restart from zero when Redis comes back empty."""
from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)


def _key(kind: str, subject: str) -> str:
    return f"rl:{connection.schema_name}:{kind}:{subject}"


def _unavailable(kind: str, fail_open: bool) -> bool:
    log.warning("rate-limit cache unavailable; %s this %s attempt", "allowing" if fail_open else "refusing", kind,
                exc_info=True)
    return fail_open


def within_limit(kind: str, subject: str, limit: int, seconds: int, *, fail_open: bool = True) -> bool:
    """Count one attempt; False once more than `limit` attempts fall in the current window."""
    key = _key(kind, subject)
    try:
        if cache.add(key, 1, timeout=seconds):
            return limit >= 1
        try:
            return cache.incr(key) <= limit
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds)
            return limit >= 1
    except Exception:  # noqa: BLE001 - the cache backend's connection errors (redis.ConnectionError, timeouts)
        return _unavailable(kind, fail_open)


def claim_interval(kind: str, subject: str, seconds: int, *, fail_open: bool = True) -> bool:
    """True if nothing claimed this subject in the last `seconds` (and claims it now)."""
    if seconds <= 0:
        return True
    try:
        return cache.add(_key(kind, subject), 1, timeout=seconds)
    except Exception:  # noqa: BLE001
        return _unavailable(kind, fail_open)


def is_set(kind: str, subject: str, *, fail_open: bool = True) -> bool:
    """True while a mark (e.g. a sign-in lockout) is in place; without the cache: not set if failing open."""
    try:
        return cache.get(_key(kind, subject)) is not None
    except Exception:  # noqa: BLE001
        return not _unavailable(kind, fail_open)


def set_for(kind: str, subject: str, seconds: int) -> None:
    """Mark the subject for `seconds` (e.g. a lockout), replacing any earlier mark."""
    try:
        cache.set(_key(kind, subject), 1, timeout=seconds)
    except Exception:  # noqa: BLE001
        _unavailable(kind, True)


def clear(kind: str, subject: str) -> None:
    try:
        cache.delete(_key(kind, subject))
    except Exception:  # noqa: BLE001
        _unavailable(kind, True)
