"""The portal's rankings (public host, no login) and their open-data feed. Reads only the public schema."""
from __future__ import annotations

import csv
import json
import re
from datetime import date

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control

from haochaping.disclosure.rankings import MIN_RATINGS, month_bounds, monthly_competition, rankings

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
    return render(request, "web/portal_rankings.html", context)


@cache_control(public=True, max_age=60)
def open_data_rankings(request, fmt: str):
    """The same rankings as JSON or CSV (UTF-8 with BOM, so spreadsheets open it in Chinese)."""
    level = request.GET.get("level", "tenant")
    if level not in LEVELS:
        return JsonResponse({"error": {"code": "INVALID_LEVEL", "message": "level 须为 tenant、item 或 window",
                                       "messageEn": "level must be tenant, item or window"}}, status=400)
    year, month = _period(request)
    start, end = month_bounds(year, month)
    rows = _rows(level, start, end, None)
    if fmt == "json":
        body = {"month": f"{year}-{month:02d}", "level": level, "minRatingsForScore": MIN_RATINGS,
                "method": "Wilson score lower bound (95%) of the satisfaction rate", "rows": rows}
        return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rankings-{level}-{year}-{month:02d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["排名", "名称", "所属单位", "评价数", "不予采纳数", "好评率", "排名得分"])
    for row in rows:
        writer.writerow([row["rank"] or "", row["name"], row["tenant"], row["ratings"], row["excluded"],
                         "" if row["satisfactionRate"] is None else f"{row['satisfactionRate']:.4f}",
                         "" if row["score"] is None else f"{row['score']:.4f}"])
    return response
