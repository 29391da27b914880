from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from haochaping.catalog.services import import_catalog_file
from haochaping.core.errors import DomainError


class Command(BaseCommand):
    help = "导入省级基本目录文件（CSV/XLSX/JSON）/ Import a provincial base catalog file"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--keep-missing", action="store_true", help="do not deactivate items absent from the file")

    def handle(self, *args, path, keep_missing, **options):
        file = Path(path)
        try:
            with schema_context("public"):
                report = import_catalog_file(file.name, file.read_bytes(), deactivate_missing=not keep_missing)
        except DomainError as error:
            raise CommandError("\n".join(f"[{e.code}] {e.message} / {e.message_en}" for e in error.errors))
        self.stdout.write(self.style.SUCCESS(
            f"added {len(report.added)}, updated {len(report.updated)}, deactivated {len(report.deactivated)}, "
            f"unchanged {report.unchanged_count}"))
