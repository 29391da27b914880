import os
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

 综合点评 (comments from society; answers appear on {public_url('/comments/')} when the commenter allows)
   suggestion box        {public_url('/suggest/')}  ·  城关镇's own: {cg('/suggest/')}
   e-mail                SMTP 127.0.0.1:{os.environ.get("SMTP_INTAKE_PORT", "2525")}, to chengguan@{settings.BASE_HOST} or yijian@{settings.BASE_HOST}
   Open311 GeoReport v2  {public_url('/open311/v2/services.json')}  (POST requests.json; api_key below)
   answer / hide         {cg('/comments/')}  (chengguan_handler)
   12345 work orders     POST {public_url('/graphql/')} dispatchWorkOrder / workOrder / recordWorkOrderCallback

 监督查评 (the county's own checks; county_admin)
   surveys               {public_url('/county/surveys/')}  ·  城关镇: {cg('/surveys/')} (chengguan_admin)
   call-backs (回访)      {public_url('/county/call-backs/')}  (draw a sample, then work the calls)
   professional reports  {public_url('/assessments/')}

 API tokens (Authorization: Bearer …)
   城关镇 business system (cases:write, evaluations:write): {s['system_token']}
   third-party evaluator (城关镇, 夏馆镇; last 90 days):    {s['evaluator_token']}
   12345 hotline platform (workorders:write):              {s['hotline_token']}
   Open311 client api_key (comments:write):                {s['open311_key']}
""", encoding="utf-8")
            path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"demo county ready: {result.tenants_created} tenants created"))
