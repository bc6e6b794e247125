"""Direct database access for tests of the seed resources: roles and raw SQL."""

from __future__ import annotations

from typing import Any

from chatserver.http.api import SERVICES


async def sql(server, query: str, *args: Any) -> Any:
    """Run one statement on the test server's database; returns the rows."""
    async with server.app[SERVICES].db.connection() as conn:
        return await conn.fetch(query, *args)


async def set_role(server, account, role: str) -> None:
    await sql(server, "UPDATE users SET role = $2 WHERE id = $1", account.id, role)


async def admin(server, username: str | None = None):
    """A signed-in platform admin."""
    account = await server.account(username)
    await set_role(server, account, "admin")
    return account
