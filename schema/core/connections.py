"""The relay connection every list query uses: strawberry-django's, with its page arguments checked first.

strawberry decodes `after`/`before` and checks `first`/`last` while it slices; a cursor it did not mint (not base64,
another prefix, not a number) raises a bare ValueError or TypeError there, which the schema masks as an internal
error. Here every bad page argument is refused before anything is queried, with a typed error (a stable code, a
Chinese and an English message, `field`: the argument): `INVALID_CURSOR` or `INVALID_PAGE_SIZE`. The GraphQL type
is unchanged (still `<Node>Connection`)."""
from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64
from strawberry_django.relay import DjangoListConnection

from .limits import refusal

# Larger than any list a cursor could point into; PostgreSQL's OFFSET and LIMIT take a bigint.
MAX_CURSOR_OFFSET = 2**31 - 1


def cursor_offset(cursor: str, argument: str) -> int:
    """The offset a cursor of ours encodes (`arrayconnection:<n>`, base64), else INVALID_CURSOR."""
    try:
        prefix, offset = from_base64(cursor)
        value = int(offset) if offset.isascii() and offset.isdigit() else None
    except (ValueError, TypeError, AttributeError):
        prefix, value = None, None
    if prefix != relay.Edge.CURSOR_PREFIX or value is None or value > MAX_CURSOR_OFFSET:
        raise refusal("INVALID_CURSOR", f"分页游标 {argument} 无效，请使用查询结果中返回的游标",
                      f"The cursor in '{argument}' is not valid; use a cursor returned by this query", field=argument)
    return value


def check_page_arguments(info: strawberry.Info, *, before: str | None, after: str | None, first: int | None,
                         last: int | None) -> None:
    limit = info.schema.config.relay_max_results
    for argument, cursor in (("after", after), ("before", before)):
        if cursor:
            cursor_offset(cursor, argument)
    for argument, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= limit:
            raise refusal("INVALID_PAGE_SIZE", f"每页条数 {argument} 须在0至{limit}之间",
                          f"'{argument}' must be between 0 and {limit}", field=argument)


@strawberry.type(name="Connection", description="A connection to a list of items.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes, *, info: strawberry.Info, before: str | None = None, after: str | None = None,
                           first: int | None = None, last: int | None = None, **kwargs: Any):
        check_page_arguments(info, before=before, after=after, first=first, last=last)
        return super().resolve_connection(nodes, info=info, before=before, after=after, first=first, last=last,
                                          **kwargs)
