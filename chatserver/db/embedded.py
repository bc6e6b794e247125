"""The zero-configuration PostgreSQL: pgserver, wrapped so it can be swapped.

Only for the default run mode and for tests; production sets DATABASE_URL.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir/postgres`, started on demand."""

    def __init__(self, data_dir: Path, *, stop_on_exit: bool = True) -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "postgres"
        self._stop_on_exit = stop_on_exit
        self._server = None

    def start(self) -> str:
        """Start (or attach to) the server and return a URL for its `postgres` database."""
        import pgserver  # imported here: a wheel of several MB nobody needs with DATABASE_URL

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("embedded postgres starting", extra={"pgdata": str(self.pgdata)})
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop" if self._stop_on_exit else None)
        return self._server.get_uri()

    def url(self, database: str) -> str:
        assert self._server is not None, "start() first"
        return self._server.get_uri(database)

    def stop(self) -> None:
        if self._server is not None and self._stop_on_exit:
            self._server.cleanup()
            self._server = None
