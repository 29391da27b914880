"""Absolute links are built from BASE_DOMAIN, never from the request (QR codes, invitations)."""
from django.conf import settings


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_url(slug: str, path: str = "/") -> str:
    return f"{settings.BASE_SCHEME}://{tenant_host(slug)}{path}"


def public_url(path: str = "/") -> str:
    return f"{settings.BASE_SCHEME}://{settings.BASE_DOMAIN}{path}"
