"""差评整改 in a real browser (Debian's chromium through Playwright) against daphne serving the TEST database: a handler
signs in, opens a bad review's rectification from the ledger, records the follow-up, uploads a PNG as evidence, fixes
it at once with feedback and sees 已办结 on the timeline; the anonymous rater's receipt page then shows the feedback.

Data is committed with `run_committed` (the test's own connection is rolled back) and removed afterwards.
Screenshots go to /tmp/rect-*.png."""
from __future__ import annotations

import secrets
import struct
import tempfile
import zlib
from pathlib import Path

import pytest

from conftest import PASSWORD, run_committed
from live import AVAILABLE, browser, daphne_server, sync_api  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
if not AVAILABLE:
    pytest.skip("Debian's chromium or Playwright is not installed", allow_module_level=True)

SCREENSHOTS = Path(tempfile.gettempdir())


def png(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG (a red block), built by hand: no imaging library needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xb7\x1c\x1c" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def in_alpha(func):
    def run():
        from django_tenants.utils import schema_context

        with schema_context("alpha"):
            return func()

    return run_committed(run)


def make_bad_review(item: str) -> tuple[int, str]:
    """An anonymous bad QR review at W01 and its rectification: (rectification id, receipt code)."""
    from django.db import connection
    from django.utils import timezone

    from haochaping.evaluations.models import Evaluation
    from haochaping.organizations.models import Window
    from haochaping.rectification.services import open_for_evaluation
    from tenants.models import Tenant

    def make():
        code = secrets.token_hex(5).upper()
        evaluation = Evaluation.objects.create(grade=1, channel="QR_CODE", receipt_code=code, is_bad=True,
                                               window=Window.objects.get(code="W01"), comment="窗口无人，等了半小时",
                                               rated_at=timezone.now())
        r = open_for_evaluation(evaluation, Tenant.objects.get(schema_name=connection.schema_name))
        type(r).objects.filter(pk=r.pk).update(item_name=item)
        return r.pk, code

    return in_alpha(make)


def remove(pk: int, code: str) -> None:
    """Events are append-only (a trigger refuses DELETE): the cleanup turns triggers off for its own transaction."""
    from django.db import connection, transaction

    from haochaping.evaluations.models import Evaluation
    from haochaping.rectification.models import ContactAccess, Evidence, FollowUp, Rectification, RectificationEvent

    def delete():
        for evidence in Evidence.objects.filter(rectification_id=pk):
            evidence.file.delete(save=False)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            ContactAccess.objects.filter(rectification_id=pk).delete()
            Evidence.objects.filter(rectification_id=pk).delete()
            FollowUp.objects.filter(rectification_id=pk).delete()
            RectificationEvent.objects.filter(rectification_id=pk).delete()
            Rectification.objects.filter(pk=pk).delete()
            Evaluation.objects.filter(receipt_code=code).delete()
            from haochaping.disclosure.models import PublishedRectification

            PublishedRectification.objects.filter(tenant__schema_name="alpha", rectification_id=pk).delete()

    in_alpha(delete)


def screenshot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"rect-{name}.png"), full_page=True)


def test_handler_follows_up_uploads_evidence_fixes_and_rater_sees_feedback(daphne_server, browser):
    from haochaping.rectification.models import Rectification

    item = f"浏览器整改测试{secrets.token_hex(3)}"
    pk, code = make_bad_review(item)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    rater = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    evidence_file = Path(tempfile.mkstemp(prefix="rect-evidence-", suffix=".png")[1])
    evidence_file.write_bytes(png())
    expect = sync_api.expect
    feedback = "已安排专人值守窗口，午间不再空岗，感谢您的监督。"
    try:
        page = staff.new_page()
        page.goto(daphne_server.url("alpha", "/rectifications/"))
        assert "/accounts/login/" in page.url
        page.get_by_label("用户名").fill("handler")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="差评整改台账")).to_be_visible()
        row = page.locator(f'#ledger tr[data-id="{pk}"]')
        expect(row).to_contain_text(item)
        expect(row).to_contain_text("待回访核实")
        screenshot(page, "ledger")
        row.get_by_role("link").click()

        expect(page.locator("#rect-state")).to_have_text("待回访核实")
        expect(page.locator("#timeline")).to_contain_text("开启整改")
        page.get_by_label("回访方式").select_option("PHONE")
        page.get_by_label("评价人反映的情况").fill("评价人称中午窗口无人，等候约半小时")
        page.get_by_role("button", name="保存回访记录").click()
        expect(page.locator("#rect-state")).to_have_text("核实中")
        expect(page.get_by_role("status")).to_contain_text("已记录回访")
        expect(page.locator("#follow-ups")).to_contain_text("评价人称中午窗口无人")

        page.locator("#id_file").set_input_files(str(evidence_file))
        page.get_by_role("button", name="上传", exact=True).click()
        expect(page.locator("#evidence")).to_contain_text(evidence_file.name)
        href = page.locator("#evidence a").first.get_attribute("href")
        assert href.startswith(f"/rectifications/{pk}/evidence/")
        # Fetched by the signed-in page itself (the browser maps *.localhost; Playwright's request API would not).
        fetched = page.evaluate("""async href => { const r = await fetch(href);
            const bytes = new Uint8Array(await r.arrayBuffer());
            return {status: r.status, type: r.headers.get('content-type'), bytes: Array.from(bytes)}; }""", href)
        assert fetched["status"] == 200 and fetched["type"] == "image/png"
        assert bytes(fetched["bytes"]) == evidence_file.read_bytes()
        screenshot(page, "detail-verifying")

        page.get_by_label("反馈评价人的内容").fill(feedback)
        page.get_by_role("button", name="立行立改并反馈").click()
        expect(page.locator("#rect-state")).to_have_text("已办结")
        expect(page.locator('#timeline li[data-action="FIXED_NOW"]')).to_contain_text("已办结")
        expect(page.locator("#rect-outcome")).to_have_text("立行立改")
        expect(page.locator("#follow-ups")).to_be_visible()
        assert page.locator("form input[name=action][value=fix_now]").count() == 0
        screenshot(page, "detail-closed")

        stored = in_alpha(lambda: Rectification.objects.filter(pk=pk).values("state", "outcome", "feedback").get())
        assert stored == {"state": "CLOSED", "outcome": "FIXED_NOW", "feedback": feedback}

        # The anonymous rater looks the receipt code up on a phone.
        phone = rater.new_page()
        phone.goto(daphne_server.url("alpha", "/receipt/"))
        phone.get_by_label("回执码").fill(code.lower())
        phone.get_by_role("button", name="查询").click()
        expect(phone.locator("#receipt-state")).to_have_text("已办结")
        expect(phone.locator("#receipt-outcome")).to_have_text("立行立改")
        expect(phone.locator("#receipt-feedback")).to_have_text(feedback)
        body = phone.locator("main").inner_text()
        assert "handler" not in body and "整改专人" not in body
        screenshot(phone, "receipt")
    finally:
        staff.close()
        rater.close()
        evidence_file.unlink(missing_ok=True)
        remove(pk, code)
