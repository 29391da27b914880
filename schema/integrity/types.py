from datetime import datetime

import strawberry
import strawberry_django

from haochaping.integrity import models
from schema.core.nodes import ScopedNode
from schema.tenancy.types import UnitRef, unit_ref

SuspicionKind = strawberry.enum(models.SuspicionFlag.Kind, name="SuspicionKind")


@strawberry_django.type(models.SuspicionFlag, description="可疑评价提示（只提示，不删除评价）")
class SuspicionFlag(ScopedNode):
    kind: SuspicionKind
    window_code: str = strawberry_django.field(description="窗口（机构编码/窗口号）或来源标识")
    detail: str
    evaluation_ids: list[int]
    created_at: datetime
    reviewed_at: datetime | None

    @strawberry_django.field(select_related=["tenant"])
    def tenant(self, root: models.SuspicionFlag) -> UnitRef:
        return unit_ref(root.tenant)
