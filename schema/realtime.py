"""GraphQL over websockets (graphql-transport-ws) on a tenant host's /graphql/.

Only subscriptions (and the board snapshot they need) are served here: strawberry_django's resolvers would run on
channels' shared database thread without the tenant's schema, so queries and mutations stay on HTTP. The
connection authenticates in connection_init, before any subscription starts, and may hold a few subscriptions."""
from __future__ import annotations

import datetime as dt

import strawberry
from channels.db import database_sync_to_async
from django_tenants.utils import tenant_context
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from haochaping.accounts.models import Role
from haochaping.accounts.sessions import user_for_session_key
from haochaping.accounts.tokens import authenticate_token
from haochaping.boards import services
from haochaping.core.errors import DomainError
from realtime.consumers import session_key
from schema.boards.queries import HallBoardPayload
from schema.boards.subscriptions import BoardSubscriptions
from schema.boards.types import HallBoardSnapshot
from schema.core.build import build_schema
from schema.core.context import Principal
from schema.core.errors import attempt
from schema.core.permissions import public

MAX_SUBSCRIPTIONS_PER_CONNECTION = 5
TENANT_ROLES_ON_WS = {Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER}


@strawberry.type
class RealtimeQuery:
    @strawberry.field(extensions=public(), description="大厅评价屏快照（同 HTTP 的 hallBoard；令牌或连接时的身份）")
    async def hall_board(self, info: strawberry.Info, hall_code: str) -> HallBoardPayload:
        consumer = info.context["ws"]
        try:
            org = await consumer.hall_for_subscription(hall_code)
        except DomainError as error:
            from schema.core.errors import user_errors

            return HallBoardPayload(board=None, errors=user_errors(error))
        payload, errors = await consumer.in_tenant(lambda: attempt(lambda: services.snapshot(org)))
        return HallBoardPayload(board=HallBoardSnapshot.of(payload) if payload else None, errors=errors)


def _authenticate(params: dict, cookie_session: str | None):
    """(principal, board hall code) from connection_init: a board token for one hall, an API token, or the
    session cookie of a signed-in user of this tenant."""
    board_token, hall_code = params.get("boardToken"), params.get("hallCode")
    if isinstance(board_token, str) and isinstance(hall_code, str):
        org = services.hall_for_board_token(hall_code, board_token)
        return Principal(), org.code
    authorization = params.get("authorization") or params.get("Authorization")
    if isinstance(authorization, str) and authorization:
        scheme, _, value = authorization.partition(" ")
        token = authenticate_token(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return None, None
        return Principal(token=token), None
    user = user_for_session_key(cookie_session)
    if user is not None and (user.is_superuser or user.role in TENANT_ROLES_ON_WS):
        return Principal(user=user), None
    return None, None


class TenantGraphQLWSConsumer(GraphQLWSConsumer):
    def __init__(self, **kwargs):
        super().__init__(
            schema=realtime_schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=dt.timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            keep_alive=True,
            keep_alive_interval=30,
        )
        self.principal = Principal()
        self.board_hall: str | None = None

    def in_tenant(self, func):
        tenant = self.scope["tenant"]

        def run():
            with tenant_context(tenant):
                return func()

        return database_sync_to_async(run)()

    async def on_ws_connect(self, context):
        params = context.get("connection_params") or {}
        try:
            who, hall = await self.in_tenant(lambda: _authenticate(params, session_key(self.scope)))
        except DomainError:
            who, hall = None, None
        if who is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "需要评价屏令牌、API 令牌或登录"})
        self.principal, self.board_hall = who, hall
        return {"hall": hall} if hall else None

    async def hall_for_subscription(self, hall_code: str):
        """The hall this connection may watch: a board token's own hall only; a reader any of the tenant's."""
        if self.board_hall is not None and hall_code != self.board_hall:
            raise DomainError("PERMISSION_DENIED", "该令牌只能查看其所属大厅", "This board token opens its own hall only",
                              "hallCode")
        return await self.in_tenant(lambda: services.hall_by_code(hall_code))


realtime_schema = build_schema(RealtimeQuery, None, subscription=BoardSubscriptions)
