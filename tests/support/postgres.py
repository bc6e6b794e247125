"""One real PostgreSQL (pgserver) per test run, and a fresh database per test from a migrated template."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg

from chatserver.db.embedded import EmbeddedPostgres
from chatserver.db.migrations import migrate

TEMPLATE = "chat_template"


class TestPostgres:
    def __init__(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        # Short path: PostgreSQL's unix socket lives in the data directory and the path has a length limit.
        self.root = Path(tempfile.mkdtemp(prefix=f"chatpg-{worker}-", dir="/tmp"))
        self.embedded = EmbeddedPostgres(self.root, stop_on_exit=True)
        self.admin_url = self.embedded.start()

    def url(self, database: str) -> str:
        return self.embedded.url(database)

    def prepare_template(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
                await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            finally:
                await conn.close()
            await migrate(self.url(TEMPLATE))

        asyncio.run(run())

    async def create_database(self, *, template: str | None = TEMPLATE) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        conn = await asyncpg.connect(self.admin_url)
        try:
            clause = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{clause}")
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    def stop(self) -> None:
        self.embedded.stop()
