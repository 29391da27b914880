"""Who is asking: a session user of this schema, an API token of this schema, or nobody."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from haochaping.accounts.models import ApiToken, User


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    token: ApiToken | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.token is None

    @property
    def role(self) -> str | None:
        return self.user.role if self.user else None

    @property
    def schema_name(self) -> str:
        return connection.schema_name


def principal(info) -> Principal:
    # Over websockets strawberry's context is a dict whose request is the consumer (schema/realtime.py).
    context = info.context
    request = context["request"] if isinstance(context, dict) else context.request
    return getattr(request, "principal", None) or Principal()
