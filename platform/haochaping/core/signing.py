"""Signed tokens in links (QR posters, invitations, phone checks). Each carries the tenant schema, so a
token minted for one tenant is refused on every other tenant's host."""
from __future__ import annotations

from django.core import signing
from django.db import connection

from .errors import DomainError


class InvalidToken(DomainError):
    def __init__(self, field: str = "token"):
        super().__init__("INVALID_TOKEN", "链接无效或已过期", "The link is invalid or has expired", field)


def make_token(purpose: str, **values) -> str:
    return signing.dumps({"s": connection.schema_name, **values}, salt=f"hcp.{purpose}", compress=True)


def read_token(purpose: str, token: str, *, max_age: int | None = None, field: str = "token") -> dict:
    try:
        values = signing.loads(token, salt=f"hcp.{purpose}", max_age=max_age)
    except signing.BadSignature:
        raise InvalidToken(field) from None
    if not isinstance(values, dict) or values.get("s") != connection.schema_name:
        raise InvalidToken(field)
    return values
