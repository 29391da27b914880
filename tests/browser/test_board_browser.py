"""The hall board in a real browser (Debian's chromium through Playwright) against daphne serving the TEST database:
(a) a 1920×1080 board shows a rating made on a phone's QR page within a couple of seconds, without a reload;
(b) a bad board link is refused with the refusal page (403);
(c) the board's socket drops when its server stops, the board says so, reconnects when the server is back and
    catches up (through the snapshot) with a rating made while it was down;
(d) a hall manager (agency) sees a bad-rating alert appear live and acknowledges it.

Everything the browser needs is committed (run_committed / by the servers) and deleted afterwards:
`restored` records the high-water marks of the tables the boards touch (tests/boards/conftest.py), deletes beyond
them, and then checks that every table in public, alpha and beta holds exactly as many rows as before.
Screenshots go to /tmp/hcp-board*.png."""
from __future__ import annotations

import re

import pytest
from django.db import connection

from boards.conftest import _marks, _restore, rate
from conftest import PASSWORD, run_committed
from live import AVAILABLE, SCREENSHOTS, _start_daphne, _stop, browser, committed_row_counts, daphne_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
if not AVAILABLE:
    pytest.skip("Debian's chromium or Playwright is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LIVE = "document.body.dataset.connection === 'live' && document.body.dataset.seq !== undefined"


def in_tenant(slug, func):
    def run():
        from django_tenants.utils import schema_context

        with schema_context(slug):
            return func()

    return run_committed(run)


def in_alpha(func):
    return in_tenant("alpha", func)


def board_token(slug: str = "alpha") -> str:
    """Committed: the first token of a hall creates its board row (deleted again by `restored`)."""
    from haochaping.boards import services

    return in_tenant(slug, lambda: services.board_token(services.hall_by_code("H01")))


def window_token() -> str:
    from haochaping.evaluations.submission import window_qr_token
    from haochaping.organizations.models import Window

    return in_alpha(lambda: window_qr_token(Window.objects.get(org__code="H01", code="W01")))



@pytest.fixture(autouse=True)
def restored(daphne_server):
    """Deletes what a test committed (ratings, the hall's board row, alerts, rectifications, the questionnaire
    stored with a first rating, sessions, jobs, flags) and proves nothing is left behind in any table."""
    before = committed_row_counts()
    marks = run_committed(_marks)
    yield
    run_committed(_restore, marks)
    after = committed_row_counts()
    assert {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v} == {}, "committed rows left behind"


@pytest.fixture
def wall(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    yield context
    context.close()


def open_board(page, url: str) -> dict:
    """Opens a board and waits for the socket and its snapshot: the figures it shows."""
    response = page.goto(url)
    assert response.status == 200
    page.wait_for_function(LIVE, timeout=15000)
    expect(page.locator('li.board-window[data-window="W01"]')).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("实时")
    return figures(page)


def figures(page) -> dict:
    count = page.locator('li.board-window[data-window="W01"] p.count').inner_text()
    match = re.fullmatch(r"今日评价 (\d+) · 差评 (\d+)", count)
    w01 = (int(match[1]), int(match[2])) if match else (0, 0)
    if not match:
        assert count == "今日暂无评价", count
    return {"seq": int(page.evaluate("document.body.dataset.seq")), "w01": w01,
            "total": int(page.locator("#total-count").inner_text()), "bad": int(page.locator("#total-bad").inner_text())}


def w01_count_text(total: int, bad: int) -> str:
    return f"今日评价 {total} · 差评 {bad}"


# --- (a) a rating on a phone shows on the wall board ------------------------------------------------------------


def test_board_shows_a_qr_rating_live(daphne_server, wall, phone):
    board = wall.new_page()
    before = open_board(board, daphne_server.url("alpha", f"/board/H01/?t={board_token()}"))
    board.evaluate("window.__notReloaded = true")

    rater = phone.new_page()
    rater.goto(daphne_server.url("alpha", f"/r/{window_token()}/"))
    expect(rater.locator("#grade-options .grade")).to_have_count(5)
    rater.locator("#grade-options").get_by_text("满意", exact=True).click()
    expect(rater.locator("#grade-4")).to_be_checked()
    rater.get_by_role("button", name="提交评价").click()
    expect(rater.get_by_role("heading", name="感谢您的评价！")).to_be_visible()

    # Pushed, not polled: within two seconds of the thank-you, on the same page load.
    card = board.locator('li.board-window[data-window="W01"]')
    expect(board.locator("#total-count")).to_have_text(str(before["total"] + 1), timeout=2000)
    expect(card.locator("p.count")).to_have_text(w01_count_text(before["w01"][0] + 1, before["w01"][1]), timeout=2000)
    expect(board.locator("#total-bad")).to_have_text(str(before["bad"]))
    first = board.locator("#board-latest li").first
    expect(first).to_contain_text("W01")
    expect(first).to_contain_text("alpha综合窗口")
    expect(first.locator(".grade-good")).to_have_text("满意")
    if before["total"] == 0:
        expect(card.locator("p.rate")).to_have_text("100.0%好评率")
    assert int(board.evaluate("document.body.dataset.seq")) == before["seq"] + 1
    assert board.evaluate("window.__notReloaded") is True
    board.screenshot(path=str(SCREENSHOTS / "hcp-board.png"))


# --- (b) a bad link --------------------------------------------------------------------------------------------


def test_board_with_a_bad_token_is_refused(daphne_server, wall):
    page = wall.new_page()
    response = page.goto(daphne_server.url("alpha", "/board/H01/?t=not-a-token"))
    assert response.status == 403
    expect(page).to_have_title(re.compile("评价屏链接无效"))
    expect(page.get_by_role("heading", name="评价屏链接无效或已更换")).to_be_visible()
    expect(page.locator("#board-status")).to_have_count(0)  # no board, no socket
    # A valid token of another tenant (same hall code, same primary keys) does not open this one's board either.
    assert page.goto(daphne_server.url("alpha", f"/board/H01/?t={board_token('beta')}")).status == 403
    expect(page.get_by_role("heading", name="评价屏链接无效或已更换")).to_be_visible()


# --- (c) the server goes away and comes back -------------------------------------------------------------------


def test_board_reconnects_and_catches_up_after_a_server_restart(daphne_server, wall):
    settings_dict = dict(connection.settings_dict)
    server = _start_daphne(settings_dict)  # its own server, on a port it can come back on
    try:
        page = wall.new_page()
        before = open_board(page, server.url("alpha", f"/board/H01/?t={board_token()}"))

        _stop(server)
        page.wait_for_function("document.body.dataset.connection === 'reconnecting'", timeout=15000)
        expect(page.locator("#board-status")).to_have_text("连接中断，正在重新连接…")

        # Rated while the board is disconnected: the event is lost to it, the snapshot on reconnect has it.
        run_committed(rate, "alpha", 1, comment="断线期间的评价")
        server = _start_daphne(settings_dict, port=server.port)
        page.wait_for_function(f"document.body.dataset.connection === 'live'"
                               f" && Number(document.body.dataset.seq) === {before['seq'] + 1}", timeout=40000)
        expect(page.locator("#board-status")).to_have_text("实时")
        expect(page.locator("#total-count")).to_have_text(str(before["total"] + 1))
        expect(page.locator("#total-bad")).to_have_text(str(before["bad"] + 1))
        expect(page.locator('li.board-window[data-window="W01"] p.count')).to_have_text(
            w01_count_text(before["w01"][0] + 1, before["w01"][1] + 1))
        first = page.locator("#board-latest li").first
        expect(first).to_contain_text("W01")
        expect(first.locator("q")).to_have_text("断线期间的评价")
        page.screenshot(path=str(SCREENSHOTS / "hcp-board-reconnected.png"))

        # And it is live again: the next rating arrives as an event.
        run_committed(rate, "alpha", 5)
        expect(page.locator("#total-count")).to_have_text(str(before["total"] + 2), timeout=5000)
        assert int(page.evaluate("document.body.dataset.seq")) == before["seq"] + 2
    finally:
        _stop(server)
        server.log.unlink(missing_ok=True)


# --- (d) the manager's view: a live alert, acknowledged ---------------------------------------------------------


def test_manager_sees_an_alert_and_acknowledges_it(daphne_server, wall):
    from haochaping.accounts.models import User
    from haochaping.boards.models import BoardAlert

    page = wall.new_page()
    page.goto(daphne_server.url("alpha", "/board/H01/manage/"))
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill("agency")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/board/H01/manage/$"))
    page.wait_for_function(LIVE, timeout=15000)
    expect(page.get_by_role("heading", name="差评预警")).to_be_visible()
    expect(page.locator("#board-no-alerts")).to_be_visible()
    expect(page.locator("#board-alerts li")).to_have_count(0)
    seq = int(page.evaluate("document.body.dataset.seq"))

    # Four bad ratings at W01 within the period (policy: at least 4 ratings, at least 50% bad) raise one alert.
    for grade in (1, 2, 1):
        run_committed(rate, "alpha", grade)
    page.wait_for_function(f"Number(document.body.dataset.seq) === {seq + 3}", timeout=5000)
    expect(page.locator("#board-alerts li")).to_have_count(0)  # three are not enough
    run_committed(rate, "alpha", 2)

    alert = page.locator("#board-alerts li")
    expect(alert).to_have_count(1, timeout=5000)
    expect(alert.locator("span")).to_contain_text("W01 alpha综合窗口：15分钟内4条评价中4条差评")
    button = alert.get_by_role("button")
    expect(button).to_have_text("确认")
    expect(button).to_be_enabled()
    expect(page.locator("#board-no-alerts")).to_be_hidden()
    expect(page.locator('li.board-window[data-window="W01"]')).to_have_class(re.compile(r"\balerting\b"))
    page.screenshot(path=str(SCREENSHOTS / "hcp-board-alert.png"))
    # On the 1920×1080 screen the alert and its button are really on screen, not clipped by the panel: the
    # topmost element at the button's centre is the button itself (checked before any click scrolls anything).
    assert page.evaluate("""() => {
        const button = document.querySelector('#board-alerts li button');
        const box = button.getBoundingClientRect();
        return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === button
            && box.bottom <= window.innerHeight;
    }"""), "the alert's button is hidden on the manager's screen"

    button.click()
    expect(button).to_have_text("已确认")
    expect(button).to_be_disabled()
    expect(alert).to_have_class("done")
    # The socket's announcement of the acknowledgement clears the window's highlight and the panel.
    expect(page.locator('li.board-window[data-window="W01"]')).not_to_have_class(re.compile(r"\balerting\b"))
    expect(page.locator("#board-no-alerts")).to_be_visible()

    rows = in_alpha(lambda: list(BoardAlert.objects.values_list("state", "acknowledged_by_id", "window__code")))
    agency = in_alpha(lambda: User.objects.get(username="agency").pk)
    assert rows == [("ACKNOWLEDGED", agency, "W01")]
