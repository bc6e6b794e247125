"""Opaque list cursors: `?limit=&cursor=` in, `{items, nextCursor}` out."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from chatserver.errors import invalid


def encode_cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The position a cursor stands for, or None for the first page."""
    if not cursor:
        return None
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise invalid({"cursor": "not a cursor this server gave out"}) from None


def page(rows: list, limit: int, cursor_of: Callable[[Any], str]) -> tuple[list, str | None]:
    """Split the `limit + 1` rows a query fetched into a page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, cursor_of(rows[-1])
    return rows, None


def encode_time_cursor(at: datetime, row_id: UUID) -> str:
    """A cursor for lists ordered by (time, id) descending."""
    return encode_cursor([at.isoformat(), str(row_id)])


def decode_time_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        at, row_id = position
        return datetime.fromisoformat(at), UUID(row_id)
    except (TypeError, ValueError):
        raise invalid({"cursor": "not a cursor this server gave out"}) from None
