import strawberry

from haochaping.accounts.models import Role
from haochaping.analytics.concentration import close_case
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import HasRole, allow

from .types import ImprovementCaseType


@strawberry.type
class ImprovementCasePayload:
    case: ImprovementCaseType | None
    errors: list[UserError]


@strawberry.type
class AnalyticsMutations:
    @strawberry.mutation(extensions=allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY)),
                         description="集中问题整改完成：填写整改措施，并在门户公开（不含个人信息）")
    def close_improvement_case(self, id: strawberry.ID, outcome: str) -> ImprovementCasePayload:
        case, errors = attempt(lambda: close_case(pk_for(id, "ImprovementCase", what_zh="集中问题", what_en="Improvement case"),
                                                  outcome))
        return ImprovementCasePayload(case=ImprovementCaseType.of(case) if case else None, errors=errors)
