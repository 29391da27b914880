"""Fixed-window counters in the cache (Redis when REDIS_URL is set). Keys carry the tenant schema."""
from __future__ import annotations

from django.core.cache import cache
from django.db import connection


def _key(kind: str, subject: str) -> str:
    return f"rl:{connection.schema_name}:{kind}:{subject}"


def within_limit(kind: str, subject: str, limit: int, seconds: int) -> bool:
    """Count one attempt; False once more than `limit` attempts fall in the current window."""
    key = _key(kind, subject)
    if cache.add(key, 1, timeout=seconds):
        return limit >= 1
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return limit >= 1


def claim_interval(kind: str, subject: str, seconds: int) -> bool:
    """True if nothing claimed this subject in the last `seconds` (and claims it now)."""
    if seconds <= 0:
        return True
    return cache.add(_key(kind, subject), 1, timeout=seconds)
