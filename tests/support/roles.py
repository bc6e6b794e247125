"""Direct database access for tests of the seed resources: roles and raw SQL."""

from __future__ import annotations

from typing import Any

import asyncpg

from chatserver.http.api import SERVICES


async def sql(server, query: str, *args: Any) -> Any:
    """Run one statement on the test server's database as the server does (the application role, under
    row-level security: tenant tables show nothing without a scope); returns the rows."""
    async with server.app[SERVICES].db.connection() as conn:
        return await conn.fetch(query, *args)


async def owner_sql(server, query: str, *args: Any) -> Any:
    """Run one statement as the tables' owner (a superuser in tests), past row-level security: for setting
    up or checking rows of tenant tables behind the server's back."""
    conn = await asyncpg.connect(server.settings.database_owner_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def set_role(server, account, role: str) -> None:
    await sql(server, "UPDATE users SET role = $2 WHERE id = $1", account.id, role)


async def admin(server, username: str | None = None):
    """A signed-in platform admin."""
    account = await server.account(username)
    await set_role(server, account, "admin")
    return account
