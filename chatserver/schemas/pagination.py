"""Opaque list cursors: `?limit=&cursor=` in, `{items, nextCursor}` out.

A cursor is the position of the last row of a page, encoded; most lists page by
a (sort value, id) pair, their keyset.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson

from chatserver.errors import invalid


def encode_cursor(position: Any) -> str:
    # asyncpg's UUID is not uuid.UUID, so orjson needs `default=str` for it.
    return base64.urlsafe_b64encode(orjson.dumps(position, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The position a cursor stands for, or None for the first page."""
    if not cursor:
        return None
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise invalid({"cursor": "not a cursor this server gave out"}) from None


def _typed(kind: type, raw: Any) -> Any:
    if kind is datetime:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive time")
        return value
    if kind is date:
        return date.fromisoformat(raw)
    if kind is UUID:
        return UUID(raw)
    if not isinstance(raw, kind):
        raise ValueError("wrong type")
    return raw


def decode_keyset(cursor: str | None, order_type: type = datetime, key_type: type = UUID) -> tuple[Any, Any] | None:
    """The (sort value, id) a keyset cursor stands for, typed back; None for the first page."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        order, key = position
        return _typed(order_type, order), _typed(key_type, key)
    except (ValueError, TypeError):
        raise invalid({"cursor": "not a cursor this server gave out"}) from None


def page(rows: list, limit: int, cursor_of: Callable[[Any], str]) -> tuple[list, str | None]:
    """Split the `limit + 1` rows a query fetched into a page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, cursor_of(rows[-1])
    return rows, None


def keyset_page(rows: list, limit: int, order: str, key: str) -> tuple[list, str | None]:
    """`page` for lists ordered by the `order` column, then `key`."""
    return page(rows, limit, lambda row: encode_cursor([row[order], row[key]]))
