"""(Re)publish every tenant's item list and guides, ancillary-service fees and overdue-case reasons into the public
schema. Idempotent: safe to run again at any time (the write paths publish as they go; this catches up existing data
and removes public copies whose source is gone)."""
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from haochaping.disclosure.services import publish_catalog
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Republish item lists, guides, fees and overdue reasons of every tenant (or --tenant SLUG) to the portal."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", action="append", default=[], help="Only this tenant's slug (repeatable)")

    def handle(self, *args, tenant: list[str], **options):
        with schema_context("public"):
            tenants = list(Tenant.objects.exclude(schema_name="public").order_by("schema_name"))
        if tenant:
            tenants = [t for t in tenants if t.schema_name in tenant]
        for t in tenants:
            counts = publish_catalog(t)
            self.stdout.write(f"{t.schema_name}: {counts['items']} items, {counts['fees']} fees, "
                              f"{counts['overdue_reasons']} overdue reasons\n")
