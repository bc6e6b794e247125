"""Discord bot configurations (036), one per community, under row-level security: the caller scopes
the transaction to the community (chatserver/db/tenancy.py) before any of these runs.

The token column holds a Fernet token only; nothing here reads it out except `encrypted_tokens`
and `lock_token`, which rotation uses, and the row the API renders carries only `token_set`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params

CONFIG_FIELDS = frozenset({
    "client_id", "permissions", "prefix", "welcome_message", "farewell_message", "auto_role_assignment",
    "payment_verification_channel", "admin_channel", "settings", "is_active",
})
_CONFIG = """SELECT id, community_id, true AS configured, bot_token_encrypted IS NOT NULL AS token_set, client_id, permissions, prefix,
                    welcome_message, farewell_message, auto_role_assignment, payment_verification_channel,
                    admin_channel, settings, is_active, last_online, created_at, updated_at
               FROM discord_bot_configs"""


async def config(conn: asyncpg.Connection, community_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_CONFIG} WHERE community_id = $1", community_id)


async def upsert(conn: asyncpg.Connection, community_id: UUID, values: Mapping[str, Any],
                 token: Mapping[str, str | None]) -> bool:
    """Create the community's configuration or replace its fields with `values` (the columns of
    CONFIG_FIELDS; absent ones take their defaults); `token` is `{}` to keep the stored token or
    `{"bot_token_encrypted": ...}` to set (or, with None, clear) it. True when it was created."""
    columns = [name for name in values if name in CONFIG_FIELDS] + list(token)
    given = {**values, **token}
    p = Params(community_id)
    placeholders = ", ".join(p(given[name]) for name in columns)
    replaced = ", ".join(f"{name} = EXCLUDED.{name}" for name in columns)
    defaults = ", ".join(f"{name} = DEFAULT" for name in CONFIG_FIELDS - set(columns))
    return await conn.fetchval(
        f"INSERT INTO discord_bot_configs (community_id, {', '.join(columns)}) VALUES ($1, {placeholders})"
        f" ON CONFLICT (community_id) DO UPDATE SET {replaced}, {defaults + ', ' if defaults else ''}"
        " updated_at = now() RETURNING xmax = 0", *p.values)


async def delete(conn: asyncpg.Connection, community_id: UUID) -> None:
    await conn.execute("DELETE FROM discord_bot_configs WHERE community_id = $1", community_id)


async def lock_token(conn: asyncpg.Connection, community_id: UUID) -> str | None:
    """The stored (encrypted) token, locked until the transaction ends; None when there is none."""
    return await conn.fetchval("SELECT bot_token_encrypted FROM discord_bot_configs"
                               " WHERE community_id = $1 AND bot_token_encrypted IS NOT NULL FOR UPDATE",
                               community_id)


async def set_token(conn: asyncpg.Connection, community_id: UUID, encrypted: str) -> None:
    await conn.execute("UPDATE discord_bot_configs SET bot_token_encrypted = $2 WHERE community_id = $1",
                       community_id, encrypted)


async def communities_after(conn: asyncpg.Connection, after: UUID | None, limit: int) -> list[UUID]:
    """Community ids in order, past `after`: the walk rotation takes, one community (one scope) at a time,
    since the configurations themselves are visible only within their community's scope."""
    p = Params()
    condition = p.when(after, "id > {}") or "TRUE"
    return [row["id"] for row in await conn.fetch(
        f"SELECT id FROM communities WHERE {condition} ORDER BY id LIMIT {p(limit)}", *p.values)]
