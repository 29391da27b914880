"""Sign-in throttling: after LOGIN_MAX_FAILURES failed attempts for one username from one IP within
LOGIN_FAILURE_WINDOW seconds, that pair is locked out for LOGIN_LOCKOUT_SECONDS. Counters live in the cache and
their keys carry the schema (haochaping.core.ratelimit), so a lockout on one tenant's host never locks the same
username on another tenant. A successful sign-in clears the failures."""
from __future__ import annotations

import hashlib

from django.conf import settings

from haochaping.core import ratelimit
from haochaping.core.errors import DomainError

FAILURES, LOCKED = "login-fail", "login-lock"


class LoginLocked(DomainError):
    def __init__(self):
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        super().__init__("LOGIN_LOCKED", f"登录失败次数过多，请{minutes}分钟后再试",
                         f"Too many failed sign-in attempts; try again in {minutes} minutes")


def _subject(username: str, ip: str) -> str:
    # Hashed: usernames may hold any characters, and the cache key should not reveal them.
    return hashlib.sha256(f"{(username or '').strip().lower()}\x00{ip or 'unknown'}".encode()).hexdigest()[:32]


def check_allowed(username: str, ip: str) -> None:
    """Raise LoginLocked while the username+IP pair is in its cooldown (checked before the password)."""
    if ratelimit.is_set(LOCKED, _subject(username, ip)):
        raise LoginLocked()


def record_failure(username: str, ip: str) -> bool:
    """Count one failed attempt; True if this one started a lockout."""
    subject = _subject(username, ip)
    if ratelimit.within_limit(FAILURES, subject, settings.LOGIN_MAX_FAILURES - 1, settings.LOGIN_FAILURE_WINDOW):
        return False
    ratelimit.set_for(LOCKED, subject, settings.LOGIN_LOCKOUT_SECONDS)
    ratelimit.clear(FAILURES, subject)
    return True


def record_success(username: str, ip: str) -> None:
    subject = _subject(username, ip)
    ratelimit.clear(FAILURES, subject)
    ratelimit.clear(LOCKED, subject)
