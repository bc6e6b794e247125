"""Fixtures: a real PostgreSQL for the run, a fresh database and a real server per test."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chatserver.settings import Settings
from tests.support.postgres import TestPostgres
from tests.support.server import RunningServer, start_server, stop_server
from tests.support.server_logs import PROCESS_LOGS, RecordCollector, problems_in_file
from tests.support.sockets import close_all


@pytest.fixture(autouse=True)
def server_logs_are_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose servers logged a traceback, an error or a "failed" warning it did not expect.

    Logging runs at INFO (pyproject's log_level), the shipped default, so every record is built
    as in production. Expected lines are declared with `@pytest.mark.expect_log(r"regex", ...)`.
    """
    collector = RecordCollector()
    logging.getLogger().addHandler(collector)
    PROCESS_LOGS.clear()
    try:
        yield
    finally:
        logging.getLogger().removeHandler(collector)
    expected = [re.compile(pattern) for marker in request.node.iter_markers("expect_log") for pattern in marker.args]
    problems = collector.problems(expected)
    for path in PROCESS_LOGS:
        problems += problems_in_file(path, expected)
    PROCESS_LOGS.clear()
    if problems:
        pytest.fail("the server logged what no test expected:\n  " + "\n  ".join(problems[:20]), pytrace=False)


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
def app_database_url(postgres: TestPostgres, database_url: str) -> str:
    """The test database as the application role sees it (the server's pool); `database_url` is the owner's."""
    return postgres.app_url(urlsplit(database_url).path.lstrip("/"))


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, app_database_url: str, tmp_path: Path) -> Settings:
    """Settings for the test's server; `@pytest.mark.settings(NAME=value, ...)` overrides environment values."""
    marker = request.node.get_closest_marker("settings")
    # Tests sign up many accounts from one address; the auth limit has its own test.
    environ = {"RATE_LIMIT_AUTH": "100000/1"}
    environ |= {name: str(value) for name, value in (marker.kwargs if marker else {}).items()}
    return Settings.from_env(environ, database_url=app_database_url, database_owner_url=database_url,
                             data_dir=tmp_path, db_pool_min=1, db_pool_max=5, log_json=False)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    running = await start_server(settings)
    yield running
    await close_all()
    await stop_server(running)
