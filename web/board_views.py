"""Hall board pages: the full-screen board opened by its signed link, and the hall manager's view with alerts.
Thin: the domain checks links and managers; the page itself talks to /ws/board/ (web/static/web/board.js)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from haochaping.boards import services
from haochaping.core.errors import DomainError

BOARD_STRINGS = {
    "live": "实时", "connecting": "正在连接…", "reconnecting": "连接中断，正在重新连接…",
    "refused": "评价屏链接无效或已更换，请联系大厅管理员", "satisfaction": "好评率", "total": "今日评价",
    "bad": "差评", "noRatings": "今日暂无评价", "latest": "最新评价", "trend": "今日评价趋势（按小时）",
    "good": "好评", "window": "窗口", "alerts": "差评预警", "noAlerts": "暂无待确认的预警",
    "acknowledge": "确认", "acknowledged": "已确认", "alertText": "{minutes}分钟内{ratings}条评价中{bad}条差评",
    "ackFailed": "确认失败，请重试", "hallTotals": "大厅合计",
}


def _page(request, org, *, manage: bool, token: str = ""):
    ws_path = f"/ws/board/{org.code}/" + ("manage/" if manage else f"?t={token}")
    config = {
        "wsPath": ws_path,
        "hall": org.code,
        "manage": manage,
        "strings": {key: _(text) for key, text in BOARD_STRINGS.items()},
    }
    return render(request, "web/board.html", {"tenant": connection.tenant, "org": org, "config": config,
                                              "manage": manage})


def _refused(request, status: int):
    return render(request, "web/board_refused.html", {"tenant": connection.tenant}, status=status)


def board_page(request, hall_code: str):
    try:
        org = services.hall_for_board_token(hall_code, request.GET.get("t", ""))
    except DomainError as error:
        return _refused(request, 404 if "NOT_FOUND" in error.codes else 403)
    return _page(request, org, manage=False, token=request.GET.get("t", ""))


@ensure_csrf_cookie
@login_required
def board_manage_page(request, hall_code: str):
    try:
        org = services.hall_by_code(hall_code)
    except DomainError:
        return _refused(request, 404)
    if not services.is_hall_manager(request.user, org):
        return render(request, "web/forbidden.html", {"tenant": connection.tenant}, status=403)
    return _page(request, org, manage=True)
