"""CSV and XLSX exports: Excel-readable (UTF-8 with BOM), personal data masked and comments redacted, formulas
neutralised, conformant national/provincial sheets, and a tenant's export holds only its own evaluations."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from haochaping.core.errors import DomainError
from haochaping.exchange.exports import (EVALUATION_HEADERS, export_evaluations, export_exchange_records,
                                         table_to_csv, table_to_xlsx)
from haochaping.exchange.formats import NATIONAL_FIELDS, PROVINCIAL_FIELDS

from .helpers import ID_NUMBER, PHONE, stored_evaluation


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese text as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def raw_xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def export(slug: str, func, *args, **kwargs) -> bytes:
    with schema_context(slug):
        return func(*args, **kwargs)


def test_evaluations_csv_and_xlsx_mask_personal_data(db):
    stored_evaluation("EX-E-1")
    csv_rows = read_csv(export("alpha", export_evaluations, "csv"))
    xlsx_rows = read_xlsx(export("alpha", export_evaluations, "xlsx"))
    assert tuple(csv_rows[0]) == tuple(xlsx_rows[0]) == EVALUATION_HEADERS
    for rows in (csv_rows, xlsx_rows):
        (row,) = [r for r in rows[1:] if r[1] == "EX-E-1"]
        record = dict(zip(EVALUATION_HEADERS, row))
        assert record["意见"] == "电话[电话] 身份证[证件号] 办事很慢"
        assert record["评价人"] == "张**" and record["评价人电话"] == "138****5678"
        assert record["等级文字"] == "不满意" and record["差评"] == "是" and record["评价时间"] == "2025-03-04 09:02:03"
    for blob in (export("alpha", export_evaluations, "csv").decode("utf-8-sig"),
                 raw_xlsx_text(export("alpha", export_evaluations, "xlsx"))):
        assert PHONE not in blob and ID_NUMBER not in blob and "张三丰" not in blob


@pytest.mark.parametrize("target, fields", [("national", NATIONAL_FIELDS), ("henan", PROVINCIAL_FIELDS),
                                            ("province_b", PROVINCIAL_FIELDS)])
def test_exchange_record_exports_are_conformant_and_redacted(db, target, fields):
    stored_evaluation("EX-E-2", channel="SMS", queue=False)
    for fmt, reader in (("csv", read_csv), ("xlsx", read_xlsx)):
        data = export("alpha", export_exchange_records, fmt, target)
        rows = reader(data)
        assert tuple(rows[0]) == fields
        (row,) = rows[1:]
        record = dict(zip(fields, row))
        text = (data.decode("utf-8-sig") if fmt == "csv" else raw_xlsx_text(data))
        assert PHONE not in text and ID_NUMBER not in text and "张三丰" not in text
        if target == "national":
            assert record["办件编号"] == "EX-E-2" and record["评价时间"] == "20250304T090203"
            assert str(record["满意度代码"]) == "4" and record["满意度"] == "不满意"
            assert record["文字评价"] == "电话[电话] 身份证[证件号] 办事很慢" and record["行政区划"] == "411325"
        else:
            assert record["projectNo"] == "EX-E-2" and record["assessTime"] == "2025-03-04 09:02:03"
            assert str(record["satisfaction"]) == "2" and str(record["assessNumber"]) == "1"
            assert str(record["pf"]) == {"henan": "7", "province_b": "6"}[target]  # SMS
            assert record["evalDetail"] == "电话[电话] 身份证[证件号] 办事很慢"


def test_a_comment_that_looks_like_a_formula_stays_text(db):
    headers = ("意见",)
    rows = [("=HYPERLINK(\"http://evil\",\"点我\")",), ("+1", ), ("-2",), ("@SUM(A1)",), ("普通",)]
    assert [r[0] for r in read_csv(table_to_csv(headers, rows))[1:]] == [
        "'=HYPERLINK(\"http://evil\",\"点我\")", "'+1", "'-2", "'@SUM(A1)", "普通"]
    sheet = load_workbook(io.BytesIO(table_to_xlsx(headers, rows))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert cells[0].value.startswith("'=")


def test_an_unknown_format_or_target_is_a_typed_error(db):
    with pytest.raises(DomainError) as error:
        export("alpha", export_evaluations, "pdf")
    assert error.value.codes == ["INVALID_FORMAT"]
    with pytest.raises(DomainError) as error:
        export("alpha", export_exchange_records, "csv", "atlantis")
    assert error.value.codes == ["UNKNOWN_CODE_TABLE"]


def test_alphas_export_contains_none_of_betas_evaluations(db):
    from boards.conftest import rate

    rate("alpha", 4, comment="甲镇窗口很好")
    rate("beta", 1, comment="乙镇窗口很差")
    stored_evaluation("EX-I-A", slug="alpha", comment="甲镇办件意见")
    stored_evaluation("EX-I-B", slug="beta", comment="乙镇办件意见")
    for fmt in ("csv", "xlsx"):
        for func, args in ((export_evaluations, (fmt,)), (export_exchange_records, (fmt, "national")),
                           (export_exchange_records, (fmt, "henan"))):
            alpha_data = export("alpha", func, *args)
            beta_data = export("beta", func, *args)
            alpha_text = alpha_data.decode("utf-8-sig") if fmt == "csv" else raw_xlsx_text(alpha_data)
            beta_text = beta_data.decode("utf-8-sig") if fmt == "csv" else raw_xlsx_text(beta_data)
            assert "乙镇" not in alpha_text and "EX-I-B" not in alpha_text
            assert "甲镇" not in beta_text and "EX-I-A" not in beta_text
            assert "EX-I-A" in alpha_text and "EX-I-B" in beta_text
    alpha_rows = read_csv(export("alpha", export_evaluations, "csv"))[1:]
    assert {r[9] for r in alpha_rows} == {"甲镇窗口很好", "甲镇办件意见"}
