"""The two PostgreSQL roles: the owner, who migrates, and the application, whose pool serves requests.

Row-level security (sql/035) only holds for a role that is not a superuser, has no BYPASSRLS and
(without FORCE) does not own the tables, so the server's pool connects as such a role and the
migrations run as the tables' owner, who then grants the application role what it needs.

- Embedded (no DATABASE_URL) and the tests: the superuser migrates (pgvector's CREATE EXTENSION needs
  one) and `chat_app`, created here, serves.
- DATABASE_URL alone: one role does both (as before); FORCE ROW LEVEL SECURITY still binds it unless it
  is a superuser or has BYPASSRLS, which the server warns about at start.
- DATABASE_URL and DATABASE_OWNER_URL: the owner URL migrates and grants; DATABASE_URL serves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

# The application role of the embedded PostgreSQL and of the tests' PostgreSQL.
EMBEDDED_APP_ROLE = "chat_app"

_PRIVILEGES = (
    ("TABLES", "SELECT, INSERT, UPDATE, DELETE"),
    ("SEQUENCES", "USAGE, SELECT, UPDATE"),
    ("FUNCTIONS", "EXECUTE"),
)


@dataclass(frozen=True)
class DatabaseUrls:
    app: str  # the pool: requests, the worker
    owner: str  # migrations and the grants that follow them

    @property
    def separate(self) -> bool:
        return self.app != self.owner


def with_user(url: str, user: str) -> str:
    """`url` signed in as `user` (no password: the embedded server trusts its unix socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:@{host}"))


async def create_app_role(superuser_url: str, role: str = EMBEDDED_APP_ROLE) -> None:
    """A login role that owns nothing, is no superuser and cannot bypass row-level security."""
    conn = await asyncpg.connect(superuser_url)
    try:
        exists = await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            try:
                await conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):  # another process was first
                pass
    finally:
        await conn.close()


async def grant_app_role(conn: asyncpg.Connection, role: str) -> None:
    """Give `role` the use of everything in the schema, now and (default privileges) what the owner adds later.

    Run by the owner after each migration pass: tables created by a migration, and partitions the owner's
    SECURITY DEFINER functions create at run time, are covered either way."""
    quoted = '"' + role.replace('"', '""') + '"'
    await conn.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    for kind, privileges in _PRIVILEGES:
        await conn.execute(f"GRANT {privileges} ON ALL {kind} IN SCHEMA public TO {quoted}")
        await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {privileges} ON {kind} TO {quoted}")


async def role_of(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()


async def warn_if_bypassing(conn: asyncpg.Connection) -> None:
    """Say so when the pool's role would see every tenant's rows: RLS cannot hold for it."""
    row = await conn.fetchrow("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    if row["rolsuper"] or row["rolbypassrls"]:
        log.warning("DATABASE_URL signs in as %s, a %s: row-level security does not apply to it; give the server "
                    "an application role (docs/operations.md, \"Database roles\")", row["rolname"],
                    "superuser" if row["rolsuper"] else "role with BYPASSRLS")
