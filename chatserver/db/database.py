"""The pool and named transactions: the one door to PostgreSQL for store/."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson

from chatserver import metrics


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=lambda value: orjson.dumps(value).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def connect(url: str, *, min_size: int = 2, max_size: int = 20) -> Database:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        command_timeout=60, server_settings={"application_name": "chatserver"},
    )
    return Database(pool)


class Database:
    """Wraps the pool; every write happens inside `transaction(name)`.

    The name labels the transaction in metrics and logs, the way Synapse names
    its storage transactions, so a slow one can be found by what it does.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def transaction(self, name: str, *, isolation: str = "read_committed") -> AsyncIterator[asyncpg.Connection]:
        started = time.perf_counter()
        outcome = "commit"
        try:
            async with self.pool.acquire() as conn, conn.transaction(isolation=isolation):
                yield conn
        except BaseException:
            outcome = "rollback"
            raise
        finally:
            metrics.DB_TRANSACTIONS.labels(name, outcome).observe(time.perf_counter() - started)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for reads that need no transaction."""
        async with self.pool.acquire() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)

    async def close(self) -> None:
        await self.pool.close()
