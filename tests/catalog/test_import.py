"""Importing the provincial base catalog (CSV / XLSX / JSON): the change report, all-or-nothing validation,
and catalog updates reaching the items tenants have adopted."""
from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from openpyxl import Workbook

from haochaping.catalog.models import CatalogImport, CatalogItem
from haochaping.catalog.services import import_catalog, import_catalog_file, parse_catalog_file
from haochaping.core.errors import DomainError

from conftest import CATALOG

FIELDS = ["code", "name", "legal_basis", "item_type"]
ZH_HEADERS = ["事项编码", "事项名称", "设定依据", "事项类型"]
ITEMS_QUERY = "{ serviceItems { edges { node { code name legalBasis itemType } } } }"


def seed_rows() -> list[dict]:
    return [dict(row) for row in CATALOG]


def changed_rows() -> list[dict]:
    """TEST-001 renamed, TEST-002 unchanged, TEST-003 retyped, TEST-004/005 dropped, NEW-001 added."""
    rows = seed_rows()
    rows[0]["name"] = "测试事项1（新名称）"
    rows[2]["item_type"] = "ADMINISTRATIVE_CONFIRMATION"
    rows = rows[:3]
    rows.append({"code": "NEW-001", "name": "新增事项", "legal_basis": "《新条例》第1条", "item_type": "PUBLIC_SERVICE"})
    return rows


def csv_bytes(rows: list[dict], headers: list[str] = FIELDS, *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(f, "") for f in FIELDS])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[dict], headers: list[str] = ZH_HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(f) for f in FIELDS])
    sheet.append([None, None, None, None])  # a trailing empty row is ignored
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def snapshot() -> dict[str, tuple]:
    return {i.code: (i.name, i.legal_basis, i.item_type, i.is_active) for i in CatalogItem.objects.all()}


def assert_changed_report(report: CatalogImport) -> None:
    assert report.pk is not None
    assert report.added == ["NEW-001"]
    updated = {row["code"]: row["changes"] for row in report.updated}
    assert set(updated) == {"TEST-001", "TEST-003"}
    assert updated["TEST-001"] == {"name": ["测试事项1", "测试事项1（新名称）"]}
    assert updated["TEST-003"] == {"item_type": ["PUBLIC_SERVICE", "ADMINISTRATIVE_CONFIRMATION"]}
    assert sorted(report.deactivated) == ["TEST-004", "TEST-005"]
    assert report.unchanged_count == 1
    items = {i.code: i for i in CatalogItem.objects.all()}
    assert items["TEST-001"].name == "测试事项1（新名称）"
    assert items["TEST-003"].item_type == "ADMINISTRATIVE_CONFIRMATION"
    assert items["NEW-001"].is_active
    assert not items["TEST-004"].is_active and not items["TEST-005"].is_active


# --- formats ----------------------------------------------------------------------------------------------


def test_csv_with_field_name_headers(db):
    report = import_catalog_file("catalog.csv", csv_bytes(changed_rows()))
    assert report.file_name == "catalog.csv"
    assert_changed_report(report)


def test_csv_with_chinese_headers_and_type_labels(db):
    rows = changed_rows()
    labels = {"PUBLIC_SERVICE": "公共服务", "ADMINISTRATIVE_LICENSE": "行政许可", "ADMINISTRATIVE_CONFIRMATION": "行政确认"}
    for row in rows:
        row["item_type"] = labels[row["item_type"]]
    content = csv_bytes(rows, ZH_HEADERS, bom=True)  # Excel writes UTF-8 with a BOM
    parsed = parse_catalog_file("目录.csv", content)
    assert set(parsed[0]) == set(FIELDS)
    report = import_catalog_file("目录.csv", content)
    assert_changed_report(report)
    assert CatalogItem.objects.get(code="TEST-002").item_type == "ADMINISTRATIVE_LICENSE"


def test_xlsx(db):
    rows = changed_rows()
    rows[1]["item_type"] = "行政许可"  # labels and values may be mixed
    report = import_catalog_file("catalog.XLSX", xlsx_bytes(rows))
    assert_changed_report(report)


def test_xlsx_with_field_name_headers(db):
    report = import_catalog_file("catalog.xlsx", xlsx_bytes(changed_rows(), FIELDS))
    assert_changed_report(report)


def test_json_list(db):
    report = import_catalog_file("catalog.json", json.dumps(changed_rows(), ensure_ascii=False).encode())
    assert_changed_report(report)


def test_json_object_with_items_and_chinese_keys(db):
    rows = [dict(zip(ZH_HEADERS, (r[f] for f in FIELDS))) for r in changed_rows()]
    content = json.dumps({"version": "2025", "items": rows}, ensure_ascii=False).encode()
    assert_changed_report(import_catalog_file("catalog.json", content))


def test_reimporting_the_same_file_changes_nothing(db):
    report = import_catalog("same.json", seed_rows())
    assert report.added == [] and report.updated == [] and report.deactivated == []
    assert report.unchanged_count == len(CATALOG)


def test_keep_missing_does_not_deactivate(db):
    report = import_catalog("partial.json", seed_rows()[:2], deactivate_missing=False)
    assert report.deactivated == []
    assert report.unchanged_count == 2
    assert CatalogItem.objects.filter(is_active=True).count() == len(CATALOG)


def test_reactivation_is_reported_as_an_update(db):
    import_catalog("drop.json", seed_rows()[:4])
    assert not CatalogItem.objects.get(code="TEST-005").is_active
    report = import_catalog("back.json", seed_rows())
    assert report.updated == [{"code": "TEST-005", "changes": {"is_active": [False, True]}}]
    assert CatalogItem.objects.get(code="TEST-005").is_active


def test_values_are_trimmed(db):
    rows = seed_rows()
    rows[0] = {k: f"  {v}  " for k, v in rows[0].items()}
    report = import_catalog("spaces.json", rows)
    assert report.updated == [] and report.unchanged_count == len(CATALOG)


# --- all or nothing ---------------------------------------------------------------------------------------


def bad_rows() -> list[dict]:
    rows = changed_rows()  # would change things if it were accepted
    rows.insert(1, {"code": "BAD-001", "name": "", "legal_basis": "依据", "item_type": "PUBLIC_SERVICE"})  # row 2
    rows.insert(2, {"code": "BAD-002", "name": "未知类型", "legal_basis": "依据", "item_type": "行政审批"})  # row 3
    rows.append({"code": "TEST-001", "name": "重复", "legal_basis": "依据", "item_type": "PUBLIC_SERVICE"})  # row 7
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_bad_rows_change_nothing_and_are_all_reported(db, fmt):
    rows = bad_rows()
    content = {"csv": lambda: csv_bytes(rows, ZH_HEADERS),
               "xlsx": lambda: xlsx_bytes(rows),
               "json": lambda: json.dumps(rows, ensure_ascii=False).encode()}[fmt]()
    before, imports = snapshot(), CatalogImport.objects.count()
    with pytest.raises(DomainError) as raised:
        import_catalog_file(f"bad.{fmt}", content)
    errors = raised.value.errors
    by_field = {e.field: e for e in errors}
    assert set(by_field) == {"rows[2]", "rows[3]", "rows[7]"}
    assert by_field["rows[2]"].code == "REQUIRED" and "第2行" in by_field["rows[2]"].message
    assert "name" in by_field["rows[2]"].message_en and "Row 2" in by_field["rows[2]"].message_en
    assert by_field["rows[3]"].code == "INVALID_ITEM_TYPE" and "第3行" in by_field["rows[3]"].message
    assert "行政审批" in by_field["rows[3]"].message
    assert by_field["rows[7]"].code == "DUPLICATE_CODE" and "TEST-001" in by_field["rows[7]"].message
    assert snapshot() == before
    assert CatalogImport.objects.count() == imports
    assert not CatalogItem.objects.filter(code__in=["NEW-001", "BAD-001", "BAD-002"]).exists()


def test_one_missing_column_is_named(db):
    rows = seed_rows()
    del rows[3]["legal_basis"]
    with pytest.raises(DomainError) as raised:
        import_catalog("missing.json", rows)
    assert [(e.code, e.field) for e in raised.value.errors] == [("REQUIRED", "rows[4]")]
    assert "legal_basis" in raised.value.errors[0].message_en


@pytest.mark.parametrize("name", ["catalog.txt", "catalog.xls", "catalog", "catalog.csv.exe"])
def test_unsupported_format(db, name):
    before = snapshot()
    with pytest.raises(DomainError) as raised:
        import_catalog_file(name, b"code,name\n")
    assert raised.value.codes == ["UNSUPPORTED_FORMAT"]
    assert snapshot() == before


@pytest.mark.parametrize(("name", "content"), [
    ("broken.json", b"{not json"),
    ("broken.xlsx", b"not a zip file"),
    ("broken.json", b'"just a string"'),
])
def test_unreadable_file(db, name, content):
    with pytest.raises(DomainError) as raised:
        import_catalog_file(name, content)
    assert raised.value.codes == ["UNREADABLE_FILE"]


def test_empty_file(db):
    with pytest.raises(DomainError) as raised:
        import_catalog_file("empty.csv", csv_bytes([]))
    assert raised.value.codes == ["EMPTY_FILE"]
    assert CatalogItem.objects.filter(is_active=True).count() == len(CATALOG)


# --- catalog updates reach adopted items ------------------------------------------------------------------


def alpha_items(gql) -> dict[str, dict]:
    body = gql("alpha")(ITEMS_QUERY)
    return {edge["node"]["code"]: edge["node"] for edge in body["data"]["serviceItems"]["edges"]}


def test_rename_reaches_adopted_item_at_once(gql):
    assert alpha_items(gql)["TEST-001"]["name"] == "测试事项1"
    rows = seed_rows()
    rows[0].update(name="测试事项1（改名）", legal_basis="《测试条例》第100条", item_type="ADMINISTRATIVE_AWARD")
    connection.set_schema_to_public()
    report = import_catalog("rename.json", rows)
    assert [row["code"] for row in report.updated] == ["TEST-001"]
    item = alpha_items(gql)["TEST-001"]
    assert item == {"code": "TEST-001", "name": "测试事项1（改名）", "legalBasis": "《测试条例》第100条",
                    "itemType": "ADMINISTRATIVE_AWARD"}
    # And on the tenant's pages.
    page = Client().get("/items/TEST-001/", HTTP_HOST="alpha.localhost").content.decode()
    assert "测试事项1（改名）" in page and "《测试条例》第100条" in page
    # beta has not adopted TEST-003 … but it has TEST-001, which changed there too.
    body = gql("beta")(ITEMS_QUERY)
    names = {e["node"]["code"]: e["node"]["name"] for e in body["data"]["serviceItems"]["edges"]}
    assert names["TEST-001"] == "测试事项1（改名）"


def test_catalog_import_via_platform_graphql_upload(gql):
    client = gql("public", "county_admin")
    operations = {"query": "mutation($file: Upload!) { importCatalog(file: $file) { report { added deactivated "
                           "unchangedCount updated { code fields } } errors { code field } } }",
                  "variables": {"file": None}}
    upload = io.BytesIO(csv_bytes(changed_rows(), ZH_HEADERS))
    upload.name = "catalog.csv"
    response = client.client.post("/graphql/", data={"operations": json.dumps(operations),
                                                      "map": json.dumps({"0": ["variables.file"]}), "0": upload},
                                  HTTP_HOST="localhost")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    result = body["data"]["importCatalog"]
    assert result["errors"] == []
    assert result["report"]["added"] == ["NEW-001"]
    assert sorted(result["report"]["deactivated"]) == ["TEST-004", "TEST-005"]
    assert result["report"]["unchangedCount"] == 1
    assert sorted((u["code"], tuple(u["fields"])) for u in result["report"]["updated"]) == [
        ("TEST-001", ("name",)), ("TEST-003", ("item_type",))]
    assert alpha_items(gql)["TEST-001"]["name"] == "测试事项1（新名称）"


def test_four_basic_elements_are_read_only_in_the_tenant(gql, alpha):
    # They are not stored in the tenant schema at all …
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_schema = 'alpha' AND table_name = 'items_serviceitem'")
        columns = {row[0] for row in cursor.fetchall()}
    assert columns and not columns & {"code", "name", "legal_basis", "item_type"}
    assert "catalog_item_id" in columns
    # … no tenant mutation takes them …
    body = gql("alpha")("""{ __schema { mutationType { fields { name args { name type { name kind ofType { name } } } } } } }""",
                        expect_errors=True)
    if "errors" not in body:  # introspection may be off outside development
        names = {f["name"] for f in body["data"]["__schema"]["mutationType"]["fields"]}
        assert not {n for n in names if "catalog" in n.lower() and n != "adoptServiceItem"}
        assert not {n for n in names if n.lower().startswith(("update", "rename")) and "item" in n.lower()
                    and "guide" not in n.lower()}
    # … and the tenant admin shows them read-only.
    from haochaping.accounts.admin_sites import tenant_admin_site
    from haochaping.items.models import ServiceItem

    item_admin = tenant_admin_site._registry[ServiceItem]
    assert {"code", "name", "legal_basis", "item_type", "catalog_item"} <= set(item_admin.readonly_fields)


# --- the management command -------------------------------------------------------------------------------


def test_import_catalog_command(db, tmp_path):
    path = tmp_path / "省级目录.csv"
    path.write_bytes(csv_bytes(changed_rows(), ZH_HEADERS, bom=True))
    out = StringIO()
    call_command("import_catalog", str(path), stdout=out)
    assert "added 1, updated 2, deactivated 2, unchanged 1" in out.getvalue()
    assert CatalogImport.objects.order_by("-pk").first().file_name == "省级目录.csv"
    assert CatalogItem.objects.get(code="TEST-001").name == "测试事项1（新名称）"


def test_import_catalog_command_keep_missing(db, tmp_path):
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(xlsx_bytes(changed_rows()))
    out = StringIO()
    call_command("import_catalog", str(path), "--keep-missing", stdout=out)
    assert "deactivated 0" in out.getvalue()
    assert CatalogItem.objects.get(code="TEST-005").is_active


def test_import_catalog_command_reports_bad_rows(db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad_rows(), ensure_ascii=False), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(path), stdout=StringIO())
    text = str(raised.value)
    assert "[REQUIRED]" in text and "[INVALID_ITEM_TYPE]" in text and "[DUPLICATE_CODE]" in text
    assert "第2行" in text and "第3行" in text and "第7行" in text
    assert snapshot() == before


def test_import_catalog_command_unsupported_format(db, tmp_path):
    path = tmp_path / "catalog.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="UNSUPPORTED_FORMAT"):
        call_command("import_catalog", str(path), stdout=StringIO())
