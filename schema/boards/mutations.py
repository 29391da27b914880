import strawberry

from haochaping.boards import services
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import HasRole, TENANT_READERS, allow, tenant_admin

from .types import BoardAlert


@strawberry.type
class BoardAlertPayload:
    alert: BoardAlert | None
    errors: list[UserError]


@strawberry.type
class BoardLinkPayload:
    url: str | None
    errors: list[UserError]


@strawberry.type
class BoardMutations:
    @strawberry.mutation(extensions=allow(HasRole(*TENANT_READERS)),
                         description="大厅负责人确认差评预警（可附处理说明）")
    def acknowledge_board_alert(self, info: strawberry.Info, id: strawberry.ID, note: str = "") -> BoardAlertPayload:
        def run():
            pk = pk_for(id, "BoardAlert", what_zh="预警", what_en="Alert")
            return services.acknowledge_alert(pk, principal(info).user, note)

        alert, errors = attempt(run)
        return BoardAlertPayload(alert=BoardAlert.of(alert) if alert else None, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="大厅评价屏链接；rotate 为真时作废旧链接")
    def hall_board_link(self, hall_code: str, rotate: bool = False) -> BoardLinkPayload:
        def run():
            org = services.hall_by_code(hall_code)
            return services.rotate_board_token(org) if rotate else services.board_url(org)

        url, errors = attempt(run)
        return BoardLinkPayload(url=url, errors=errors)
