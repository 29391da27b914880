"""The portal's unit pages, item search and guide pages, monthly report, embeddable widget and units open-data feed
(public host, no login). Thin: the figures come from haochaping.disclosure.portal, which reads only the public
schema."""
from __future__ import annotations

import json
import re

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt

from haochaping.analytics.comments import DIMENSIONS
from haochaping.core.channels import CHANNEL_LABELS_EN, EvaluationChannel
from haochaping.disclosure import portal
from haochaping.disclosure.charts import Point, bars_and_line
from haochaping.disclosure.rankings import MIN_RATINGS
from haochaping.items.models import EVALUATION_CHANNELS, HANDLING_CHANNELS

from .rankings_views import _period, open_data_fraction
from .rectification_views import OUTCOME_LABELS, STATE_LABELS
from .tables import Table, day, file_response, page_or_download, rate, yes_no

_REPORT_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CASE_KINDS = {"IMMEDIATE": gettext_lazy("即办件"), "PROMISED": gettext_lazy("承诺件")}
ITEM_TYPES = {
    "ADMINISTRATIVE_LICENSE": ("行政许可", "Administrative licence"),
    "ADMINISTRATIVE_CONFIRMATION": ("行政确认", "Administrative confirmation"),
    "ADMINISTRATIVE_PAYMENT": ("行政给付", "Administrative payment"),
    "ADMINISTRATIVE_LEVY": ("行政征收", "Administrative levy"),
    "ADMINISTRATIVE_AWARD": ("行政奖励", "Administrative award"),
    "OTHER_POWER": ("其他行政权力", "Other administrative power"),
    "PUBLIC_SERVICE": ("公共服务", "Public service"),
}
SOURCES = {"BAD_REVIEW": gettext_lazy("差评"), "COMPLAINT": gettext_lazy("投诉")}
QUERY_LIMIT = 50


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _pick(pair: tuple[str, str] | None, fallback: str) -> str:
    return (pair[1] if _english() else pair[0]) if pair else fallback


def _channel(code: str) -> str:
    try:
        return CHANNEL_LABELS_EN[code] if _english() else EvaluationChannel(code).label
    except (KeyError, ValueError):
        return code


def _guide(item) -> dict:
    """The published guide JSON with labels in the visitor's language."""
    g = dict(item.guide or {})
    g["case_kind_label"] = CASE_KINDS.get(g.get("case_kind"), g.get("case_kind", ""))
    g["channel_labels"] = [_pick(HANDLING_CHANNELS.get(c), c) for c in g.get("channels", [])]
    g["evaluation_channel_labels"] = [_pick(EVALUATION_CHANNELS.get(c), c) for c in g.get("evaluation_channels", [])]
    return g


def _topic(key: str) -> str:
    d = DIMENSIONS.get(key)
    return (d.name if _english() else d.label) if d else key


def _item_row(item) -> dict:
    return {"item": item, "type_label": _pick(ITEM_TYPES.get(item.item_type), item.item_type), "guide": _guide(item)}


def _chart(months, chart_id: str = "unit-chart"):
    points = []
    for m in months:
        rate = m.satisfaction_rate
        rate_text = f"{rate * 100:.1f}%" if rate is not None else _("评价数不足")
        points.append(Point(label=f"{m.month}", count=m.ratings, rate=rate,
                            title=_("%(month)s：%(n)s 条评价，好评率 %(rate)s") % {"month": m.label, "n": m.ratings,
                                                                             "rate": rate_text}))
    return bars_and_line(points, chart_id=chart_id, title=_("近12个月评价数与好评率"),
                         description=_("柱形为每月评价数，折线为好评率（评价数不足%(min)s条的月份不显示好评率）；"
                                       "具体数字见下表。") % {"min": MIN_RATINGS})


def _item_table(items: list[dict]) -> Table:
    return Table("items", _("事项与办事指南"), [_("事项"), _("编码"), _("单位"), _("办件类型"), _("承诺时限（工作日）")],
                 ((row["item"].name, row["item"].item_code, row["item"].tenant.name, row["guide"]["case_kind_label"],
                   row["guide"].get("promised_limit_days")) for row in items))


def _unit_tables(data: dict) -> list[Table]:
    """The unit page's tables, from the published rows the page shows (no rater or staff data, masked case numbers)."""
    months = [(m.label, m.ratings, rate(m.satisfaction_rate), m.excluded) for m in data["months_desc"]]
    year = data["year_counts"]
    months.append((_("合计"), year.counted, rate(year.satisfaction_rate) if year.counted >= MIN_RATINGS else None,
                   year.excluded))
    return [
        Table("months", _("近12个月"), [_("月份"), _("评价数"), _("好评率"), _("不予采纳")], months),
        Table("rectifications", _("差评整改"),
              [_("收到"), _("来源"), _("事项"), _("状态"), _("整改结果"), _("办结时间"), _("超期")],
              ((day(row["r"].opened_at), row["source"], row["r"].item_name, row["state"], row["outcome"],
                day(row["r"].closed_at), yes_no(bool(row["r"].closed_at and row["r"].closed_at > row["r"].due)))
               for row in data["rectifications"])),
        Table("improvements", _("集中问题整改公开"), [_("对象"), _("问题"), _("差评数"), _("整改措施"), _("完成时间"), _("超期")],
              ((p.subject_name, topic, p.review_count, p.outcome, day(p.closed_at), yes_no(not p.on_time))
               for p, topic in data["improvements"])),
        Table("fees", _("配套服务收费"), [_("服务场所"), _("服务"), _("收费标准"), _("收费依据")],
              ((f.org_name, f.service_name, _("免费") if f.is_free else f.fee, f.fee_basis) for f in data["fees"])),
        Table("overdue", _("逾期办件的原因"), [_("办件编号"), _("事项"), _("承诺办结"), _("实际办结"), _("逾期原因")],
              ((o.case_number_masked, o.item_name, day(o.promised_at), day(o.completed_at), o.reason)
               for o in data["overdue"])),
    ]


def unit_page(request, slug: str):
    tenant = portal.unit(slug)
    if tenant is None:
        raise Http404("单位不存在 / No such unit")
    query = request.GET.get("q", "").strip()[:QUERY_LIMIT]
    data = portal.unit_page(tenant, timezone.localdate(), query)
    data["items"] = [_item_row(i) for i in data["items"]]
    data["rectifications"] = [{"r": r, "source": SOURCES.get(r.source, r.source),
                               "state": STATE_LABELS.get(r.state, r.state),
                               "outcome": OUTCOME_LABELS.get(r.outcome, r.outcome) if r.outcome else ""}
                              for r in data["rectifications"]]
    data["improvements"] = [(p, _topic(p.topic)) for p in data["improvements"]]
    data["months_desc"] = list(reversed(data["months"]))
    context = {**data, "tenant": tenant, "query": query, "chart": _chart(data["months"]), "min_ratings": MIN_RATINGS}
    return page_or_download(request, "web/portal_unit.html", context, _unit_tables(data),
                            name=f"unit-{tenant.schema_name}")


def item_search(request):
    query = request.GET.get("q", "").strip()[:QUERY_LIMIT]
    items = [_item_row(i) for i in portal.search_items(query)]
    return page_or_download(request, "web/portal_items.html", {"items": items, "query": query}, [_item_table(items)],
                            name="items")


def item_guide(request, slug: str, code: str):
    item = portal.published_item(slug, code)
    if item is None:
        raise Http404("事项不存在 / No such item")
    return render(request, "web/portal_item.html", {**_item_row(item), "tenant": item.tenant})


def monthly_report(request, month: str):
    match = _REPORT_MONTH.match(month)
    today = timezone.localdate()
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= today.year + 1:
        raise Http404("月份无效 / No such month")
    year, mon = int(match.group(1)), int(match.group(2))
    data = portal.monthly_report(year, mon)
    data["channels"] = [(_channel(ch), counts, portal.suppressed_rate(counts)) for ch, counts in data["channels"]]
    data["improvements"] = [(p, _topic(p.topic)) for p in data["improvements"]]
    previous, following = portal.shift_month(year, mon, -1), portal.shift_month(year, mon, 1)
    return page_or_download(request, "web/portal_report.html", {
        **data, "month": f"{year}-{mon:02d}", "min_ratings": MIN_RATINGS,
        "previous": f"{previous[0]}-{previous[1]:02d}", "next": f"{following[0]}-{following[1]:02d}",
    }, _report_tables(data), name=f"report-{year}-{mon:02d}")


def _report_tables(data: dict) -> list[Table]:
    rect_headers = [_("月份口径"), _("件数"), _("已办结"), _("按期办结"), _("误评，不予采纳"), _("恶意差评，不予采纳")]
    rect_rows = [(label, s["total"], s["closed"], s["on_time"], s["mistaken"], s["malicious"])
                 for label, s in ((_("本月收到"), data["rect_opened"]), (_("本月办结"), data["rect_closed"]))]
    return [
        Table("competition", _("月度竞赛榜（各单位）"), [_("名次"), _("单位"), _("评价数"), _("好评率"), _("上月名次")],
              ((r.rank, r.tenant_name, r.ratings, rate(r.satisfaction_rate), r.previous_rank)
               for r in data["competition"])),
        Table("channels", _("各评价渠道"), [_("渠道"), _("评价数"), _("好评率")],
              ((label, counts.counted, rate(suppressed)) for label, counts, suppressed in data["channels"])),
        Table("rectifications", _("差评整改"), rect_headers, rect_rows),
        Table("improvements", _("本月完成的集中问题整改"), [_("单位"), _("对象"), _("问题"), _("差评数"), _("整改措施")],
              ((p.tenant.name, p.subject_name, topic, p.review_count, p.outcome) for p, topic in data["improvements"])),
    ]


def current_report(request):
    today = timezone.localdate()
    return monthly_report(request, f"{today.year}-{today.month:02d}")


@xframe_options_exempt  # made to be embedded in other government sites; every other page stays DENY
@cache_control(public=True, max_age=300)
def widget(request, slug: str):
    """A minimal standalone snippet: this month's satisfaction rate and rating count. ?lang=en for English."""
    tenant = portal.unit(slug)
    if tenant is None:
        raise Http404("单位不存在 / No such unit")
    language = "en" if request.GET.get("lang") == "en" else translation.get_language()
    with translation.override(language):
        today = timezone.localdate()
        figure = portal.months_of(tenant, today.year, today.month, n=1)[0]
        response = render(request, "web/portal_widget.html", {"tenant": tenant, "figure": figure,
                                                               "min_ratings": MIN_RATINGS})
    response.headers["Content-Language"] = language
    return response


@cache_control(public=True, max_age=60)
def open_data_units(request, fmt: str):
    """Per unit for ?month=YYYY-MM (default this month) as JSON, CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in ("json", "csv", "xlsx"):
        raise Http404("格式无效 / Unknown format")
    year, month = _period(request)
    rows = portal.units_open_data(year, month)
    if fmt == "json":
        body = {"month": f"{year}-{month:02d}", "minRatingsForRate": MIN_RATINGS,
                "note": "satisfactionRate is null when fewer than minRatingsForRate ratings were counted", "rows": rows}
        return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    fraction = open_data_fraction(fmt)
    table = Table("units", "各单位评价", ["单位代码", "单位", "类型", "统一代码", "月份", "评价数", "不予采纳数", "好评率",
                                        "整改办结数"],
                  ((r["slug"], r["name"], r["kind"], r["officialCode"], r["month"], r["ratings"], r["excluded"],
                    fraction(r["satisfactionRate"]), r["rectificationsClosed"]) for r in rows))
    label = f"{year}-{month:02d}"
    return file_response(fmt, table, ascii_name=f"units-{label}", readable_name=f"各单位评价-{label}")
