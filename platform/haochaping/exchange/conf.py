"""Exchange settings: Django settings first (so tests can override them), else the environment.

EXCHANGE_TARGETS   comma-separated: "national" and/or provincial table names (default "national")
EXCHANGE_SENDER    dotted path of the sender class (default the recording sender)
EXCHANGE_URL       the receiving endpoint of the HTTP sender; EXCHANGE_URL_<TARGET> overrides it per target
EXCHANGE_TIMEOUT   seconds the HTTP sender waits (default 10)"""
from __future__ import annotations

import os

from django.conf import settings

DEFAULT_SENDER = "haochaping.exchange.senders.RecordingExchangeSender"


def _get(name: str, default):
    if hasattr(settings, name):
        return getattr(settings, name)
    return os.environ.get(name, default)


def targets() -> list[str]:
    value = _get("EXCHANGE_TARGETS", "national")
    if isinstance(value, str):
        value = value.split(",")
    return [name.strip() for name in value if name and name.strip()]


def sender_path() -> str:
    return _get("EXCHANGE_SENDER", DEFAULT_SENDER) or DEFAULT_SENDER


def url_for(target: str) -> str:
    return _get(f"EXCHANGE_URL_{target.upper()}", "") or _get("EXCHANGE_URL", "")


def timeout() -> float:
    return float(_get("EXCHANGE_TIMEOUT", 10))
