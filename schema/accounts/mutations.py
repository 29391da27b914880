from datetime import datetime

import strawberry

from haochaping.accounts import tokens
from haochaping.accounts.models import ApiToken as ApiTokenModel
from haochaping.core.lookup import get_or_not_found
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import allow, HasRole, PLATFORM_ADMINS, platform_admin, tenant_admin, TENANT_MANAGERS

from .types import ApiToken


@strawberry.type
class IssueApiTokenPayload:
    api_token: ApiToken | None
    secret: str | None = strawberry.field(description="令牌全文，只显示这一次 / shown once")
    errors: list[UserError]


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiToken | None
    errors: list[UserError]


def _issue(info, **kwargs) -> IssueApiTokenPayload:
    issued, errors = attempt(lambda: tokens.issue_token(created_by=info.context.request.principal.user, **kwargs))
    return IssueApiTokenPayload(api_token=issued.token if issued else None,
                                secret=issued.secret if issued else None, errors=errors)


@strawberry.type
class TenantTokenMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="为业务系统签发令牌（推送办件、提交评价）")
    def issue_system_token(self, info: strawberry.Info, name: str, scopes: list[str],
                           expires_at: datetime | None = None) -> IssueApiTokenPayload:
        return _issue(info, name=name, kind=ApiTokenModel.Kind.SYSTEM, scopes=scopes, expires_at=expires_at)


@strawberry.type
class PlatformTokenMutations:
    @strawberry.mutation(extensions=platform_admin(), description="为第三方评估机构签发只读令牌（限定租户、可过期）")
    def issue_evaluator_token(self, info: strawberry.Info, name: str, tenant_slugs: list[str],
                              expires_at: datetime | None = None) -> IssueApiTokenPayload:
        issued, errors = attempt(lambda: tokens.issue_evaluator_token(
            name=name, tenant_slugs=tenant_slugs, expires_at=expires_at, created_by=info.context.request.principal.user))
        return IssueApiTokenPayload(api_token=issued.token if issued else None,
                                    secret=issued.secret if issued else None, errors=errors)


@strawberry.type
class RevokeTokenMutations:
    @strawberry.mutation(extensions=allow(HasRole(*TENANT_MANAGERS, *PLATFORM_ADMINS)), description="吊销令牌（立即失效）")
    def revoke_api_token(self, id: strawberry.ID) -> RevokeApiTokenPayload:
        def run():
            token = get_or_not_found(ApiTokenModel, pk_for(id, "ApiToken", what_zh="令牌", what_en="API token"),
                                     "令牌", "API token")
            return tokens.revoke_token(token)
        token, errors = attempt(run)
        return RevokeApiTokenPayload(api_token=token, errors=errors)


__all__ = ["TenantTokenMutations", "PlatformTokenMutations", "RevokeTokenMutations"]
