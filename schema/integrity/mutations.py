import strawberry
from django.utils import timezone

from haochaping.core.lookup import get_or_not_found
from haochaping.integrity.models import SuspicionFlag as SuspicionFlagModel
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import platform_reader

from .types import SuspicionFlag


@strawberry.type
class ReviewSuspicionFlagPayload:
    flag: SuspicionFlag | None
    errors: list[UserError]


@strawberry.type
class IntegrityMutations:
    @strawberry.mutation(extensions=platform_reader(), description="标记可疑评价提示为已核查")
    def review_suspicion_flag(self, id: strawberry.ID) -> ReviewSuspicionFlagPayload:
        def run():
            flag = get_or_not_found(SuspicionFlagModel, pk_for(id, "SuspicionFlag", what_zh="提示", what_en="Flag"),
                                    "提示", "Flag")
            if flag.reviewed_at is None:
                flag.reviewed_at = timezone.now()
                flag.save(update_fields=["reviewed_at"])
            return flag

        flag, errors = attempt(run)
        return ReviewSuspicionFlagPayload(flag=flag, errors=errors)
