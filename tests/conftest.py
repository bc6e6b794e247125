"""Fixtures: a real PostgreSQL for the run, a fresh database and a real server per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from chatserver.settings import Settings
from tests.support.postgres import TestPostgres
from tests.support.server import RunningServer, start_server, stop_server
from tests.support.sockets import close_all


@pytest.fixture(scope="session")
def postgres() -> Iterator[TestPostgres]:
    pg = TestPostgres()
    pg.prepare_template()
    yield pg
    pg.stop()


@pytest.fixture
async def database_url(postgres: TestPostgres) -> AsyncIterator[str]:
    name = await postgres.create_database()
    yield postgres.url(name)
    await postgres.drop_database(name)


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Settings:
    """Settings for the test's server; `@pytest.mark.settings(NAME=value, ...)` overrides environment values."""
    marker = request.node.get_closest_marker("settings")
    # Tests sign up many accounts from one address; the auth limit has its own test.
    environ = {"RATE_LIMIT_AUTH": "100000/1"}
    environ |= {name: str(value) for name, value in (marker.kwargs if marker else {}).items()}
    return Settings.from_env(environ, database_url=database_url, data_dir=tmp_path, db_pool_min=1, db_pool_max=5,
                             log_json=False)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    running = await start_server(settings)
    yield running
    await close_all()
    await stop_server(running)
