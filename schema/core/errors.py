"""Errors as data: every mutation payload carries `errors: [UserError!]!`."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from haochaping.core.errors import DomainError

T = TypeVar("T")


@strawberry.type(description="A problem with the input; nothing was changed.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. DUPLICATE_CODE")
    message: str = strawberry.field(description="简体中文说明")
    message_en: str = strawberry.field(description="English message")
    field: str | None = strawberry.field(description="The input field at fault, in camelCase", default=None)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(code=e.code, message=e.message, message_en=e.message_en, field=e.field) for e in error.errors]


def attempt(action: Callable[[], T]) -> tuple[T | None, list[UserError]]:
    """Run one domain service; a DomainError becomes typed errors (the service changed nothing)."""
    try:
        return action(), []
    except DomainError as error:
        return None, user_errors(error)
