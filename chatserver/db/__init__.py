"""PostgreSQL access: the embedded server, the pool, named transactions, migrations."""

from chatserver.db.database import Database, connect

__all__ = ["Database", "connect"]
