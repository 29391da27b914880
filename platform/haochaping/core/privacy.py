"""Masking personal data for display (姓名、电话、证件号): only the handling workflow sees it whole."""
import hashlib

from django.conf import settings


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def digest(value: str, purpose: str) -> str:
    """A keyed digest for lookups without keeping the value (IP addresses, phones in verifications)."""
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}:{value}".encode()).hexdigest()
