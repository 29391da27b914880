import strawberry
import strawberry_django

from haochaping.accounts.models import ApiToken as ApiTokenModel
from schema.core.connections import Connection
from schema.core.context import principal
from schema.core.permissions import allow, HasRole, PLATFORM_ADMINS, public, TENANT_MANAGERS

from .types import ApiToken, Viewer


@strawberry.type
class AccountQueries:
    @strawberry.field(extensions=public(), description="当前用户或令牌；匿名时为空")
    def me(self, info: strawberry.Info) -> Viewer | None:
        who = principal(info)
        if who.is_anonymous:
            return None
        user, token = who.user, who.token
        return Viewer(username=user.username if user else None, display_name=user.display_name if user else None,
                      role=user.role if user else None, token_name=token.name if token else None,
                      token_kind=token.kind if token else None, scopes=token.scopes if token else [])

    @strawberry_django.connection(Connection[ApiToken],
                                  extensions=allow(HasRole(*TENANT_MANAGERS, *PLATFORM_ADMINS)),
                                  description="本级 API 令牌")
    def api_tokens(self) -> list[ApiToken]:
        return ApiTokenModel.objects.all()
