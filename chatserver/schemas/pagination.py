"""Lists: `?limit=&cursor=` in (`PageQuery`), `{items, nextCursor}` out (`Page`), and
`fetch_page`, the one way an action reads a page: decode the cursor, fetch `limit + 1` rows
past it, keep `limit` of them and the cursor of the last.

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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, create_model

from chatserver.errors import invalid
from chatserver.schemas.base import InputModel, WireModel

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


class PageQuery(InputModel):
    """A page of a list sorted newest first by (time, id): `PageQuery`, or a list's own
    subclass adding its filters. `PageQuery.sorted_by` gives the one for another sort key
    or other limits."""

    sort_types: ClassVar[tuple[type, ...]] = (datetime, UUID)  # the values a cursor of this list holds

    limit: Annotated[int, Field(ge=1, le=100, description="Page size.")] = 50
    cursor: Cursor | None = None

    @classmethod
    def sorted_by(cls, *types: type, max_limit: int = 100, default_limit: int = 50) -> type[Self]:
        """This query for a list sorted by values of `types` (the same ones when none are named)."""
        return _page_query(cls, types or cls.sort_types, max_limit, default_limit)


@cache
def _page_query(base: type[PageQuery], types: tuple[type, ...], max_limit: int, default_limit: int) -> type:
    model = create_model(
        base.__name__, __base__=base, __module__=base.__module__,
        limit=(Annotated[int, Field(ge=1, le=max_limit, description="Page size.")], default_limit),
        cursor=(cursor_type(*types) | None, None))
    model.sort_types = types
    return model


Item = TypeVar("Item")
Row = Any


class Page(WireModel, Generic[Item]):
    """A page of a list; subclassed once per list (`class ChannelList(Page[Channel])`) for its name."""

    # nextCursor is always sent (null on the last page), so the document calls it required.
    model_config = WireModel.model_config | ConfigDict(json_schema_serialization_defaults_required=True)

    items: list[Item]
    next_cursor: str | None = None

    @classmethod
    def of(cls, window: tuple[Sequence[Row], str | None], render: Callable[[Row], Item]) -> Self:
        """The page of what `fetch_page` read, each row rendered."""
        rows, next_cursor = window
        return cls(items=[render(row) for row in rows], next_cursor=next_cursor)


def by_columns(*columns: str) -> Callable[[Row], tuple[Any, ...]]:
    """The position of a row in a list sorted by these columns."""
    return lambda row: tuple(row[column] for column in columns)


by_time = by_columns("created_at", "id")  # most lists


# Reads up to `limit` rows past a position (None for the first page): a tuple of the list's sort
# values, or the value itself when the list sorts by one.
Fetch = Callable[[Any, int], Awaitable[Sequence[Row]]]


async def fetch_page(query: PageQuery, fetch: Fetch,
                     position: Callable[[Row], Any] = by_time) -> tuple[Sequence[Row], str | None]:
    """Decode the cursor (`invalid` if it is not one of this list's), fetch `limit + 1` rows past it,
    and split them into the page and the cursor of its last row (None when nothing follows)."""
    after = _decode(query.cursor, query.sort_types)
    if after is not None and len(after) == 1:
        after = after[0]
    rows = await fetch(after, query.limit + 1)
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[:query.limit]
    return rows, encode_cursor(position(rows[-1]))
