import strawberry
import strawberry_django

from haochaping.items import selectors
from schema.core.connections import Connection
from schema.core.permissions import public

from .types import ServiceItem


@strawberry.type
class ItemQueries:
    @strawberry_django.connection(Connection[ServiceItem], extensions=public(),
                                  description="本单位政务服务事项清单（公开）")
    def service_items(self, search: str | None = None) -> list[ServiceItem]:
        return selectors.items(search)
