import strawberry
import strawberry_django

from haochaping.core.errors import DomainError
from haochaping.rectification import selectors
from haochaping.rectification.models import Rectification
from schema.core.connections import Connection
from schema.core.context import principal
from schema.core.nodes import pk_for
from schema.core.permissions import HasRole, TENANT_READERS, allow

from .types import RectificationCase, RectificationState


def rectification_pk(node_id, field: str = "id") -> int:
    return pk_for(node_id, "Rectification", what_zh="整改", what_en="Rectification", field=field)


@strawberry.type
class RectificationQueries:
    # Rater data (masked) and case details: signed-in readers only, no read token.
    @strawberry_django.connection(Connection[RectificationCase], extensions=allow(HasRole(*TENANT_READERS)),
                                  description="差评整改台账：按状态、是否超期、是否本人负责筛选")
    def rectifications(self, info: strawberry.Info, state: RectificationState | None = None,
                       overdue: bool | None = None, mine: bool = False) -> list[RectificationCase]:
        user = principal(info).user
        handler_id = user.pk if mine and user else None
        qs = selectors.ledger(state=state.value if state else None, overdue=overdue, handler_id=handler_id)
        return qs.none() if mine and handler_id is None else qs

    @strawberry_django.field(extensions=allow(HasRole(*TENANT_READERS)), description="一条差评整改（id 不属于本单位时为空）")
    def rectification(self, id: strawberry.ID) -> RectificationCase | None:
        try:
            pk = rectification_pk(id)
        except DomainError:
            return None
        return Rectification.objects.filter(pk=pk).first()
