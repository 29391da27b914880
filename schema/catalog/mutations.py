import strawberry
from strawberry.file_uploads import Upload

from haochaping.catalog.services import import_catalog_file
from schema.core.errors import UserError, attempt
from schema.core.permissions import platform_admin

from .types import CatalogImport


@strawberry.type
class ImportCatalogPayload:
    report: CatalogImport | None
    errors: list[UserError]


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(extensions=platform_admin(),
                         description="导入省级基本目录文件（CSV/XLSX/JSON），全部成功或全部不变")
    def import_catalog(self, file: Upload, keep_missing: bool = False) -> ImportCatalogPayload:
        content = file.read()
        report, errors = attempt(lambda: import_catalog_file(file.name, content, deactivate_missing=not keep_missing))
        return ImportCatalogPayload(report=report, errors=errors)
