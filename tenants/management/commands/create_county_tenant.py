from django.core.management.base import BaseCommand, CommandError

from haochaping.core.errors import DomainError
from tenants.services import TenantSpec, timed_create_tenant


class Command(BaseCommand):
    help = "创建租户（乡镇、县直部门或县政务服务中心），从基础模式克隆 / Create a tenant cloned from the base schema"

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="host label and schema name, e.g. chengguan")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=["TOWNSHIP", "DEPARTMENT", "CENTER"])
        parser.add_argument("--code", required=True, help="统一社会信用代码 or 行政区划代码")
        parser.add_argument("--agency", default="", help="a township's own management agency name")

    def handle(self, *args, **options):
        spec = TenantSpec(options["slug"], options["name"], options["kind"], options["code"], options["agency"])
        try:
            tenant, seconds = timed_create_tenant(spec)
        except DomainError as error:
            raise CommandError("\n".join(f"[{e.code}] {e.message} / {e.message_en}" for e in error.errors))
        domain = tenant.get_primary_domain().domain
        self.stdout.write(self.style.SUCCESS(f"created {tenant.name} ({tenant.schema_name}) at {domain} in {seconds:.2f}s"))
