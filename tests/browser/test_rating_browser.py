"""The rating pages in a real browser (Debian's chromium through Playwright) against daphne serving the TEST database:
(a) the QR page on a phone: choose a grade, submit, thank-you with a receipt code, the evaluation is stored;
(b) the window device offline: a press is queued in localStorage, shown as queued, replayed when back online with
    its idempotency key, stored exactly once (also when the same press is replayed again);
(c) the clerk pushes a case to the device and sees only that it was rated, never the grade.

Everything the browser needs is committed with `run_committed` (the test's own connection is rolled back) and
deleted again afterwards. Screenshots go to /tmp/hcp-*.png."""
from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import PASSWORD, delete_rectifications, run_committed
from live import CHROMIUM, ROOT, SCREENSHOTS, browser, committed_row_counts, daphne_server  # noqa: F401 - fixtures

# The test's own connection sits in pytest-django's rolled-back transaction and, while Playwright's sync API runs its
# event loop in this thread, Django refuses to use it: every read and write goes through run_committed's own thread
# and connection, and Playwright is stopped (function scope) before pytest-django rolls back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

if not Path(CHROMIUM).exists():  # `make test` installs it; elsewhere these tests skip
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    yield context
    context.close()


# --- committed data (the ORM runs only in run_committed's thread: Playwright's sync API owns this thread's loop) --


def in_alpha(func):
    def run():
        from django_tenants.utils import schema_context

        with schema_context("alpha"):
            return func()

    return run_committed(run)


def window_token() -> str:
    from haochaping.evaluations.submission import window_qr_token
    from haochaping.organizations.models import Window

    return in_alpha(lambda: window_qr_token(Window.objects.get(code="W01")))


def new_device() -> tuple[int, str, str]:
    """A fresh device paired to W01: (pk, serial, the token secret shown once at pairing)."""
    from haochaping.organizations.models import Window
    from haochaping.organizations.services import register_device

    serial = f"BROWSER-{uuid.uuid4().hex[:8].upper()}"

    def register():
        paired = register_device(window_id=Window.objects.get(code="W01").pk, serial=serial, name="浏览器测试评价器")
        return paired.device.pk, serial, paired.issued.secret

    return in_alpha(register)


def delete_device(pk: int) -> None:
    from haochaping.accounts.models import ApiToken
    from haochaping.evaluations.models import DevicePrompt, Evaluation
    from haochaping.organizations.models import RatingDevice

    def delete():
        Evaluation.objects.filter(device_id=pk).delete()
        DevicePrompt.objects.filter(device_id=pk).delete()
        device = RatingDevice.objects.get(pk=pk)
        token_id = device.token_id
        device.delete()
        ApiToken.objects.filter(pk=token_id).delete()

    in_alpha(delete)


def screenshot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"hcp-{name}.png"), full_page=True)


def local_queue(page) -> list[dict]:
    return json.loads(page.evaluate("localStorage.getItem('hcp.device.queue') || '[]'"))



@pytest.fixture(autouse=True)
def committed_rows_restored(daphne_server):
    """Whatever a test committed is deleted by the test itself; this checks it, so a leak fails here and not in
    some other module (the isolation tests expect alpha and beta to hold the same rows)."""
    from haochaping.boards.models import HallBoard
    from haochaping.evaluations.models import Evaluation, Questionnaire

    from django.contrib.sessions.models import Session

    from haochaping.jobs.models import Job

    before = committed_row_counts()
    last_job = run_committed(lambda: Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    existing = in_alpha(lambda: (set(Questionnaire.objects.values_list("pk", flat=True)),
                                 set(Session.objects.values_list("pk", flat=True)),
                                 set(HallBoard.objects.values_list("pk", flat=True))))
    yield

    def drop_new_rows():
        # The built-in default questionnaire is stored with a tenant's first rating; a login stores a session; a
        # hall's first rating stores its board row (the hall board's event sequence).
        new = Questionnaire.objects.exclude(pk__in=existing[0])
        assert not Evaluation.objects.filter(questionnaire__in=new).exists()
        new.delete()
        Session.objects.exclude(pk__in=existing[1]).delete()
        HallBoard.objects.exclude(pk__in=existing[2]).delete()

    in_alpha(drop_new_rows)
    # A case's rating queues its exchange record's delivery (a public job); the record went with the evaluation.
    run_committed(lambda: Job.objects.filter(pk__gt=last_job, kind="exchange.deliver").delete())
    after = committed_row_counts()
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}, "committed rows left behind"


# --- (a) the QR page on a phone ------------------------------------------------------------------------------


def test_qr_page_rate_and_get_a_receipt(daphne_server, phone):
    from haochaping.evaluations.models import Evaluation

    token = window_token()
    page = phone.new_page()
    receipt = None
    try:
        page.goto(daphne_server.url("alpha", f"/r/{token}/"))
        expect = sync_api.expect
        expect(page.locator("#grade-options .grade")).to_have_count(5)
        expect(page.get_by_text("alpha综合窗口")).to_be_visible()
        # The grades come from ratingForm.labels (the tenant's label set), best first.
        labels = page.locator("#grade-options .grade .label").all_inner_texts()
        assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        page.locator("#grade-options").get_by_text("满意", exact=True).click()  # a tap on the big button
        # Real radios named by their labels (the stars are aria-hidden): keyboard and screen readers work.
        expect(page.get_by_role("radio", name="满意", exact=True)).to_be_checked()
        expect(page.locator("#grade-4")).to_be_checked()
        expect(page.locator("#bad-note")).to_be_hidden()
        page.get_by_text("补充问询和意见（可选）").click()
        page.get_by_role("radio", name="是").first.check()
        screenshot(page, "qr-page")
        page.get_by_role("button", name="提交评价").click()

        expect(page.locator("#thanks")).to_be_visible()
        expect(page.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
        receipt = page.locator("#receipt-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-F]{12}", receipt), receipt
        expect(page.locator("#bad-followup")).to_be_hidden()
        expect(page.locator("#rating-form")).to_be_hidden()
        screenshot(page, "qr-thanks")

        stored = in_alpha(lambda: list(Evaluation.objects.filter(receipt_code=receipt).values(
            "grade", "channel", "window__code", "staff__employee_no", "case_id", "answers", "real_name_basis")))
        assert stored == [{"grade": 4, "channel": "QR_CODE", "window__code": "W01", "staff__employee_no": "E001",
                           "case_id": None, "answers": {"guidance_clear": "是"}, "real_name_basis": "NONE"}]
    finally:
        page.close()
        if receipt:
            in_alpha(lambda: Evaluation.objects.filter(receipt_code=receipt).delete())


def test_qr_page_with_a_foreign_token_shows_the_error(daphne_server, phone):
    token = window_token()  # alpha's
    page = phone.new_page()
    response = page.goto(daphne_server.url("beta", f"/r/{token}/"))
    assert response.status == 404
    sync_api.expect(page.get_by_role("heading", name="链接无效或已过期")).to_be_visible()
    sync_api.expect(page.get_by_text("The link is invalid or has expired")).to_be_visible()
    screenshot(page, "qr-invalid")
    page.close()


def test_qr_page_switches_to_english(daphne_server, phone):
    page = phone.new_page()
    expect = sync_api.expect
    page.goto(daphne_server.url("alpha", f"/r/{window_token()}/"))
    expect(page.locator("#grade-options .grade")).to_have_count(5)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Rate the service at this window")).to_be_visible()
    expect(page.locator("#grade-options .grade")).to_have_count(5)
    # Grade labels from ratingForm.labels[].labelEn, questions from textEn.
    assert page.locator("#grade-options .grade .label").all_inner_texts() == [
        "Very satisfied", "Satisfied", "Fairly satisfied", "Dissatisfied", "Very dissatisfied"]
    page.get_by_text("More questions and comments (optional)").click()
    expect(page.get_by_text("Was the guidance clear?")).to_be_visible()
    # Keyboard only: focus the first grade, move with the arrow keys, submit with Enter.
    page.locator("#grade-5").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Satisfied", exact=True)).to_be_checked()
    page.get_by_role("button", name="Submit").focus()
    screenshot(page, "qr-english")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.close()


def test_invitation_link_bad_review_says_it_will_be_followed_up(daphne_server, phone):
    from django.utils import timezone
    from urllib.parse import urlsplit

    from haochaping.evaluations.invitations import invitation_url
    from haochaping.evaluations.models import Evaluation, Invitation, ServiceCase
    from haochaping.items.models import ServiceItem
    from haochaping.organizations.models import Window
    from haochaping.rectification.models import Rectification
    from tenants.models import Tenant

    number = f"INV-{uuid.uuid4().hex[:8].upper()}"

    def make_case():
        tenant = Tenant.objects.get(schema_name="alpha")
        now = timezone.now()
        case = ServiceCase.objects.create(
            case_number=number, item=ServiceItem.objects.get(catalog_item__code="TEST-001"), accepting_unit=tenant,
            handling_unit=tenant, window=Window.objects.get(code="W01"), applicant_kind="INDIVIDUAL",
            applicant_name="赵六", applicant_phone="13700137000", status="COMPLETED",
            accepted_at=now - timedelta(days=1), completed_at=now - timedelta(hours=1))
        return urlsplit(invitation_url(Invitation.objects.create(case=case, channel="SMS"))).path

    def cleanup():
        delete_rectifications(Rectification.objects.filter(evaluation__case__case_number=number))
        Evaluation.objects.filter(case__case_number=number).delete()
        ServiceCase.objects.filter(case_number=number).delete()

    path = in_alpha(make_case)
    page = phone.new_page()
    expect = sync_api.expect
    try:
        page.goto(daphne_server.url("alpha", path))
        expect(page.get_by_text(number)).to_be_visible()
        expect(page.get_by_text("测试事项1")).to_be_visible()
        expect(page.locator("#grade-options .grade")).to_have_count(5)
        expect(page.locator("#link-case")).to_have_count(0)  # the link is bound to its case already
        page.locator("#grade-options").get_by_text("不满意", exact=True).click()
        expect(page.locator("#bad-note")).to_be_visible()  # bad review: the details open for a comment
        page.get_by_label("具体情况或其他意见").fill("等候时间太长")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
        expect(page.locator("#bad-followup")).to_be_visible()
        expect(page.locator("#bad-followup")).to_contain_text("核实整改")
        expect(page.locator("#receipt")).to_be_hidden()  # real-name (the case's applicant): answered directly
        screenshot(page, "invitation-bad-thanks")

        rows = in_alpha(lambda: list(Evaluation.objects.filter(case__case_number=number).values(
            "grade", "channel", "is_bad", "comment", "real_name_basis", "rectification__state")))
        assert rows == [{"grade": 2, "channel": "SMS", "is_bad": True, "comment": "等候时间太长",
                         "real_name_basis": "APPLICANT", "rectification__state": "OPEN"}]
        # The link is single-use: opening it again says the case is rated.
        page.goto(daphne_server.url("alpha", path))
        expect(page.get_by_role("heading", name="该办件已评价，感谢您的参与")).to_be_visible()
    finally:
        page.close()
        in_alpha(cleanup)


# --- (b) the window device offline ---------------------------------------------------------------------------


def test_device_queues_offline_and_replays_once(daphne_server, tablet):
    from haochaping.evaluations.models import Evaluation

    device_pk, _, secret = new_device()
    page = tablet.new_page()
    expect = sync_api.expect
    try:
        page.goto(daphne_server.url("alpha", "/device/"))
        # First visit: pair with the token printed at pairing; it is kept in localStorage.
        expect(page.get_by_role("heading", name="评价器配对")).to_be_visible()
        screenshot(page, "device-setup")
        page.get_by_label("评价器令牌").fill(secret)
        page.get_by_role("button", name="保存并开始").click()
        expect(page.locator("#grades button")).to_have_count(5)
        assert page.evaluate("JSON.parse(localStorage.getItem('hcp.device.token'))") == secret
        expect(page.locator("#walkup")).to_be_visible()  # no case pushed: a walk-up rating of the window
        screenshot(page, "device-page")

        tablet.set_offline(True)
        expect(page.locator("#net-status")).to_have_text("离线，已保存 0 条，联网后自动上传")
        before = time.time()
        page.locator('#grades button[data-grade="5"]').click()
        expect(page.locator("#questions")).to_be_visible()
        page.get_by_role("button", name="跳过").click()
        expect(page.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
        expect(page.locator("#thanks")).not_to_contain_text("非常满意")  # the screen never shows the grade
        expect(page.locator("#net-status")).to_have_text("离线，已保存 1 条，联网后自动上传")
        screenshot(page, "device-offline")
        queued = local_queue(page)
        assert len(queued) == 1 and queued[0]["grade"] == 5 and queued[0]["ready"] is True
        key = queued[0]["key"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
        # Back to the buttons after the thank-you screen, which stay disabled for the policy's minimum interval.
        expect(page.locator("#rate")).to_be_visible(timeout=8000)

        def stored():
            return in_alpha(lambda: list(Evaluation.objects.filter(idempotency_key=f"device:{device_pk}:{key}")
                                         .values("grade", "channel", "device_id", "window__code", "rated_at",
                                                 "created_at")))

        assert stored() == []
        time.sleep(1.5)  # the press time sent must be the press's, not the upload's
        tablet.set_offline(False)
        page.wait_for_function("JSON.parse(localStorage.getItem('hcp.device.queue') || '[]').length === 0",
                               timeout=15000)
        expect(page.locator("#net-status")).to_have_text("")
        rows = stored()
        assert len(rows) == 1, rows
        row = rows[0]
        assert (row["grade"], row["channel"], row["device_id"], row["window__code"]) == (5, "WINDOW_DEVICE", device_pk, "W01")
        assert abs(row["rated_at"].timestamp() - before) < 3
        assert row["created_at"] - row["rated_at"] > timedelta(seconds=1)

        # The same press replayed again (say the acknowledgement was lost) is not stored twice.
        page.evaluate("item => { localStorage.setItem('hcp.device.queue', JSON.stringify([item]));"
                      " window.dispatchEvent(new Event('online')); }", queued[0])
        page.wait_for_function("JSON.parse(localStorage.getItem('hcp.device.queue') || '[]').length === 0",
                               timeout=15000)
        assert len(stored()) == 1
        assert in_alpha(lambda: Evaluation.objects.filter(device_id=device_pk).count()) == 1
    finally:
        page.close()
        delete_device(device_pk)


# --- (c) the clerk never sees the grade ----------------------------------------------------------------------


def test_clerk_pushes_a_case_and_sees_only_that_it_was_rated(daphne_server, browser, tablet):
    from django.utils import timezone

    from haochaping.accounts.models import User
    from haochaping.evaluations.models import DevicePrompt, Evaluation, ServiceCase
    from haochaping.items.models import ServiceItem
    from haochaping.organizations.models import Staff, Window
    from tenants.models import Tenant

    device_pk, serial, secret = new_device()
    number = f"CLERK-{uuid.uuid4().hex[:8].upper()}"

    def make_case():
        tenant = Tenant.objects.get(schema_name="alpha")
        now = timezone.now()
        ServiceCase.objects.create(
            case_number=number, item=ServiceItem.objects.get(catalog_item__code="TEST-001"), accepting_unit=tenant,
            handling_unit=tenant, window=Window.objects.get(code="W01"), staff=Staff.objects.get(employee_no="E001"),
            applicant_kind="INDIVIDUAL", applicant_name="李四", applicant_phone="13900139000", status="COMPLETED",
            accepted_at=now - timedelta(hours=2), completed_at=now - timedelta(minutes=5))

    def link_clerk(user_id):
        # A clerk pushes only to their own window's devices: the signed-in STAFF user works W01 as E001.
        Staff.objects.filter(employee_no="E001").update(user_id=user_id)

    in_alpha(make_case)
    in_alpha(lambda: link_clerk(User.objects.get(username="staff").pk))
    clerk_context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="zh-CN")
    clerk = clerk_context.new_page()
    device = tablet.new_page()
    clerk_responses = []
    clerk.on("response", lambda r: clerk_responses.append(r) if "/graphql/" in r.url else None)
    expect = sync_api.expect
    try:
        device.goto(daphne_server.url("alpha", "/device/"))
        device.get_by_label("评价器令牌").fill(secret)
        device.get_by_role("button", name="保存并开始").click()
        expect(device.locator("#grades button")).to_have_count(5)

        clerk.goto(daphne_server.url("alpha", "/clerk/"))
        assert "/accounts/login/" in clerk.url
        clerk.get_by_label("用户名").fill("staff")
        clerk.get_by_label("密码").fill(PASSWORD)
        clerk.get_by_role("button", name="登录").click()
        expect(clerk.get_by_role("heading", name="请评价")).to_be_visible()
        clerk.get_by_label("办件编号").fill(number)
        clerk.get_by_text("指定评价器（可选）").click()
        clerk.get_by_label("评价器序列号").fill(serial)
        clerk.locator("#request-button").click()
        badge = clerk.locator(f"#requests li:has-text('{number}') .badge")
        expect(badge).to_have_text("等待评价")

        # The device shows the pushed case's item within one poll.
        expect(device.locator("#prompt-item")).to_have_text("办理事项：测试事项1", timeout=6000)
        screenshot(device, "device-prompt")
        device.locator('#grades button[data-grade="3"]').click()
        device.get_by_role("button", name="跳过").click()
        expect(device.get_by_role("heading", name="感谢您的评价！")).to_be_visible()

        expect(badge).to_have_text("已评价", timeout=8000)
        screenshot(clerk, "clerk-page")
        text = clerk.locator("body").inner_text()
        for label in ("非常满意", "基本满意", "不满意", "★"):
            assert label not in text
        seen_by_clerk = [r.text() for r in clerk_responses]
        assert any("DONE" in body for body in seen_by_clerk)
        assert not any("grade" in body.lower() for body in seen_by_clerk), seen_by_clerk

        rows = in_alpha(lambda: list(Evaluation.objects.filter(case__case_number=number).values(
            "grade", "channel", "device_id", "staff__employee_no", "real_name_basis")))
        assert rows == [{"grade": 3, "channel": "WINDOW_DEVICE", "device_id": device_pk, "staff__employee_no": "E001",
                         "real_name_basis": "APPLICANT"}]
        assert in_alpha(lambda: list(DevicePrompt.objects.filter(case__case_number=number).values_list("state", flat=True))) == ["DONE"]
    finally:
        in_alpha(lambda: link_clerk(None))
        clerk_context.close()
        device.close()
        delete_device(device_pk)
        in_alpha(lambda: ServiceCase.objects.filter(case_number=number).delete())
