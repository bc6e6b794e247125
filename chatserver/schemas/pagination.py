"""List cursors: `?limit=&cursor=` in, `{items, nextCursor}` out.

A cursor is the position of the last row of a page: the values of the list's sort key,
each written in a plain form and joined by dots. Most lists page by a (time, id) pair,
their keyset; channel and member lists by a name.

The form is chosen so that the pattern the OpenAPI document gives each list's cursor
describes exactly the cursors the server accepts: every string that matches it names a
position (perhaps one no row has, which is still a place to continue from), and nothing
else is taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from chatserver.errors import invalid

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# One pattern per kind of sort value, without anchors.
_PART = {
    datetime: r"-?[0-9]{1,16}",                 # microseconds since 1970 (years 1653 to 2286)
    date: r"[1-9][0-9]{0,5}",                   # the day's ordinal (day 1 is 0001-01-01)
    UUID: r"[0-9a-f]{32}",                      # the id's hex
    str: r"(?:[1-9a-f][0-9a-f]|0[1-9a-f])*",    # UTF-8 in hex, without NUL bytes (text cannot hold them)
    int: r"-?[0-9]{1,18}",
}
_DESCRIPTION = ("`nextCursor` of the previous page, as given; empty or absent for the first page. "
                "Any other value that matches the pattern is also a position to continue from.")


def _kind(kind: type) -> type:
    return datetime if kind is not date and issubclass(kind, datetime) else kind


def cursor_pattern(*kinds: type) -> str:
    """The pattern of cursors of a list sorted by values of these types (empty for the first page)."""
    return "^(?:" + r"\.".join(_PART[_kind(kind)] for kind in kinds) + ")?$"


def cursor_type(*kinds: type) -> Any:
    """The query parameter type of a list's cursor."""
    return Annotated[str, StringConstraints(max_length=512, pattern=cursor_pattern(*kinds)),
                     Field(description=_DESCRIPTION)]


Cursor = cursor_type(datetime, UUID)  # the (time, id) keyset most lists page by
TextCursor = cursor_type(str)         # lists ordered by a name


def _encode_part(value: Any) -> str:
    if isinstance(value, datetime):
        return str((value - _EPOCH) // timedelta(microseconds=1))
    if isinstance(value, date):
        return str(value.toordinal())
    if isinstance(value, str):
        return value.encode().hex()
    if isinstance(value, int):
        return str(value)
    return UUID(str(value)).hex  # uuid.UUID, or asyncpg's own UUID type


def _decode_part(kind: type, text: str) -> Any:
    if kind is datetime:
        return _EPOCH + timedelta(microseconds=int(text))
    if kind is date:
        return date.fromordinal(int(text))
    if kind is UUID:
        return UUID(hex=text)
    if kind is str:
        return bytes.fromhex(text).decode(errors="replace")
    return int(text)


def encode_cursor(position: Any) -> str:
    """The cursor of a position: one sort value, or a list of them."""
    parts = position if isinstance(position, list | tuple) else [position]
    return ".".join(_encode_part(part) for part in parts)


def _decode(cursor: str | None, kinds: tuple[type, ...]) -> tuple[Any, ...] | None:
    if not cursor:
        return None
    kinds = tuple(_kind(kind) for kind in kinds)
    if not re.fullmatch(cursor_pattern(*kinds), cursor):
        raise invalid({"cursor": "not a cursor of this list"})
    try:
        return tuple(_decode_part(kind, text) for kind, text in zip(kinds, cursor.split("."), strict=True))
    except (ValueError, OverflowError):  # a date past 9999-12-31
        raise invalid({"cursor": "not a cursor of this list"}) from None


def decode_cursor(cursor: str | None) -> str | None:
    """The name a cursor of a list ordered by name stands for, or None for the first page."""
    position = _decode(cursor, (str,))
    return None if position is None else position[0]


def decode_keyset(cursor: str | None, order_type: type = datetime, key_type: type = UUID) -> tuple[Any, Any] | None:
    """The (sort value, id) a keyset cursor stands for, typed back; None for the first page."""
    return _decode(cursor, (order_type, key_type))


def page(rows: list, limit: int, cursor_of: Callable[[Any], str]) -> tuple[list, str | None]:
    """Split the `limit + 1` rows a query fetched into a page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, cursor_of(rows[-1])
    return rows, None


def keyset_page(rows: list, limit: int, order: str, key: str) -> tuple[list, str | None]:
    """`page` for lists ordered by the `order` column, then `key`."""
    return page(rows, limit, lambda row: encode_cursor([row[order], row[key]]))
