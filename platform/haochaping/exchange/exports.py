"""CSV and XLSX exports of table views, as bytes. Personal data is masked (names, phones) and free text redacted;
the caller's schema decides whose rows are read (a tenant's export is its own schema's rows only).

- table_to_csv / table_to_xlsx: any table view (headers + rows); the lead's views reuse them.
- export_evaluations: the tenant's evaluations.
- export_exchange_records: the tenant's evaluations of cases in the national (GB/T 39046 Table 9) or a provincial
  format, the same records the outbox sends.

CSV is UTF-8 with a BOM so Excel opens Chinese text correctly. A cell that starts with = + - @ (or a tab/CR) is
prefixed with an apostrophe, so a spreadsheet never runs a comment as a formula (CSV/formula injection)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.functional import Promise

from haochaping.core.channels import EvaluationChannel
from haochaping.core.errors import DomainError
from haochaping.core.privacy import mask_name, mask_phone, redact_text
from haochaping.evaluations import grades
from haochaping.evaluations.models import Evaluation

from . import codes
from .formats import NATIONAL_FIELDS, PROVINCIAL_FIELDS, to_target

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8",
                 XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EVALUATION_HEADERS = ("序号", "办件编号", "评价次数", "评价渠道", "等级", "等级文字", "差评", "补充评价", "不计入统计",
                      "意见", "评价人", "评价人电话", "实名依据", "评价时间", "事项编码", "窗口")


def _safe(value):
    if value is None:
        return ""
    if isinstance(value, Promise):  # a gettext_lazy label; openpyxl only takes plain str
        value = str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return timezone.localtime(value, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def table_to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe(h) for h in headers])
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], title: str = "导出") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "导出")
    sheet.append([_safe(h) for h in headers])
    for row in rows:
        # Strings are stored as text: openpyxl would otherwise turn a leading "=" into a formula.
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(fmt: str, headers: Sequence[str], rows: Iterable[Sequence], title: str = "导出") -> bytes:
    if fmt == CSV:
        return table_to_csv(headers, rows)
    if fmt == XLSX:
        return table_to_xlsx(headers, rows, title)
    raise DomainError("INVALID_FORMAT", "导出格式须为CSV或XLSX", "Export format must be CSV or XLSX", "format")


def _evaluations(since: datetime | None, until: datetime | None):
    queryset = Evaluation.objects.select_related("case", "item", "window").order_by("rated_at", "pk")
    if since is not None:
        queryset = queryset.filter(rated_at__gte=since)
    if until is not None:
        queryset = queryset.filter(rated_at__lt=until)
    return queryset


def evaluation_rows(since: datetime | None = None, until: datetime | None = None):
    labels = grades.LABELS["SATISFACTION"]
    channels = dict(EvaluationChannel.choices)
    bases = dict(Evaluation.RealNameBasis.choices)
    for e in _evaluations(since, until).iterator(chunk_size=2000):
        yield (e.pk, e.case.case_number if e.case_id else "", e.round, channels.get(e.channel, e.channel), e.grade,
               labels.get(e.grade, ""), e.is_bad, e.is_supplementary, e.excluded_from_scores, redact_text(e.comment),
               mask_name(e.rater_name), mask_phone(e.rater_phone), bases.get(e.real_name_basis, e.real_name_basis),
               e.rated_at, e.item.code if e.item_id else "", e.window.code if e.window_id else "")


def export_evaluations(fmt: str, *, since: datetime | None = None, until: datetime | None = None) -> bytes:
    """The current tenant schema's evaluations (rated in [since, until)) as CSV or XLSX."""
    return render(fmt, EVALUATION_HEADERS, evaluation_rows(since, until), "评价")


def export_exchange_records(fmt: str, target: str = codes.NATIONAL, *, since: datetime | None = None,
                            until: datetime | None = None) -> bytes:
    """The tenant's evaluations of cases as national (GB/T 39046 Table 9) or provincial records."""
    from tenants.resolution import current_tenant

    if target != codes.NATIONAL and target not in codes.provinces():
        raise DomainError("UNKNOWN_CODE_TABLE", f"没有“{target}”的交换格式", f"No exchange format {target!r}", "target")
    fields = NATIONAL_FIELDS if target == codes.NATIONAL else PROVINCIAL_FIELDS
    tenant = current_tenant()
    rows = ([to_target(e, target, tenant)[name] for name in fields]
            for e in _evaluations(since, until).filter(case__isnull=False).iterator(chunk_size=2000))
    return render(fmt, fields, rows, "国家标准" if target == codes.NATIONAL else target)
