"""Every table view's download: the page's own table as CSV or XLSX.

A view describes each table it shows as a `Table` (key, title, headers, rows) built from the same context the page
renders, and returns `page_or_download(...)`. A GET with `?format=csv|xlsx` (plus `&table=<key>` when the page has
several tables; the first is the default) returns that table as a file; otherwise the page renders. Permissions are
the view's own decorators, so a download is refused exactly like its page. The files are built by
haochaping.exchange.exports (UTF-8 with BOM, openpyxl, formula-looking cells neutralised).

Conventions for the rows: rates are fractions (0.9530, four decimals) or empty when the page shows none; counts are
numbers; times are local "YYYY-MM-DD HH:MM" text (the date alone where the page shows only the date), the same in
CSV and XLSX."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from haochaping.core.errors import DomainError
from haochaping.exchange import exports

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Table:
    key: str  # ?table=<key>; ASCII, part of the file name
    title: str  # sheet name and the readable (UTF-8) file name
    headers: Sequence[str]
    rows: Iterable[Sequence]  # may be a generator: only read when downloaded


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def minute(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def day(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat() if value else ""


def yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _bad_request(message: str, message_en: str) -> HttpResponse:
    return HttpResponse(f"{message} / {message_en}", status=400, content_type="text/plain; charset=utf-8")


def content_disposition(ascii_name: str, readable_name: str) -> str:
    """An ASCII `filename` for old clients and an RFC 5987 `filename*` with the Chinese title."""
    fallback = _UNSAFE_FILENAME.sub("_", ascii_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(readable_name, safe='')}"


def file_response(fmt: str, table: Table, *, ascii_name: str, readable_name: str) -> HttpResponse:
    """`table` as a CSV or XLSX attachment (names without the extension); 400 for another format."""
    try:
        body = exports.render(fmt, [str(h) for h in table.headers], table.rows, str(table.title))
    except DomainError as error:
        first = error.errors[0]
        return _bad_request(first.message, first.message_en)
    response = HttpResponse(body, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition(f"{ascii_name}.{fmt}", f"{readable_name}.{fmt}")
    return response


def download(request, tables: Sequence[Table], *, name: str) -> HttpResponse:
    """The requested table as a file; 400 for an unknown format or table."""
    fmt = request.GET.get("format", "").lower()
    key = request.GET.get("table", "")
    table = next((t for t in tables if t.key == key), None) if key else (tables[0] if tables else None)
    if table is None:
        return _bad_request("该页面没有这个表格", "This page has no such table")
    stamp = timezone.localdate().strftime("%Y%m%d")
    return file_response(fmt, table, ascii_name=f"{name}-{table.key}-{stamp}", readable_name=f"{table.title}-{stamp}")


def page_or_download(request, template: str, context: dict, tables: Sequence[Table], *, name: str,
                     status: int = 200) -> HttpResponse:
    """The page, or (GET with ?format=) one of its tables as a file."""
    if request.method in ("GET", "HEAD") and "format" in request.GET:
        return download(request, tables, name=name)
    return render(request, template, context, status=status)
