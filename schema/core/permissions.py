"""Declared permissions for every root field. A field without one fails the schema-walk test."""
from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from haochaping.accounts.models import Role

from .context import principal

DENIED = "无权执行此操作 / You are not allowed to do this"


class _Permission(BasePermission):
    message = DENIED
    error_extensions = {"code": "PERMISSION_DENIED"}
    description = ""

    def has_permission(self, source: Any, info, **kwargs) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class Public(_Permission):
    """Explicit allowlist entry: anyone, including anonymous raters and the public."""

    description = "public"

    def has_permission(self, source, info, **kwargs) -> bool:
        return True


class HasRole(_Permission):
    """A signed-in user of this schema with one of these roles (superusers pass)."""

    def __init__(self, *roles: Role):
        self.roles = {str(role) for role in roles}
        self.description = "roles:" + ",".join(sorted(self.roles))

    def has_permission(self, source, info, **kwargs) -> bool:
        user = principal(info).user
        return bool(user and user.is_active and (user.is_superuser or user.role in self.roles))


class HasScope(_Permission):
    """An API token of this schema carrying this scope."""

    def __init__(self, scope: str):
        self.scope = scope
        self.description = f"token:{scope}"

    def has_permission(self, source, info, **kwargs) -> bool:
        token = principal(info).token
        return bool(token and token.has_scope(self.scope))


class AnyOf(_Permission):
    def __init__(self, *permissions: _Permission):
        self.permissions = permissions
        self.description = " | ".join(p.description for p in permissions)

    def has_permission(self, source, info, **kwargs) -> bool:
        return any(p.has_permission(source, info, **kwargs) for p in self.permissions)


TENANT_MANAGERS = (Role.TENANT_ADMIN,)
TENANT_READERS = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)
PLATFORM_ADMINS = (Role.COUNTY_ADMIN,)
PLATFORM_READERS = (Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR)


def allow(*permissions: _Permission) -> list[PermissionExtension]:
    """Field extensions declaring who may call a root field."""
    return [PermissionExtension(permissions=list(permissions) or [AnyOf()], use_directives=False)]


def public() -> list[PermissionExtension]:
    return allow(Public())


def tenant_admin() -> list[PermissionExtension]:
    return allow(HasRole(*TENANT_MANAGERS))


def tenant_reader() -> list[PermissionExtension]:
    return allow(AnyOf(HasRole(*TENANT_READERS), HasScope("read")))


def platform_admin() -> list[PermissionExtension]:
    return allow(HasRole(*PLATFORM_ADMINS))


def platform_reader() -> list[PermissionExtension]:
    return allow(HasRole(*PLATFORM_READERS))


class IsDevice(_Permission):
    """A rating device's own token."""

    description = "device"

    def has_permission(self, source, info, **kwargs) -> bool:
        token = principal(info).token
        return bool(token and token.kind == "DEVICE" and token.has_scope("evaluations:write"))


ENTRY_ROLES = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER)


def staff_member() -> list[PermissionExtension]:
    return allow(HasRole(Role.STAFF))
