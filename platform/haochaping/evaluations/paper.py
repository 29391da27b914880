"""书面评价表 (paper forms) for remote stations: issuing serials, printing them (one A4 page per form, with a QR
that rates the station's first window), and entering filled forms one by one or as a CSV/XLSX batch.

Every entry goes through submit_evaluation (channel PAPER_FORM, the entering user recorded as 代录人). A batch
enters each row in its own savepoint: a failing row stores nothing, the other rows still store, and the report
lists every row. Each row's idempotency key is derived from its serial and what it says, so uploading the same
file again stores nothing twice (the rows come back DUPLICATE)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError, FieldError, NotFound
from haochaping.core.links import tenant_url
from haochaping.organizations.models import ServiceOrg, Window
from haochaping.rectification.selectors import RectificationSummary, summary_for_evaluation

from . import grades
from .models import Channel, Evaluation, PaperForm
from .policy import get_policy
from .questionnaires import current_questionnaire
from .submission import ENTRY_ROLES, NOT_ALLOWED, EvaluationInput, Submitter, submit_evaluation, window_qr_token

logger = logging.getLogger(__name__)

MAX_FORMS_PER_ISSUE = 200
MAX_SEQUENCE = 9999  # four digits per station and day
# Serial: <org code>-<yyyymmdd>-<4-digit seq>-<2-char check>. Every township numbers its stations H01, S01…, so
# the check letters (from the tenant and the rest of the serial) make a mistyped digit or another tenant's form
# "unknown" (all but 1 in 1,024 times) instead of silently entering a different form.
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
SERIAL_MAX = PaperForm._meta.get_field("serial").max_length
ORG_CODE_MAX = SERIAL_MAX - len("-20260101-0001-AB")
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_BATCH_ROWS = 1000  # about 15 s of entry in one request

STORED, FAILED, DUPLICATE = "STORED", "FAILED", "DUPLICATE"
BATCH_FIELDS = ("serial", "grade", "window", "case_number", "comment")
HEADER_ALIASES = {"表单编号": "serial", "评价等级": "grade", "窗口": "window", "窗口号": "window",
                  "办件编号": "case_number", "意见": "comment", "意见建议": "comment"}


# --- issuing ------------------------------------------------------------------------------------------------


def check_code(schema_name: str, base: str) -> str:
    raw = hashlib.sha256(f"hcp.paper:{schema_name}:{base}".encode()).digest()
    return CHECK_ALPHABET[raw[0] % len(CHECK_ALPHABET)] + CHECK_ALPHABET[raw[1] % len(CHECK_ALPHABET)]


def first_window(org: ServiceOrg) -> Window | None:
    """The window a station's paper forms and their QR rate when the form names none."""
    return Window.objects.filter(org=org, is_active=True).order_by("code", "pk").first()


def issue_paper_forms(org_id: int, count: int) -> list[PaperForm]:
    """Issue `count` (1–200) new forms for a station; serials are unique and readable."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_FORMS_PER_ISSUE:
        raise DomainError("INVALID_COUNT", f"每次可生成1到{MAX_FORMS_PER_ISSUE}份书面评价表",
                          f"Between 1 and {MAX_FORMS_PER_ISSUE} forms can be issued at a time", "count")
    org = ServiceOrg.objects.filter(pk=org_id, is_active=True).first()
    if org is None:
        raise NotFound("服务机构", "Service organisation", "orgId")
    if first_window(org) is None:
        raise DomainError("NO_WINDOW", "该站点没有启用的窗口，无法生成评价二维码",
                          "The station has no active window to rate", "orgId")
    prefix = f"{org.code.strip()[:ORG_CODE_MAX]}-{timezone.localdate():%Y%m%d}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d{{4}})-")
    with transaction.atomic():
        # Serialises issuing for one prefix (two requests for the same station and day).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"hcp.paper:{connection.schema_name}:{prefix}"])
        used = [int(m.group(1)) for serial in PaperForm.objects.filter(serial__startswith=prefix)
                .values_list("serial", flat=True) if (m := pattern.match(serial))]
        last = max(used, default=0)
        if last + count > MAX_SEQUENCE:
            raise DomainError("TOO_MANY_FORMS_TODAY", f"该站点今天最多还能生成{MAX_SEQUENCE - last}份",
                              f"Only {MAX_SEQUENCE - last} more forms can be issued for this station today", "count")
        forms = []
        for seq in range(last + 1, last + count + 1):
            base = f"{prefix}{seq:04d}"
            forms.append(PaperForm(serial=f"{base}-{check_code(connection.schema_name, base)}", org=org))
        PaperForm.objects.bulk_create(forms)
    return forms


def form_qr_url(form: PaperForm, window: Window) -> str:
    """The QR rating URL of the station's window, tagged with the form's serial."""
    return tenant_url(connection.schema_name, f"/r/{window_qr_token(window)}/") + f"?form={quote(form.serial)}"


# --- printing -----------------------------------------------------------------------------------------------

FONT = "STSong-Light"
VOLUNTARY_NOTE = ("评价自愿，不填写不影响办事。本表仅用于改进政务服务：您填写的信息依法予以保护，不公开、不用于其他用途。"
                  "评价为“{bad}”“{worst}”的，由专人核实整改并答复。")
RETURN_NOTE = "填好后请投入评价箱或交给工作人员。也可扫描右上角二维码在线评价，二者选其一即可。"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _qr_flowable(url: str, size: float):
    """The QR as vector squares (crisp when printed, no image library)."""
    import segno
    from reportlab.platypus import Flowable

    matrix = segno.make(url, error="m").matrix

    class QRCode(Flowable):
        def wrap(self, available_width, available_height):
            return size, size

        def draw(self):
            quiet = 2
            unit = size / (len(matrix) + 2 * quiet)
            canvas = self.canv
            canvas.setFillColorRGB(0, 0, 0)
            for r, row in enumerate(matrix):
                y = size - (r + quiet + 1) * unit
                c = 0
                while c < len(row):
                    if row[c]:
                        start = c
                        while c < len(row) and row[c]:
                            c += 1
                        canvas.rect((start + quiet) * unit, y, (c - start) * unit, unit, stroke=0, fill=1)
                    else:
                        c += 1

    return QRCode()


def _choices_flowable(lead: str, options: list[str], *, font_size: float, box: float, gap: float, indent: float = 0,
                      max_width: float | None = None):
    """`lead` then a drawn tick box before every option, wrapping onto more lines when needed."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Flowable

    class Choices(Flowable):
        def wrap(self, available_width, available_height):
            # Never wider than the tables around it, so everything scales alike on a crowded page.
            self.width = min(available_width, max_width or available_width)
            self.lines = self._layout(self.width)
            self.line_height = max(box, font_size) * 1.6
            self.height = len(self.lines) * self.line_height
            return self.width, self.height

        def _layout(self, width):
            lines, x = [[]], stringWidth(lead, FONT, font_size) + gap if lead else 0
            for option in options:
                w = box + 4 + stringWidth(option, FONT, font_size)
                if lines[-1] and x + w > width:
                    lines.append([])
                    x = indent
                lines[-1].append((x, option))
                x += w + gap
            return lines

        def draw(self):
            canvas = self.canv
            canvas.setFont(FONT, font_size)
            canvas.setLineWidth(0.8)
            for n, line in enumerate(self.lines):
                baseline = self.height - (n + 1) * self.line_height + (self.line_height - font_size) / 2 + 1.5
                if n == 0 and lead:
                    canvas.drawString(0, baseline, lead)
                for x, option in line:
                    canvas.rect(x, baseline - 1.5, box, box, stroke=1, fill=0)
                    canvas.drawString(x + box + 4, baseline, option)

    return Choices()


def _form_story(form: PaperForm, *, tenant_name: str, labels: dict[int, str], questions: list[dict],
                window: Window, styles: dict, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import HRFlowable, Paragraph, Spacer, Table, TableStyle

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(text, styles[style])

    qr_size = 36 * mm
    head = [
        p("政务服务“好差评”书面评价表", "title"),
        p(f"单位：{escape(tenant_name)}"),
        p(f"站点：{escape(form.org.name)}"),
        p(f"窗口：{escape(window.code)} {escape(window.name)}（如在其他窗口办理，请在下方填写窗口号）"),
        p(f"表单编号：<font size='15'>{escape(form.serial)}</font>", "serial"),
    ]
    qr_cell = [_qr_flowable(form_qr_url(form, window), qr_size), p("也可扫码在线评价", "small")]
    header = Table([[head, qr_cell]], colWidths=[width - qr_size - 6 * mm, qr_size + 6 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))

    grade_cells = [_choices_flowable("", [labels[g]], font_size=12, box=12, gap=0) for g in grades.GRADES]
    grade_table = Table([grade_cells], colWidths=[width / len(grade_cells)] * len(grade_cells))
    grade_table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                     ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                     ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 10),
                                     ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))

    story = [header, Spacer(1, 5 * mm),
             p("一、总体评价（必填，请在一个方框内打“√”）", "heading"), grade_table, Spacer(1, 4 * mm),
             p("办件编号（选填）：＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿　　窗口号（选填）：＿＿＿＿＿＿"),
             Spacer(1, 4 * mm), p("二、问询（自愿填写，请在选项前的方框内打“√”）", "heading")]
    for number, question in enumerate(questions, start=1):
        lead = f"{number}. {question['text']}"
        if question.get("kind") == "CHOICE":
            options = [str(o) for o in question.get("options", [])]
            if stringWidth(lead, FONT, 11) > width * 0.6:  # a long question gets its own line(s)
                story += [p(escape(lead) + "："), _choices_flowable("", options, font_size=11, box=10, gap=14,
                                                                     indent=18, max_width=width)]
            else:
                story.append(_choices_flowable(lead + "：", options, font_size=11, box=10, gap=14, indent=18,
                                               max_width=width))
        else:
            story += [p(f"{escape(lead)}："), HRFlowable(width="100%", thickness=0.5, color=colors.grey,
                                                         spaceBefore=12, spaceAfter=4)]
    # A long questionnaire takes room from the comment box first (the frame shrinks the rest if needed).
    comment_height = max(30 * mm, 70 * mm - max(0, len(questions) - 6) * 7 * mm)
    comment_box = Table([[p("三、意见建议（选填）", "heading")]], colWidths=[width], rowHeights=[comment_height])
    comment_box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    note = VOLUNTARY_NOTE.format(bad=labels[2], worst=labels[1])
    story += [Spacer(1, 4 * mm), comment_box, Spacer(1, 4 * mm), p(escape(note), "note"),
              p(escape(RETURN_NOTE), "note"), Spacer(1, 2 * mm),
              p(f"表单编号 {escape(form.serial)} · 每份表单只能录入一次", "small")]
    return story


def render_paper_forms_pdf(forms: list[PaperForm]) -> bytes:
    """One A4 page per form (in the order given)."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepInFrame, PageBreak, SimpleDocTemplate, Table, TableStyle

    from tenants.resolution import current_tenant

    _register_font()
    tenant_name = current_tenant().name
    labels = grades.LABELS[get_policy().label_set]
    questions = current_questionnaire(None).questions
    base = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    styles = {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, spaceAfter=4),
        "serial": ParagraphStyle("serial", parent=base, leading=22),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=20, spaceBefore=2),
        "note": ParagraphStyle("note", parent=base, fontSize=9.5, leading=14),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, alignment=TA_CENTER),
    }
    buffer = io.BytesIO()
    margin = 16 * mm
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title="政务服务“好差评”书面评价表", author=tenant_name,
                            creator="haochaping")
    # The frame pads 6pt on every side.
    width, height = doc.width - 12, doc.height - 12
    windows: dict[int, Window] = {}
    story = []
    for n, form in enumerate(forms):
        if form.org_id not in windows:
            windows[form.org_id] = first_window(form.org)
        if windows[form.org_id] is None:
            raise DomainError("NO_WINDOW", "该站点没有启用的窗口，无法生成评价二维码",
                              "The station has no active window to rate", "orgId")
        content = _form_story(form, tenant_name=tenant_name, labels=labels, questions=questions,
                              window=windows[form.org_id], styles=styles, width=width)
        # One fixed-width block, shrunk as a whole when a long questionnaire needs it: always one page per form.
        block = Table([[content]], colWidths=[width])
        block.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
        story.append(KeepInFrame(width, height - 1, [block], mode="shrink"))
        if n < len(forms) - 1:
            story.append(PageBreak())
    if not story:
        raise DomainError("INVALID_COUNT", "没有要打印的书面评价表", "There are no forms to print", "count")
    doc.build(story)
    return buffer.getvalue()


# --- entering -----------------------------------------------------------------------------------------------


def _labels_to_grades() -> dict[str, int]:
    mapping = {}
    for table in (*grades.LABELS.values(), *grades.LABELS_EN.values()):
        for grade, label in table.items():
            mapping[label.lower()] = grade
    return mapping


def parse_grade(value) -> int:
    """A grade as typed or read from a sheet: 1–5 (also '5.0' from Excel) or one of the grade labels."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value if value is not None else "").strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(float(text))
    if text and (grade := _labels_to_grades().get(text.lower())) is not None:
        return grade
    if not text:
        raise DomainError("REQUIRED", "评价等级不能为空", "Grade is required", "grade")
    raise DomainError("INVALID_GRADE", "评价等级须为1到5", "Grade must be 1 to 5", "grade")


@dataclass
class PaperEntry:
    """What one filled form says."""

    serial: str
    grade: int | str | None
    window: str = ""  # window code at the form's station; empty: the station's first window (as the QR)
    case_number: str = ""
    comment: str = ""
    answers: dict = field(default_factory=dict)


@dataclass
class EntryResult:
    evaluation: Evaluation
    replayed: bool

    @property
    def status(self) -> str:
        return DUPLICATE if self.replayed else STORED

    @property
    def rectification(self) -> RectificationSummary | None:
        return summary_for_evaluation(self.evaluation)


def entry_key(serial: str, grade: int, window: str, case_number: str, comment: str, answers: dict) -> str:
    """The idempotency key of one entry: the serial plus a digest of what the form says."""
    content = json.dumps([serial, grade, window.upper(), case_number, comment, sorted(answers.items())],
                         ensure_ascii=False, default=str)
    return f"paper:{serial}:{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def enter_paper_form(entry: PaperEntry, user: User | None) -> EntryResult:
    """Enter one filled form. The same form entered again with the same content is a replay."""
    serial = _clean(entry.serial)
    if not serial:
        raise DomainError("REQUIRED", "表单编号不能为空", "Serial is required", "serial")
    grade = parse_grade(entry.grade)
    window_code, case_number, comment = _clean(entry.window), _clean(entry.case_number), _clean(entry.comment)
    answers = {str(k): _clean(v) for k, v in (entry.answers or {}).items() if _clean(v)}
    form = PaperForm.objects.select_related("org").filter(serial__iexact=serial).first()
    serial = form.serial if form else serial
    key = entry_key(serial, grade, window_code, case_number, comment, answers)
    if form is not None and user is not None and user.role in ENTRY_ROLES:
        # The same filled form entered again (by anyone): report the first entry, store nothing.
        if (earlier := _same_entry(form, key)) is not None:
            return EntryResult(earlier, replayed=True)
    window_id = None
    if form is not None:
        if window_code:
            window = Window.objects.filter(org=form.org, code__iexact=window_code, is_active=True).first()
            if window is None:
                raise DomainError("NOT_FOUND", "该窗口不属于此书面评价表的站点",
                                  "That window is not at this form's station", "window")
            window_id = window.pk
        elif not case_number:
            window = first_window(form.org)
            window_id = window.pk if window else None
    data = EvaluationInput(grade=grade, channel=Channel.PAPER_FORM, idempotency_key=key, paper_serial=serial,
                           window_id=window_id, case_number=case_number or None, comment=comment, answers=answers)
    try:
        result = submit_evaluation(data, Submitter(user=user))
    except (DomainError, IntegrityError) as error:
        # Someone entered this form since the check above (a simultaneous upload): the same content is a replay.
        if form is None or (isinstance(error, DomainError) and "ALREADY_RATED" not in error.codes):
            raise
        if (earlier := _same_entry(form, key)) is not None:
            return EntryResult(earlier, replayed=True)
        if isinstance(error, IntegrityError) and Evaluation.objects.filter(paper_form=form).exists():
            raise DomainError("ALREADY_RATED", "该书面评价表已录入", "This paper form has already been entered",
                              "paperSerial") from error
        raise
    return EntryResult(result.evaluation, result.replayed)


def _same_entry(form: PaperForm, key: str) -> Evaluation | None:
    earlier = Evaluation.objects.filter(paper_form=form).first()
    if earlier is not None and (earlier.idempotency_key or "").endswith(f":{key}"):
        return earlier
    return None


# --- batches ------------------------------------------------------------------------------------------------


@dataclass
class BatchRow:
    row: int  # the row in the sheet; the header is row 1
    serial: str
    status: str  # STORED | FAILED | DUPLICATE
    receipt_code: str | None = None
    is_bad: bool = False
    rectification_opened: bool = False
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class BatchReport:
    file_name: str
    rows: list[BatchRow] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def stored_count(self) -> int:
        return self._count(STORED)

    @property
    def failed_count(self) -> int:
        return self._count(FAILED)

    @property
    def duplicate_count(self) -> int:
        return self._count(DUPLICATE)


def _decode_csv(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in a Chinese locale saves CSV as GBK
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("UNREADABLE_FILE", "文件编码无法识别（请使用 UTF-8 或 GBK）",
                      "Unknown text encoding (use UTF-8 or GBK)", "file")


def _read_sheet(file_name: str, content: bytes) -> list[tuple[int, list]]:
    """(row number, cells) for the header and every row, as in the spreadsheet."""
    if len(content) > MAX_BATCH_BYTES:
        raise DomainError("FILE_TOO_LARGE", "文件过大（上限5MB）", "File too large (5 MB at most)", "file")
    suffix = Path(file_name or "").suffix.lower()
    try:
        if suffix == ".csv":
            rows = list(csv.reader(io.StringIO(_decode_csv(content))))
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
            workbook.close()
        else:
            raise DomainError("UNSUPPORTED_FORMAT", "仅支持 CSV 或 XLSX 文件", "Only CSV or XLSX files are supported", "file")
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise DomainError("UNREADABLE_FILE", "文件无法解析", f"The file could not be read: {exc}", "file") from exc
    return list(enumerate(rows, start=1))


def _header(cells: list, questions: list[dict]) -> list[str | None]:
    by_text = {q["text"]: q["key"] for q in questions}
    keys = {q["key"] for q in questions}
    header, problems = [], []
    for cell in cells:
        name = _clean(cell)
        column = HEADER_ALIASES.get(name) or by_text.get(name)
        if column is None:
            lowered = name.lower().replace(" ", "_")
            column = lowered if lowered in BATCH_FIELDS else (name if name in keys else None)
        if column is None and name:
            problems.append(name)
        header.append(column)
    errors = []
    if problems:
        errors.append(FieldError("UNKNOWN_COLUMN", f"无法识别的列：{'、'.join(problems)}",
                                 f"Unknown columns: {', '.join(problems)}", "file"))
    for required, zh in (("serial", "表单编号"), ("grade", "评价等级")):
        if required not in header:
            errors.append(FieldError("MISSING_COLUMN", f"缺少“{zh}”列", f"The “{required}” column is missing", "file"))
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        errors.append(FieldError("DUPLICATE_COLUMN", f"列重复：{'、'.join(repeated)}",
                                 f"Repeated columns: {', '.join(repeated)}", "file"))
    if errors:
        raise DomainError(errors=errors)
    return header


def parse_paper_batch(file_name: str, content: bytes) -> list[tuple[int, PaperEntry]]:
    rows = _read_sheet(file_name, content)
    if not rows:
        raise DomainError("EMPTY_FILE", "文件中没有评价表", "The file has no forms", "file")
    questions = current_questionnaire(None).questions
    header = _header(rows[0][1], questions)
    entries = []
    for number, cells in rows[1:]:
        values = {column: cells[i] for i, column in enumerate(header) if column and i < len(cells)}
        if not any(_clean(v) for v in values.values()):
            continue  # blank lines are not forms
        answers = {k: v for k, v in values.items() if k not in BATCH_FIELDS and _clean(v)}
        entries.append((number, PaperEntry(
            serial=_clean(values.get("serial")), grade=values.get("grade"), window=_clean(values.get("window")),
            case_number=_clean(values.get("case_number")), comment=_clean(values.get("comment")), answers=answers)))
    if not entries:
        raise DomainError("EMPTY_FILE", "文件中没有评价表", "The file has no forms", "file")
    if len(entries) > MAX_BATCH_ROWS:
        raise DomainError("TOO_MANY_ROWS", f"每个文件最多{MAX_BATCH_ROWS}份评价表",
                          f"At most {MAX_BATCH_ROWS} forms per file", "file")
    return entries


def _enter_row(number: int, entry: PaperEntry, user: User) -> BatchRow:
    row = BatchRow(row=number, serial=entry.serial, status=FAILED)
    try:
        with transaction.atomic():  # this row's savepoint: it stores completely or not at all
            result = enter_paper_form(entry, user)
            row.status, row.serial = result.status, result.evaluation.paper_form.serial
            row.receipt_code, row.is_bad = result.evaluation.receipt_code, result.evaluation.is_bad
            row.rectification_opened = result.rectification is not None
    except DomainError as error:
        row.errors = list(error.errors)
    except Exception:  # noqa: BLE001 - one broken row must not hide the others' outcome
        logger.exception("paper batch row %s failed", number)
        row.errors = [FieldError("ROW_FAILED", "该行未能保存，请稍后重试", "This row could not be stored; try again later", None)]
    return row


def import_paper_batch(file_name: str, content: bytes, user: User | None) -> BatchReport:
    """Enter a filled batch (CSV/XLSX). Every row is reported: STORED, FAILED (with codes) or DUPLICATE."""
    if user is None or not user.is_active or user.role not in ENTRY_ROLES:
        raise DomainError(*NOT_ALLOWED)
    entries = parse_paper_batch(file_name, content)
    report = BatchReport(file_name=Path(file_name or "").name[:255])
    for number, entry in entries:
        report.rows.append(_enter_row(number, entry, user))
    return report


def batch_template_csv() -> bytes:
    """An empty batch file with every accepted column (UTF-8 with BOM, so Excel opens it as UTF-8)."""
    keys = [q["key"] for q in current_questionnaire(None).questions]
    out = io.StringIO()
    csv.writer(out).writerow([*BATCH_FIELDS, *keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
