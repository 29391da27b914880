from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from haochaping.core.links import public_url, tenant_url
from haochaping.demo.loader import DEMO_PASSWORD, issue_demo_secrets, load_demo_county


class Command(BaseCommand):
    help = "加载演示县（内乡县）/ Load the demo county; a second run adds nothing"

    def add_arguments(self, parser):
        parser.add_argument("--credentials-file", default=str(settings.ROOT_DIR / ".run" / "demo-credentials.txt"),
                            help="where the demo logins, tokens and channel URLs are written (kept out of git)")

    def handle(self, *args, credentials_file, **options):
        result = load_demo_county(self.stdout)
        path = Path(credentials_file)
        # Secrets are shown only once: without the file (or after a fresh load), issue new ones.
        if result.tenants_created or not path.exists():
            s = issue_demo_secrets()
            cg = lambda p: tenant_url("chengguan", p)  # noqa: E731
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"""\
 Logins (password for all: {DEMO_PASSWORD})
   county agency admin   county_admin       {public_url('/admin/')}
   城关镇 admin           chengguan_admin    {cg('/admin/')}
   城关镇 rectification   chengguan_handler  (paper forms, hotline entry)
   城关镇 window clerk    chengguan_clerk    {cg('/clerk/')}  (请评价 → pushes a case to the W01 device)

 Rating channels in 城关镇 (window H01/W01)
   window device page    {cg('/device/')}   device token: {s['device_token']}
   QR rating page        {s['qr_url']}
   QR poster (login)     {s['poster_url']}
   一事一评 invitation    {s['invitation_url']}
   paper forms / hotline {cg('/paper-forms/')}  {cg('/hotline/')}
   demo cases            CG-DEMO-0001 … CG-DEMO-0004 (QR: case number + last 4 digits 1234, 5678, 2468, 1357)

 Hall board (评价实时大屏, 1920×1080; rate on the QR page above and watch it change)
   board                 {s['board_url']}
   manager view (alerts) {s['board_manage_url']}  (chengguan_agency)

 Bad reviews
   城关镇 ledger (台账)   {cg('/rectifications/')}  (chengguan_handler; rejections approved by chengguan_agency)
   county supervision     {public_url('/supervision/')}  (county_admin)
   rater's receipt lookup {public_url('/receipt/')}

 API tokens (Authorization: Bearer …)
   城关镇 business system (cases:write, evaluations:write): {s['system_token']}
   third-party evaluator, read-only, all tenants:          {s['evaluator_token']}
""", encoding="utf-8")
            path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"demo county ready: {result.tenants_created} tenants created"))
