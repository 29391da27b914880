import strawberry
import strawberry_django

from haochaping.accounts import models
from schema.core.enums import ApiTokenKind, UserRole
from schema.core.nodes import ScopedNode


@strawberry.type(description="The signed-in user or the calling token")
class Viewer:
    username: str | None
    display_name: str | None
    role: UserRole | None
    token_name: str | None
    token_kind: ApiTokenKind | None
    scopes: list[str]


@strawberry_django.type(models.ApiToken, description="API 令牌（只保存摘要）")
class ApiToken(ScopedNode):
    name: str
    kind: ApiTokenKind
    prefix: str
    scopes: list[str]
    tenant_schemas: list[str]
    created_at: strawberry.auto
    expires_at: strawberry.auto
    revoked_at: strawberry.auto
    last_used_at: strawberry.auto
