"""Dashboards: a tenant's own (readers, tenant host) and the county's (county users, public host). Same charts and
breakdowns; thin views over haochaping.analytics.dashboard."""
from __future__ import annotations

from django.db import connection
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from haochaping.accounts.models import Role
from haochaping.analytics.comments import DIMENSIONS
from haochaping.analytics.dashboard import clamp_period, county_dashboard, tenant_dashboard
from haochaping.core.channels import EvaluationChannel
from haochaping.disclosure.charts import Point, bars_and_line
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import Window
from tenants.models import Tenant

from .rating_views import roles_required
from .supervision_views import county_roles_required
from .tables import Table, page_or_download, rate

READERS = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)
CHANNELS = dict(EvaluationChannel.choices)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _chart(board) -> str:
    points = [Point(label=day.strftime("%d"), title=f"{day:%Y-%m-%d}: {c.counted}", count=c.counted,
                    rate=c.satisfaction_rate) for day, c in board.daily]
    return bars_and_line(points, title="每日评价数与好评率", description="柱为每日计入统计的评价数，线为好评率",
                         chart_id="daily")


def _context(request, board, filters: dict) -> dict:
    return {"board": board, "chart": _chart(board), "filters": filters, "channels": CHANNELS,
            "by_channel": [(CHANNELS.get(k, k), c) for k, c in board.by_channel],
            "topics": sorted(((DIMENSIONS[k].label, n) for k, n in board.topics.items() if k in DIMENSIONS),
                             key=lambda kv: -kv[1])}


def _tables(context: dict, scope: str) -> list[Table]:
    """The page's breakdown tables (the figures above them are a summary, not a table)."""
    board = context["board"]
    tables = [
        Table("channels", _("按渠道"), [_("渠道"), _("评价数"), _("好评率")],
              ((label, c.counted, rate(c.satisfaction_rate)) for label, c in context["by_channel"])),
        Table("units", _("按单位") if scope == "county" else _("按窗口"), [_("名称"), _("评价数"), _("差评"), _("好评率")],
              ((name, c.counted, c.bad, rate(c.satisfaction_rate)) for name, c in board.by_unit)),
    ]
    if scope == "tenant":
        tables.append(Table("topics", _("差评意见的问题类别"), [_("问题"), _("条数")], context["topics"]))
    return tables


@roles_required(*READERS)
def tenant_dashboard_view(request):
    start, end = clamp_period(parse_date(request.GET.get("start") or ""), parse_date(request.GET.get("end") or ""))
    filters = {"start": start, "end": end, "window": _int(request.GET.get("window")),
               "item": _int(request.GET.get("item")), "channel": request.GET.get("channel") if request.GET.get("channel") in CHANNELS else ""}
    board = tenant_dashboard(start, end, window_id=filters["window"], item_id=filters["item"], channel=filters["channel"] or None)
    context = _context(request, board, filters)
    context.update(scope="tenant", tenant=connection.tenant,
                   windows=Window.objects.filter(is_active=True).select_related("org"),
                   items=ServiceItem.objects.filter(is_active=True).select_related("catalog_item"))
    return page_or_download(request, "web/dashboard.html", context, _tables(context, "tenant"),
                            name=f"{connection.schema_name}-dashboard")


@county_roles_required
def county_dashboard_view(request):
    start, end = clamp_period(parse_date(request.GET.get("start") or ""), parse_date(request.GET.get("end") or ""))
    units = Tenant.objects.exclude(schema_name__in=["public", "tenant_base"]).filter(is_active=True).order_by("name")
    filters = {"start": start, "end": end, "unit": _int(request.GET.get("unit")),
               "channel": request.GET.get("channel") if request.GET.get("channel") in CHANNELS else ""}
    board = county_dashboard(start, end, tenant_id=filters["unit"], channel=filters["channel"] or None)
    context = _context(request, board, filters)
    context.update(scope="county", units=units)
    return page_or_download(request, "web/dashboard.html", context, _tables(context, "county"), name="county-dashboard")
