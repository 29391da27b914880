from django.core.management import call_command
from django.core.management.base import BaseCommand

from haochaping.workcalendar.services import ensure_calendar_years
from tenants.services import ensure_base_schema


class Command(BaseCommand):
    help = "Migrate the public schema, the base (template) schema and every tenant schema"

    def add_arguments(self, parser):
        parser.add_argument("--verbosity-migrate", type=int, default=0)

    def handle(self, *args, **options):
        verbosity = options["verbosity_migrate"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_base_schema(verbosity=verbosity)
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        loaded = ensure_calendar_years()
        if loaded:
            self.stdout.write(f"working-day calendar loaded for {', '.join(map(str, loaded))}")
        self.stdout.write(self.style.SUCCESS("public, base and tenant schemas are up to date"))
