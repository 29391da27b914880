import strawberry
import strawberry_django

from haochaping.catalog import selectors
from schema.core.connections import Connection
from schema.core.permissions import public

from .types import CatalogItem


@strawberry.type
class CatalogQueries:
    @strawberry_django.connection(Connection[CatalogItem], extensions=public(),
                                  description="基本目录（同一事项基本要素统一）")
    def catalog_items(self, search: str | None = None) -> list[CatalogItem]:
        return selectors.catalog_items(search)
