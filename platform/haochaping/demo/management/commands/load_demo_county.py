from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from haochaping.accounts.models import ApiToken
from haochaping.accounts.tokens import issue_evaluator_token
from haochaping.demo.loader import DEMO_PASSWORD, EVALUATOR_TOKEN_NAME, load_demo_county
from haochaping.core.links import public_url, tenant_url
from tenants.models import Tenant


class Command(BaseCommand):
    help = "加载演示县（内乡县）/ Load the demo county; a second run adds nothing"

    def add_arguments(self, parser):
        parser.add_argument("--credentials-file", default=str(settings.ROOT_DIR / ".run" / "demo-credentials.txt"),
                            help="where the demo logins and the evaluator token are written (kept out of git)")

    def handle(self, *args, credentials_file, **options):
        result = load_demo_county(self.stdout)
        path = Path(credentials_file)
        token = result.evaluator_token
        if token is None and not path.exists():
            # The secret is only ever shown once: without the file, revoke and issue a fresh one.
            with schema_context("public"):
                ApiToken.objects.filter(name=EVALUATOR_TOKEN_NAME).delete()
                slugs = sorted(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
                token = issue_evaluator_token(name=EVALUATOR_TOKEN_NAME, tenant_slugs=slugs).secret
        if token is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"县级平台 (county agency admin): {public_url('/admin/')}  county_admin / {DEMO_PASSWORD}\n"
                f"城关镇 (chengguan admin):      {tenant_url('chengguan', '/admin/')}  chengguan_admin / {DEMO_PASSWORD}\n"
                f"第三方评估机构只读令牌 (evaluator read-only token): {token}\n", encoding="utf-8")
            path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"demo county ready: {result.tenants_created} tenants created"))
