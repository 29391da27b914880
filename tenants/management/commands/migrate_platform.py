from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name

from haochaping.workcalendar.services import ensure_calendar_years
from tenants.migrating import schemas_behind
from tenants.models import Tenant
from tenants.services import base_schema_name, ensure_base_schema


class Command(BaseCommand):
    help = "Migrate the public schema, the base (template) schema and every tenant schema"

    def add_arguments(self, parser):
        parser.add_argument("--verbosity-migrate", type=int, default=0)

    def handle(self, *args, **options):
        verbosity = options["verbosity_migrate"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_base_schema(verbosity=verbosity)
        tenants = list(Tenant.objects.exclude(schema_name=get_public_schema_name())
                       .order_by("schema_name").values_list("schema_name", flat=True))
        behind = schemas_behind(base_schema_name(), tenants)
        if behind and len(behind) == len(tenants):
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        else:
            for schema in behind:
                call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False,
                             verbosity=verbosity)
        self.stdout.write(f"tenant schemas: {len(behind)} migrated, {len(tenants) - len(behind)} already up to date")
        loaded = ensure_calendar_years()
        if loaded:
            self.stdout.write(f"working-day calendar loaded for {', '.join(map(str, loaded))}")
        self.stdout.write(self.style.SUCCESS("public, base and tenant schemas are up to date"))
