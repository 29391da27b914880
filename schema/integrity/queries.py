import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from haochaping.integrity import selectors
from schema.core.permissions import platform_reader

from .types import SuspicionFlag, SuspicionKind


@strawberry.type
class IntegrityQueries:
    @strawberry_django.connection(DjangoListConnection[SuspicionFlag], extensions=platform_reader(),
                                  description="待核查的可疑评价提示（县级）")
    def suspicion_flags(self, tenant: str | None = None, kind: SuspicionKind | None = None) -> list[SuspicionFlag]:
        return selectors.open_flags(tenant, kind.value if kind else None)
