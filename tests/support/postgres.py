"""One real PostgreSQL (pgserver) per test run, and a fresh database per test from a migrated template."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg

from chatserver.db.embedded import EmbeddedPostgres
from chatserver.db.migrations import migrate
from chatserver.db.roles import EMBEDDED_APP_ROLE, create_app_role, with_user
from tests.support.redis_server import free_port

TEMPLATE = "chat_template"


class TestPostgres:
    def __init__(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        # Short path: PostgreSQL's unix socket lives in the data directory and the path has a length limit.
        self.root = Path(tempfile.mkdtemp(prefix=f"chatpg-{worker}-", dir="/tmp"))
        self.embedded = EmbeddedPostgres(self.root, stop_on_exit=True)
        self.admin_url = self.embedded.start()  # the superuser, who owns the tables and migrates
        asyncio.run(create_app_role(self.admin_url))

    def url(self, database: str) -> str:
        """The owner's (superuser's) URL: migrations, and tests that set up or inspect rows behind the server."""
        return self.embedded.url(database)

    def app_url(self, database: str) -> str:
        """The application role's URL, which the servers under test connect with: row-level security binds it."""
        return with_user(self.url(database), EMBEDDED_APP_ROLE)

    def prepare_template(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
                await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            finally:
                await conn.close()
            await migrate(self.url(TEMPLATE), grant_to=EMBEDDED_APP_ROLE)  # the grants are copied with the template

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


class StoppablePostgres:
    """A PostgreSQL of its own on a TCP port, for a test that stops and starts it under a server.

    The run's shared TestPostgres must never be stopped; this one is created (by pgserver, which
    knows how to initdb as root) and then run with pg_ctl on 127.0.0.1:port, so it comes back on
    the same address after `stop()`.
    """

    def __init__(self) -> None:
        import pgserver

        self.root = Path(tempfile.mkdtemp(prefix="chatpg-own-", dir="/tmp"))
        server = pgserver.get_server(self.root / "pgdata", cleanup_mode=None)  # initdb, then started on a socket
        self.pgdata = server.pgdata
        self._user = server.system_user  # pgserver runs PostgreSQL as its own user when we are root
        self._pg_ctl(["-w", "-m", "fast", "stop"])
        self.port = free_port()
        self.start()

    def _pg_ctl(self, args: list[str]) -> None:
        import pgserver

        pgserver.pg_ctl(args, pgdata=self.pgdata, user=self._user, timeout=30)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._pg_ctl(["-w", "-l", str(self.pgdata / "log"),
                      "-o", f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}", "start"])

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once (what a restart or failover does); `immediate` is a crash."""
        self._pg_ctl(["-w", "-m", mode, "stop"])

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()  # removed by every pg_ctl stop, fast or immediate

    def ensure_started(self) -> None:
        """Start it if a previous test left it stopped."""
        if not self.running:
            self.start()

    async def create_migrated_database(self) -> str:
        name = "chat_" + uuid.uuid4().hex[:12]
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        await migrate(self.url(name))
        return self.url(name)

    def destroy(self) -> None:
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
