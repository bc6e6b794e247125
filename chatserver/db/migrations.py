"""Numbered plain-SQL migrations, applied in order, each exactly once.

Each file runs in its own transaction. A session-level advisory lock makes
processes that start together wait for each other, so every file is applied
by exactly one of them; `schema_migrations` records what is done.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from chatserver.db.roles import grant_app_role

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_LOCK_KEY = 0x63686174_6D696772  # "chatmigr"
_NAME = re.compile(r"^(\d{3,})_[a-z0-9_]+\.sql$")
# Waiting for another process's migrations, or running one, may take much longer than the
# pool's command timeout (DB_COMMAND_TIMEOUT), which is meant for requests.
_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name must look like 001_words.sql: {path.name}")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migration files share a number")
    return migrations


async def apply_pending(conn: asyncpg.Connection, sql_dir: Path = SQL_DIR, *, grant_to: str | None = None) -> list[str]:
    """Apply what is missing; return the names applied by this call.

    `grant_to`: the application role, when it is not the one migrating (chatserver/db/roles.py); it is given
    the use of every table, sequence and function, under the same lock (concurrent GRANTs collide)."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY, timeout=_TIMEOUT)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {row["version"]: row for row in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")}
        for migration in discover(sql_dir):
            if migration.version in done:
                if done[migration.version]["checksum"] != migration.checksum:
                    log.warning("applied migration %s has changed on disk since", migration.name)
                continue
            async with conn.transaction():
                await conn.execute(migration.sql, timeout=_TIMEOUT)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version, migration.name, migration.checksum,
                )
            log.info("migration applied", extra={"migration": migration.name})
            applied_now.append(migration.name)
        if grant_to is not None:
            await grant_app_role(conn, grant_to)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def migrate(url: str, sql_dir: Path = SQL_DIR, *, grant_to: str | None = None) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return await apply_pending(conn, sql_dir, grant_to=grant_to)
    finally:
        await conn.close()
