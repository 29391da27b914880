import strawberry
import strawberry_django

from haochaping.evaluations import selectors
from haochaping.evaluations.policy import get_policy
from haochaping.evaluations.prompts import pending_prompt, prompt_state
from schema.core.connections import Connection
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.permissions import allow, HasRole, HasScope, IsDevice, public, Role, staff_member, tenant_reader

from .convert import questionnaire_type, rating_form_type
from .types import (CaseStatus, DevicePrompt, Evaluation, EvaluationPolicy, RatingForm, ServiceCase,
                    StaffResult)


@strawberry.type
class RatingFormPayload:
    form: RatingForm | None
    errors: list[UserError]


@strawberry.type
class EvaluationQueries:
    @strawberry.field(extensions=public(), description="评价页所需内容：二维码令牌或邀请令牌；都为空则为本单位默认表单")
    def rating_form(self, window_token: str | None = None, invitation_token: str | None = None) -> RatingFormPayload:
        context, errors = attempt(lambda: selectors.rating_context(window_token=window_token,
                                                                   invitation_token=invitation_token))
        return RatingFormPayload(form=rating_form_type(context) if context else None, errors=errors)

    @strawberry.field(extensions=public(), description="本单位评价规则（评价等级文字等）")
    def evaluation_policy(self) -> EvaluationPolicy:
        return get_policy()

    @strawberry.field(extensions=allow(IsDevice()), description="评价器：当前待评价的推送（没有则为空）")
    def device_prompt(self, info: strawberry.Info) -> DevicePrompt | None:
        device = getattr(principal(info).token, "device", None)
        prompt = pending_prompt(device) if device else None
        if prompt is None:
            return None
        return DevicePrompt(id=prompt.pk, item_name=prompt.case.item.catalog_item.name, expires_at=prompt.expires_at)

    @strawberry.field(extensions=allow(HasRole(Role.STAFF, Role.TENANT_ADMIN)),
                      description="窗口人员查看自己推送的评价是否完成（不显示评价等级）")
    def rating_request_state(self, info: strawberry.Info, prompt_id: int) -> str | None:
        state, errors = attempt(lambda: prompt_state(prompt_id, principal(info).user))
        return state

    @strawberry_django.connection(Connection[ServiceCase], extensions=tenant_reader(), description="办件")
    def service_cases(self, status: CaseStatus | None = None, search: str | None = None) -> list[ServiceCase]:
        return selectors.cases(status.value if status else None, search)

    @strawberry_django.connection(Connection[Evaluation],
                                  extensions=allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)),
                                  description="评价（评价人信息脱敏）")
    def evaluations(self, bad_only: bool = False) -> list[Evaluation]:
        return selectors.evaluations(bad_only=bad_only)

    @strawberry.field(extensions=staff_member(), description="窗口人员本人的评价结果（不含评价人信息）")
    def my_results(self, info: strawberry.Info, first: int = 50) -> list[StaffResult]:
        rows = selectors.staff_results(principal(info).user)[: max(1, min(first, 100))]
        return [StaffResult(grade=e.grade, channel=e.channel, rated_at=e.rated_at, is_bad=e.is_bad,
                            item_name=e.item.catalog_item.name if e.item else None) for e in rows]


__all__ = ["EvaluationQueries", "questionnaire_type", "HasScope"]
