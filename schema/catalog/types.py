import strawberry
import strawberry_django

from haochaping.catalog import models
from schema.core.enums import CatalogItemType
from schema.core.nodes import ScopedNode


@strawberry_django.type(models.CatalogItem, description="基本目录事项 (public schema)")
class CatalogItem(ScopedNode):
    code: str
    name: str
    legal_basis: str
    item_type: CatalogItemType
    is_active: bool
    updated_at: strawberry.auto


@strawberry.type(description="One changed catalog item and its old → new values")
class CatalogChange:
    code: str
    fields: list[str]


@strawberry_django.type(models.CatalogImport, description="What one catalog import changed")
class CatalogImport(ScopedNode):
    file_name: str
    imported_at: strawberry.auto
    unchanged_count: int

    @strawberry.field
    def added(self, root: models.CatalogImport) -> list[str]:
        return root.added

    @strawberry.field
    def updated(self, root: models.CatalogImport) -> list[CatalogChange]:
        return [CatalogChange(code=row["code"], fields=sorted(row["changes"])) for row in root.updated]

    @strawberry.field
    def deactivated(self, root: models.CatalogImport) -> list[str]:
        return root.deactivated
