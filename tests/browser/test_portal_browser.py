"""The public unit page in a real browser (Debian's chromium through Playwright) against daphne serving the TEST
database, on a phone (390×844) and a desktop: the chart and this month's figures show, nothing overflows the phone's
width, and the widget renders inside an iframe. Counts are committed with `run_committed` and removed afterwards.
Screenshot: /tmp/hcp-portal.png (phone) and /tmp/hcp-portal-desktop.png."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from conftest import public_count, run_committed
from live import AVAILABLE, browser, daphne_server, sync_api  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
if not AVAILABLE:
    pytest.skip("Debian's chromium or Playwright is not installed", allow_module_level=True)

SCREENSHOTS = Path(tempfile.gettempdir())
CHANNEL = "SMS"  # marks this test's rows for cleanup


def _counts(sign: int) -> None:
    """Adds the counts (sign 1) or takes them back out (sign -1), daily cells and monthly rollups alike."""
    from django.utils import timezone

    from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount
    from tenants.models import Tenant

    alpha = Tenant.objects.get(schema_name="alpha")
    for grade, n in ((5, 45), (2, 5)):
        public_count(alpha, timezone.localdate(), item_code="BROWSER", org_code="H01", window_code="W01",
                     channel=CHANNEL, grade=grade, n=sign * n)
    if sign < 0:
        PublicCount.objects.filter(tenant=alpha, n=0).delete()
        for rollup in (PublicMonthlyCount, PublicDailyTotal):
            rollup.objects.filter(tenant=alpha, n1=0, n2=0, n3=0, n4=0, n5=0, excluded=0).delete()


@pytest.fixture
def committed_counts(daphne_server):
    run_committed(_counts, 1)
    yield
    run_committed(_counts, -1)


def portal(server, path: str) -> str:
    return f"http://localhost:{server.port}{path}"


def test_unit_page_on_a_phone_and_a_desktop(daphne_server, browser, committed_counts):
    for name, viewport in (("hcp-portal.png", {"width": 390, "height": 844}),
                           ("hcp-portal-desktop.png", {"width": 1280, "height": 900})):
        page = browser.new_page(viewport=viewport)
        page.goto(portal(daphne_server, "/units/alpha/"))
        assert page.locator("h2").first.inner_text() == "甲镇"
        assert page.locator("#fig-rate").inner_text() == "90.0%"
        assert page.locator("#fig-ratings").inner_text() == "50"
        chart = page.locator("svg.chart")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box["width"] > 200 and box["width"] <= viewport["width"]
        assert page.locator("svg.chart g.bar").count() == 12
        assert page.locator("svg.chart circle").count() >= 1  # this month's rate point
        # Nothing wider than the screen: the page does not scroll sideways (wide tables scroll in their box).
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        page.close()


def test_widget_renders_inside_a_frame(daphne_server, browser, committed_counts):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_content(f'<iframe id="w" src="{portal(daphne_server, "/widget/alpha.html")}" width="260" height="120">'
                     f'</iframe>')
    frame = page.frame_locator("#w")
    assert frame.locator("#widget-rate").inner_text(timeout=10000) == "90.0%"
    page.close()
