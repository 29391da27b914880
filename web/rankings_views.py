"""The portal's rankings (public host, no login) and their open-data feed. Reads only the public schema."""
from __future__ import annotations

import json
import re
from datetime import date

from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from haochaping.disclosure import rankings as ranking_service
from haochaping.disclosure.rankings import MIN_RATINGS, month_bounds, monthly_competition, rankings

from .tables import Table, file_response, page_or_download, rate

LEVELS = ("tenant", "item", "window")
TOP = 20
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _period(request) -> tuple[int, int]:
    """?month=YYYY-MM, else the current month."""
    match = _MONTH.match(request.GET.get("month", ""))
    today = timezone.localdate()
    if match and 1 <= int(match.group(2)) <= 12 and 2000 <= int(match.group(1)) <= today.year + 1:
        return int(match.group(1)), int(match.group(2))
    return today.year, today.month


def _rows(level: str, start: date, end: date, limit: int | None) -> list[dict]:
    return [{"rank": r.rank, "name": r.name, "tenant": r.tenant_name, "ratings": r.ratings,
             "excluded": r.counts.excluded, "satisfactionRate": r.satisfaction_rate, "score": r.score}
            for r in rankings(level, start, end, limit=limit)]


def _rank_table(key: str, title: str, name_header: str, rows) -> Table:
    return Table(key, title, [_("名次"), name_header, _("单位"), _("评价数"), _("好评率")],
                 ((r.rank, r.name, r.tenant_name, r.ratings, rate(r.satisfaction_rate)) for r in rows))


@cache_control(public=True, max_age=60)
def portal_rankings(request):
    year, month = _period(request)
    start, end = month_bounds(year, month)
    context = {
        "month": f"{year}-{month:02d}", "min_ratings": MIN_RATINGS,
        "competition": monthly_competition(year, month),
        "items": rankings("item", start, end, limit=TOP), "windows": rankings("window", start, end, limit=TOP),
        "previous": f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}",
        "next": f"{year + (month == 12)}-{month % 12 + 1:02d}",
    }
    tables = [
        Table("competition", _("月度竞赛榜（各单位）"), [_("名次"), _("单位"), _("评价数"), _("好评率"), _("上月名次"), _("名次变化")],
              ((r.rank, r.tenant_name, r.ratings, rate(r.satisfaction_rate), r.previous_rank, r.movement)
               for r in context["competition"])),
        _rank_table("items", _("事项排名（前20）"), _("事项"), context["items"]),
        _rank_table("windows", _("窗口排名（前20）"), _("窗口"), context["windows"]),
    ]
    return page_or_download(request, "web/portal_rankings.html", context, tables, name=f"rankings-{context['month']}")


@cache_control(public=True, max_age=60)
def open_data_rankings(request, fmt: str):
    """The same rankings as JSON, CSV (UTF-8 with BOM, so spreadsheets open it in Chinese) or XLSX."""
    if fmt not in ("json", "csv", "xlsx"):
        raise Http404("格式无效 / Unknown format")
    level = request.GET.get("level", "tenant")
    if level not in LEVELS:
        return JsonResponse({"error": {"code": "INVALID_LEVEL", "message": "level 须为 tenant、item 或 window",
                                       "messageEn": "level must be tenant, item or window"}}, status=400)
    year, month = _period(request)
    # The whole list is the feed's biggest body (hundreds of KB for the windows): built once a minute, then served as is.
    key = f"open-data:rankings:{level}:{year}-{month:02d}:{fmt}"
    cached = cache.get(key) if ranking_service.CACHE_SECONDS else None
    if cached is None:
        response = _open_data_rankings(fmt, level, year, month)
        if response.status_code != 200:
            return response
        cached = (response.content, response["Content-Type"], response.get("Content-Disposition"))
        if ranking_service.CACHE_SECONDS:
            cache.set(key, cached, ranking_service.CACHE_SECONDS)
    body, content_type, disposition = cached
    response = HttpResponse(body, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def _open_data_rankings(fmt: str, level: str, year: int, month: int) -> HttpResponse:
    start, end = month_bounds(year, month)
    rows = _rows(level, start, end, None)
    if fmt == "json":
        body = {"month": f"{year}-{month:02d}", "level": level, "minRatingsForScore": MIN_RATINGS,
                "method": "Wilson score lower bound (95%) of the satisfaction rate", "rows": rows}
        return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    fraction = open_data_fraction(fmt)
    table = Table("rankings", "评价排名", ["排名", "名称", "所属单位", "评价数", "不予采纳数", "好评率", "排名得分"],
                  ((r["rank"], r["name"], r["tenant"], r["ratings"], r["excluded"], fraction(r["satisfactionRate"]),
                    fraction(r["score"])) for r in rows))
    label = f"{year}-{month:02d}"
    return file_response(fmt, table, ascii_name=f"rankings-{level}-{label}", readable_name=f"评价排名-{level}-{label}")


def open_data_fraction(fmt: str):
    """Open-data CSV keeps its published text format (0.8000); XLSX gets numbers."""
    return (lambda v: "" if v is None else f"{v:.4f}") if fmt == "csv" else rate
