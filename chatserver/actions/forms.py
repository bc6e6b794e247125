"""Hooks of the form-like resources (uploads and the three forms)."""

from __future__ import annotations

from typing import Any

import asyncpg

from chatserver.actions.context import Principal
from chatserver.store import users


async def fill_upload_email(conn: asyncpg.Connection, principal: Principal, values: dict[str, Any]) -> None:
    """The seed keyed uploads by email; keep the owner's email as it was at upload time."""
    user = await users.by_id(conn, principal.user_id)
    values["user_email"] = user["email"] if user else None
