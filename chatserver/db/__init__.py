"""PostgreSQL access: the embedded server, the pool, named transactions, migrations."""

from chatserver.db.database import Database, Transaction, connect, open_transaction

__all__ = ["Database", "Transaction", "connect", "open_transaction"]
