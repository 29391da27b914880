"""The exchange code tables (code_tables.json), loaded once, and the look-ups in both directions.

Every table is data with its source and a `provisional` flag (docs/exchange.md). An unknown code, or an internal
value a table cannot express, raises a typed DomainError — never a guess."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from haochaping.core.errors import DomainError

TABLES_FILE = Path(__file__).with_name("code_tables.json")
NATIONAL = "national"


@lru_cache(maxsize=1)
def tables() -> dict:
    with TABLES_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def provinces() -> list[str]:
    """Provincial channel tables (every channel table but the national one)."""
    return sorted(name for name in tables()["channels"] if name != NATIONAL)


def _code_key(value, field: str) -> str:
    # A JSON record may carry a code as "6" or 6; bool and float are malformed (True == 1, 6.0 == 6).
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return value.strip()
    raise DomainError("INVALID_CODE", f"代码格式不正确：{value!r}", f"Malformed code {value!r}", field)


def channel_table(name: str) -> dict:
    table = tables()["channels"].get(name)
    if table is None:
        raise DomainError("UNKNOWN_CODE_TABLE", f"没有“{name}”的评价渠道代码表",
                          f"No channel code table named {name!r}", "province")
    return table


def channel_to_code(channel: str, table_name: str, field: str = "channel") -> str:
    for code, entry in channel_table(table_name)["codes"].items():
        if entry["channel"] == channel:
            return code
    raise DomainError("CHANNEL_NOT_EXCHANGEABLE", f"评价渠道{channel}在代码表“{table_name}”中没有对应代码",
                      f"Channel {channel} has no code in table {table_name!r}", field)


def channel_from_code(value, table_name: str, field: str) -> str:
    key = _code_key(value, field)
    entry = channel_table(table_name)["codes"].get(key)
    if entry is None:
        raise DomainError("UNKNOWN_CHANNEL_CODE", f"未知的评价渠道代码：{key}（代码表“{table_name}”）",
                          f"Unknown channel code {key} (table {table_name!r})", field)
    return entry["channel"]


def channel_label(code: str, table_name: str) -> str:
    return channel_table(table_name)["codes"][code]["label"]


def _satisfaction(table_name: str) -> dict:
    return tables()["satisfaction"][table_name]


def grade_to_code(grade: int, table_name: str) -> str:
    for code, internal in _satisfaction(table_name)["codes"].items():
        if type(grade) is int and internal == grade:
            return code
    raise DomainError("INVALID_GRADE", "评价等级须为1到5", f"Grade must be 1 to 5, not {grade!r}", "grade")


def grade_from_code(value, table_name: str, field: str) -> int:
    key = _code_key(value, field)
    grade = _satisfaction(table_name)["codes"].get(key)
    if grade is None:
        raise DomainError("UNKNOWN_SATISFACTION_CODE", f"未知的满意度代码：{key}",
                          f"Unknown satisfaction code {key} (table {table_name!r})", field)
    return grade


def satisfaction_label(code: str, table_name: str) -> str:
    return _satisfaction(table_name)["labels"][code]


def round_to_code(round_: int) -> int:
    if type(round_) is int and str(round_) in tables()["rounds"]["codes"]:
        return round_
    raise DomainError("INVALID_ROUND", "评价次数须为1（首次）或2（追评）", f"Round must be 1 or 2, not {round_!r}", "round")


def round_from_code(value, field: str) -> int:
    key = _code_key(value, field)
    round_ = tables()["rounds"]["codes"].get(key)
    if round_ is None:
        raise DomainError("UNKNOWN_ROUND", f"未知的评价次数：{key}（1 首次，2 追评）",
                          f"Unknown evaluation round {key} (1 first, 2 follow-up)", field)
    return round_
