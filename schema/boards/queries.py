import strawberry

from haochaping.boards import services
from haochaping.core.errors import DomainError
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.permissions import TENANT_READERS, public, tenant_reader

from .types import BoardAlert, HallBoardSnapshot


@strawberry.type
class HallBoardPayload:
    board: HallBoardSnapshot | None
    errors: list[UserError]


def _readable_hall(info, hall_code: str, board_token: str | None):
    """A board token opens its own hall; a signed-in reader of this tenant opens any of its halls."""
    who = principal(info)
    if board_token:
        return services.hall_for_board_token(hall_code, board_token)
    reader = (who.user is not None and who.user.is_active and (who.user.is_superuser or who.user.role in TENANT_READERS)) \
        or (who.token is not None and who.token.has_scope("read"))
    if not reader:
        raise DomainError("INVALID_TOKEN", "需要评价屏链接令牌或登录", "A board token or a sign-in is needed", "boardToken")
    return services.hall_by_code(hall_code)


@strawberry.type
class BoardQueries:
    @strawberry.field(extensions=public(),
                      description="大厅评价屏快照（今日各窗口评价、好评率、趋势、最新评价，均已匿名）：凭评价屏令牌或登录")
    def hall_board(self, info: strawberry.Info, hall_code: str, board_token: str | None = None) -> HallBoardPayload:
        payload, errors = attempt(lambda: services.snapshot(_readable_hall(info, hall_code, board_token)))
        return HallBoardPayload(board=HallBoardSnapshot.of(payload) if payload else None, errors=errors)

    @strawberry.field(extensions=tenant_reader(), description="大厅差评预警（最近的在前）")
    def board_alerts(self, hall_code: str, open_only: bool = False, first: int = 50) -> list[BoardAlert]:
        try:
            org = services.hall_by_code(hall_code)
        except DomainError:
            return []
        alerts = services.alerts(org).select_related("org")
        if open_only:
            alerts = alerts.filter(state="OPEN")
        return [BoardAlert.of(a) for a in alerts[: max(0, min(first, 100))]]
