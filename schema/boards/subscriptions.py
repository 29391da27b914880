"""evaluationAdded over graphql-transport-ws (schema/realtime.py serves it on /graphql/ websockets)."""
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from haochaping.core.errors import DomainError

from haochaping.boards import publisher
from schema.core.permissions import AnyOf, HasRole, HasScope, TENANT_READERS, _Permission, allow

from .types import BoardRatingEvent


class BoardViewer(_Permission):
    """A connection authenticated with a board token (connection_init payload)."""

    description = "board-token"

    def has_permission(self, source, info, **kwargs) -> bool:
        context = info.context
        return isinstance(context, dict) and getattr(context["request"], "board_hall", None) is not None


@strawberry.type
class BoardSubscriptions:
    @strawberry.subscription(extensions=allow(AnyOf(BoardViewer(), HasRole(*TENANT_READERS), HasScope("read"))),
                             description="大厅的新评价（匿名）；seq 连续，出现间断时用 hallBoard 取快照")
    async def evaluation_added(self, info: strawberry.Info, hall_code: str) -> AsyncGenerator[BoardRatingEvent, None]:
        consumer = info.context["ws"]
        try:
            org = await consumer.hall_for_subscription(hall_code)
        except DomainError as error:
            first = error.errors[0]
            raise GraphQLError(f"{first.message} / {first.message_en}", extensions={"code": first.code}) from None
        group = publisher.hall_group(consumer.scope["tenant"].schema_name, org.code)
        async with consumer.listen_to_channel("board.event", groups=[group]) as messages:
            async for message in messages:
                event = message["event"]
                if event.get("type") == "rating" and event.get("hall") == org.code:
                    yield BoardRatingEvent.of(event)
