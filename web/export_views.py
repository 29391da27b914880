"""Downloads for a tenant's admins: evaluations (masked) and the exchange records, as CSV or XLSX. Thin: the domain
(haochaping.exchange.exports) builds the files; personal data is masked and comments redacted there."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from haochaping.accounts.models import Role
from haochaping.core.errors import DomainError
from haochaping.exchange import codes
from haochaping.analytics.lists import PERFORMANCE_HEADERS, performance_rows
from haochaping.exchange.exports import export_evaluations, export_exchange_records
from haochaping.exchange.exports import render as render_table

from .rating_views import roles_required

EXPORT_ROLES = (Role.TENANT_ADMIN, Role.AGENCY)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _period(request) -> tuple[datetime | None, datetime | None]:
    start, end = parse_date(request.GET.get("start", "") or ""), parse_date(request.GET.get("end", "") or "")
    since = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)) if end else None
    return since, until


def _dates(request):
    """The period as dates; the current month when not given."""
    today = timezone.localdate()
    start = parse_date(request.GET.get("start", "") or "") or today.replace(day=1)
    end = parse_date(request.GET.get("end", "") or "") or today
    return start, end


@roles_required(*EXPORT_ROLES)
def exports_page(request):
    return render(request, "web/exports.html", {"tenant": connection.tenant, "provinces": codes.provinces(),
                                                "start": request.GET.get("start", ""), "end": request.GET.get("end", "")})


@roles_required(*EXPORT_ROLES)
def export_download(request, what: str, fmt: str):
    since, until = _period(request)
    try:
        if fmt not in CONTENT_TYPES:
            raise DomainError("INVALID_FORMAT", "导出格式须为CSV或XLSX", "Export format must be CSV or XLSX", "format")
        if what == "evaluations":
            body = export_evaluations(fmt, since=since, until=until)
        elif what == "performance":
            start, end = _dates(request)
            body = render_table(fmt, PERFORMANCE_HEADERS, performance_rows(start, end), "绩效评价")
        else:
            body = export_exchange_records(fmt, what, since=since, until=until)
    except DomainError as error:
        first = error.errors[0]
        return HttpResponse(f"{first.message} / {first.message_en}", status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{connection.schema_name}-{what}-{stamp}.{fmt}"'
    return response
