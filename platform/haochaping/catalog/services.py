"""Importing the provincial base catalog (CSV, XLSX or JSON) with a report of what changed."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.db import transaction

from haochaping.core.errors import DomainError, FieldError

from .models import CatalogImport, CatalogItem, ItemType

CATALOG_FIELDS = ("code", "name", "legal_basis", "item_type")
# Column headers accepted in Chinese as well as the code names.
HEADER_ALIASES = {"事项编码": "code", "事项名称": "name", "设定依据": "legal_basis", "事项类型": "item_type"}
TYPE_LABELS = {label: value for value, label in ItemType.choices}
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def parse_catalog_file(file_name: str, content: bytes) -> list[dict]:
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError("FILE_TOO_LARGE", "文件过大（上限20MB）", "File too large (20 MB at most)", "file")
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(content.decode("utf-8-sig"))
            rows = data.get("items", data) if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise ValueError("a list of items is expected")
        elif suffix == ".csv":
            rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(content), read_only=True).active
            values = list(sheet.iter_rows(values_only=True))
            header = [str(cell or "").strip() for cell in values[0]] if values else []
            rows = [dict(zip(header, row)) for row in values[1:] if any(cell is not None for cell in row)]
        else:
            raise DomainError("UNSUPPORTED_FORMAT", "仅支持 CSV、XLSX 或 JSON 文件", "Only CSV, XLSX or JSON files are supported", "file")
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise DomainError("UNREADABLE_FILE", f"文件无法解析：{exc}", f"The file could not be read: {exc}", "file") from exc
    return [{HEADER_ALIASES.get(str(k).strip(), str(k).strip()): v for k, v in row.items()} for row in rows if isinstance(row, dict)]


def _clean_rows(rows: list[dict]) -> list[dict]:
    errors: list[FieldError] = []
    cleaned: dict[str, dict] = {}
    for number, row in enumerate(rows, start=1):
        item = {f: str(row.get(f) or "").strip() for f in CATALOG_FIELDS}
        item["item_type"] = TYPE_LABELS.get(item["item_type"], item["item_type"])
        missing = [f for f in CATALOG_FIELDS if not item[f]]
        if missing:
            errors.append(FieldError("REQUIRED", f"第{number}行缺少：{', '.join(missing)}",
                                     f"Row {number} is missing: {', '.join(missing)}", f"rows[{number}]"))
            continue
        if item["item_type"] not in ItemType.values:
            errors.append(FieldError("INVALID_ITEM_TYPE", f"第{number}行事项类型无效：{item['item_type']}",
                                     f"Row {number} has an unknown item type: {item['item_type']}", f"rows[{number}]"))
        if len(item["code"]) > 40 or len(item["name"]) > 200:
            errors.append(FieldError("TOO_LONG", f"第{number}行编码或名称过长", f"Row {number}: code or name too long", f"rows[{number}]"))
        if item["code"] in cleaned:
            errors.append(FieldError("DUPLICATE_CODE", f"第{number}行事项编码重复：{item['code']}",
                                     f"Row {number} repeats code {item['code']}", f"rows[{number}]"))
        cleaned[item["code"]] = item
    if not rows:
        errors.append(FieldError("EMPTY_FILE", "文件中没有事项", "The file has no items", "file"))
    if errors:
        raise DomainError(errors=errors)
    return list(cleaned.values())


def import_catalog(file_name: str, rows: list[dict], *, deactivate_missing: bool = True) -> CatalogImport:
    """All or nothing: a file with any bad row changes nothing and lists every bad row."""
    items = _clean_rows(rows)
    report = CatalogImport(file_name=file_name[:255])
    with transaction.atomic():
        existing = {item.code: item for item in CatalogItem.objects.select_for_update()}
        for item in items:
            current = existing.pop(item["code"], None)
            if current is None:
                CatalogItem.objects.create(**item)
                report.added.append(item["code"])
                continue
            changes = {f: [getattr(current, f), item[f]] for f in CATALOG_FIELDS if getattr(current, f) != item[f]}
            if not current.is_active:
                changes["is_active"] = [False, True]
            if changes:
                for f in CATALOG_FIELDS:
                    setattr(current, f, item[f])
                current.is_active = True
                current.save()
                report.updated.append({"code": current.code, "changes": changes})
            else:
                report.unchanged_count += 1
        if deactivate_missing:
            gone = [code for code, item in existing.items() if item.is_active]
            CatalogItem.objects.filter(code__in=gone).update(is_active=False)
            report.deactivated = gone
        report.save()
    return report


def import_catalog_file(file_name: str, content: bytes, **kwargs) -> CatalogImport:
    return import_catalog(file_name, parse_catalog_file(file_name, content), **kwargs)
