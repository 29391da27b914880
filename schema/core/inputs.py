"""Input that can never be right, refused with a typed error before anything executes.

- A NUL character (U+0000) in any string — a literal in the document or a variable, also inside input objects, lists
  and JSON values: PostgreSQL cannot store it in text or jsonb, so it would fail deep inside a service (or after
  part of a mutation ran). Refused with `INVALID_CHARACTER`.
- An `Upload` argument that is not a file (a JSON body can only carry a string or a number there): files come as
  multipart requests. Refused with `UPLOAD_REQUIRED`.
- A `DateTime` whose instant has no date in UTC or in local time (e.g. `9999-12-31T23:59:59-12:00`, or a naive
  `0001-01-01T00:00:00` read as Asia/Shanghai): PostgreSQL stored it, and every later read of the row failed.
  Refused with `INVALID_DATETIME`.

Each comes with a Chinese and an English message, like the refusals in `limits.py`. In a literal argument the error
carries its code; for a variable, graphql-core reports "Variable '$x' got invalid value …" followed by the same message."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from graphql import BREAK, StringValueNode, Visitor, visit
from graphql.execution import ExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import scalar

from .limits import refusal

NUL = "\x00"


class _NulLiteral(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_):
        if NUL in node.value:
            self.found = True
            return BREAK
        return None


def literal_has_nul(document) -> bool:
    finder = _NulLiteral()
    visit(document, finder)
    return finder.found


def value_has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(value_has_nul(key) or value_has_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(value_has_nul(item) for item in value)
    return False  # numbers, booleans, None, uploaded files


class RejectNulCharacters(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        if context.result is None and context.graphql_document is not None and (
                literal_has_nul(context.graphql_document) or value_has_nul(context.variables or {})):
            context.result = ExecutionResult(data=None, errors=[refusal(
                "INVALID_CHARACTER", "输入内容不能包含空字符（U+0000）", "Input must not contain NUL characters (U+0000)")])
        yield


def _parse_upload(value):
    if hasattr(value, "read"):  # the uploaded file strawberry put in place of the multipart part
        return value
    raise refusal("UPLOAD_REQUIRED", "请以 multipart 请求上传文件（GraphQL 多部分请求规范）",
                  "Send the file in a multipart request (GraphQL multipart request specification)")


# Replaces strawberry's Upload scalar (same name and description, so the schema is unchanged), which passes any value on.
UploadScalar = scalar(name="Upload", description="Represents a file upload.", serialize=lambda v: v,
                      parse_value=_parse_upload)


def _parse_datetime(value):
    parsed = DateTimeDefinition.parse_value(value)  # strawberry's own: ISO 8601, with or without an offset
    # Services read a naive value in TIME_ZONE (timezone.make_aware); the database keeps the instant in UTC.
    aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.get_current_timezone())
    try:
        aware.astimezone(dt.timezone.utc)
        aware.astimezone(timezone.get_current_timezone())
    except (OverflowError, ValueError):
        raise refusal("INVALID_DATETIME", "时间超出范围（换算为北京时间或协调世界时后须在公元1年至9999年之间）",
                      "The date and time is out of range (it must fall within years 1 to 9999 in UTC and local time)"
                      ) from None
    return parsed


# Replaces strawberry's DateTime scalar (same name and description), adding the range check.
DateTimeScalar = scalar(name=DateTimeDefinition.name, description=DateTimeDefinition.description,
                        serialize=DateTimeDefinition.serialize, parse_value=_parse_datetime)
