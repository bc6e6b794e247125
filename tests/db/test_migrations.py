"""Migrations: applied in order, once, even when several processes start together."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg

from chatserver.db.migrations import discover


async def test_concurrent_processes_apply_each_migration_exactly_once(postgres):
    name = await postgres.create_database(template=None)
    url = postgres.url(name)
    try:
        env = {**os.environ, "DATABASE_URL": url, "LOG_JSON": "false"}
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chatserver", "migrate", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            for _ in range(4)
        ]
        outputs = await asyncio.gather(*(process.communicate() for process in processes))
        assert all(process.returncode == 0 for process in processes), outputs
        stdout = [out.decode() for out, _ in outputs]
        files = [migration.name for migration in discover()]
        # Exactly one process applied the files; the others found nothing to do.
        appliers = [text for text in stdout if text.startswith("applied:")]
        assert len(appliers) == 1, stdout
        assert sum("up to date" in text for text in stdout) == 3

        conn = await asyncpg.connect(url)
        try:
            recorded = [row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations ORDER BY version")]
            assert recorded == files
            assert await conn.fetchval("SELECT count(*) FROM users") == 0
        finally:
            await conn.close()
    finally:
        await postgres.drop_database(name)


async def test_migrating_an_up_to_date_database_changes_nothing(database_url):
    from chatserver.db.migrations import migrate

    assert await migrate(database_url) == []


async def test_a_failing_migration_rolls_back_and_is_not_recorded(postgres, tmp_path):
    from chatserver.db.migrations import migrate

    (tmp_path / "001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE half (id int); SELECT * FROM no_such_table;")
    name = await postgres.create_database(template=None)
    url = postgres.url(name)
    try:
        try:
            await migrate(url, tmp_path)
            raise AssertionError("the bad migration should fail")
        except asyncpg.UndefinedTableError:
            pass
        conn = await asyncpg.connect(url)
        try:
            assert [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")] == ["001_good.sql"]
            assert await conn.fetchval("SELECT to_regclass('half')") is None
        finally:
            await conn.close()
    finally:
        await postgres.drop_database(name)


async def test_migrating_as_the_owner_grants_the_application_role_the_use_of_everything_and_no_more(postgres):
    """DATABASE_URL (the pool's role) and DATABASE_OWNER_URL (the owner, who migrates), on a fresh database."""
    name = await postgres.create_database(template=None)
    owner_url, app_url = postgres.url(name), postgres.app_url(name)
    try:
        env = {**os.environ, "DATABASE_URL": app_url, "DATABASE_OWNER_URL": owner_url, "LOG_JSON": "false"}
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "chatserver", "migrate", env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0 and out.decode().startswith("applied:"), (out, err)
        owner = await asyncpg.connect(owner_url)
        try:
            await owner.execute("CREATE TABLE added_later (id int)")  # as a later migration would
        finally:
            await owner.close()

        app = await asyncpg.connect(app_url)
        try:
            missing = await app.fetch(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT (has_table_privilege(c.oid, 'SELECT')"
                " AND has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE')"
                " AND has_table_privilege(c.oid, 'DELETE'))")
            assert missing == []
            assert await app.fetchval("SELECT count(*) FROM added_later") == 0
            owned = await app.fetchval("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
            assert owned == 0
            try:
                await app.execute("CREATE TABLE mine (id int)")
                created = True
            except asyncpg.InsufficientPrivilegeError:
                created = False
            assert not created
        finally:
            await app.close()
    finally:
        await postgres.drop_database(name)
