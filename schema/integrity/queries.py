import strawberry
import strawberry_django

from haochaping.integrity import selectors
from schema.core.connections import Connection
from schema.core.permissions import platform_reader

from .types import SuspicionFlag, SuspicionKind


@strawberry.type
class IntegrityQueries:
    @strawberry_django.connection(Connection[SuspicionFlag], extensions=platform_reader(),
                                  description="待核查的可疑评价提示（县级）")
    def suspicion_flags(self, tenant: str | None = None, kind: SuspicionKind | None = None) -> list[SuspicionFlag]:
        return selectors.open_flags(tenant, kind.value if kind else None)
