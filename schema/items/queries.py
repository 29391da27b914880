import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from haochaping.items import selectors
from schema.core.permissions import public

from .types import ServiceItem


@strawberry.type
class ItemQueries:
    @strawberry_django.connection(DjangoListConnection[ServiceItem], extensions=public(),
                                  description="本单位政务服务事项清单（公开）")
    def service_items(self, search: str | None = None) -> list[ServiceItem]:
        return selectors.items(search)
