"""The pool and named transactions: the one door to PostgreSQL for store/.

When PostgreSQL cannot be reached (stopped, restarting, unreachable, not answering), every
request that needs it answers `unavailable` within a bounded time instead of hanging or
failing with a stack: the errors that mean "no usable connection" become
`unavailable` here, which HTTP turns into a 503 with Retry-After and Socket.IO
into an error ack. The pool replaces dead connections by itself, so the server recovers
without a restart once PostgreSQL is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext, suppress
from contextvars import ContextVar

import asyncpg
import orjson

from chatserver import metrics
from chatserver.errors import unavailable

log = logging.getLogger(__name__)

# Seconds a client is told to wait before retrying while PostgreSQL is away.
RETRY_AFTER = 5
# Seconds a request waits for a pooled connection while all are busy and PostgreSQL answers.
BUSY_WAIT = 30.0

# What means "no usable connection to PostgreSQL", as opposed to a query that PostgreSQL refused.
CONNECTION_FAILURES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # connection refused by the server, lost mid-query, commit fate unknown
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,  # our backend was terminated (pg_ctl stop, pg_terminate_backend)
    asyncpg.CrashShutdownError,  # another backend crashed and PostgreSQL restarts
    asyncpg.TooManyConnectionsError,
    OSError,  # ConnectionRefusedError, ConnectionResetError, unreachable host, ...
    TimeoutError,  # no connection within the connect timeout, or a statement past the command timeout
)


def is_connection_failure(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.InterfaceError):  # also raised for misuse: only "connection is closed" counts
        return "closed" in str(exc) or "closing" in str(exc)
    return isinstance(exc, CONNECTION_FAILURES)


class _QuietPoolFloor(logging.Filter):
    """asyncpg re-opens the pool's minimum connections in the background and logs a traceback
    on each attempt while PostgreSQL is away; Database reports the outage itself, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to restore the pool connection floor")


logging.getLogger("asyncpg.pool").addFilter(_QuietPoolFloor())


@asynccontextmanager
async def _dropped_on_failure(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """What a failure mid-command means for the connection.

    A lost one is closed at once rather than rolled back and reset for the pool: on a PostgreSQL
    that stopped answering, each of those would wait out a timeout again. And when PostgreSQL
    closes a connection just as a command starts, asyncpg trips over its own protocol state
    (InternalClientError "cannot switch to state"): that is a lost connection too.
    """
    try:
        yield
    except asyncpg.InternalClientError as exc:
        if not conn.is_closed():
            raise
        raise asyncpg.ConnectionDoesNotExistError(f"connection lost: {exc}") from exc
    except Exception as exc:
        if is_connection_failure(exc):
            with suppress(asyncpg.InterfaceError):  # already closed and handed back by an inner block
                conn.terminate()
        raise


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=lambda value: orjson.dumps(value).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection handed back to the pool needs besides the rollback asyncpg always does:
    nothing. No code here leaves session state behind (no LISTEN, no session-level SET, no cursor
    outside a transaction, no advisory lock left held: migrations release theirs), so asyncpg's
    default reset query (RESET ALL, UNLISTEN *, ...) would cost a round trip per use for nothing."""


class Transaction:
    """A transaction open on the current task, and what waits for its commit.

    What a write tells others (its events) is queued here with `after_commit` and runs once the
    transaction has committed and its connection is back in the pool, in the order queued; after a
    rollback none of it runs. The transaction is open from the start of `Database.transaction`'s
    block to its end, on the task that entered it: `open_transaction()` finds it there.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_open = True
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, work: Callable[[], Awaitable[None]]) -> None:
        if not self.is_open:
            raise RuntimeError(f"transaction {self.name!r} has ended; nothing more waits for its commit")
        self._after_commit.append(work)

    async def _committed(self) -> None:
        for work in self._after_commit:
            await work()


_open: ContextVar[Transaction | None] = ContextVar("open_transaction", default=None)


def open_transaction() -> Transaction | None:
    """The transaction open on the current task, if any. A task started inside one inherits the
    variable, not the transaction: once the block has ended, it is no longer open there either."""
    transaction = _open.get()
    return transaction if transaction is not None and transaction.is_open else None


async def connect(url: str, *, min_size: int = 2, max_size: int = 20, connect_timeout: float = 5,
                  command_timeout: float = 10, plan_cache_mode: str = "force_generic_plan") -> Database:
    """The pool. Every statement here is prepared once per connection (asyncpg's statement cache), and
    with `force_generic_plan` PostgreSQL also plans it once: left to choose (`auto`), it plans again on
    every run any statement whose plan for the given values looks much cheaper than the generic one,
    which for the joins a connect runs cost more than running them (docs/operations.md)."""
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session,
        timeout=connect_timeout, command_timeout=command_timeout,
        server_settings={"application_name": "chatserver", "plan_cache_mode": plan_cache_mode},
    )
    return Database(pool, acquire_timeout=connect_timeout)


class Database:
    """Wraps the pool; every write happens inside `transaction(name)`.

    The name labels the transaction in metrics and logs, the way Synapse names
    its storage transactions, so a slow one can be found by what it does.
    """

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 5, busy_wait: float = BUSY_WAIT) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self.busy_wait = busy_wait
        self._failing: set[str] = set()  # kinds of connection failure already logged in this outage
        self._busy_logged_at = -60.0

    @asynccontextmanager
    async def transaction(self, name: str, *, isolation: str = "read_committed",
                          one_statement: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A connection in a transaction, committed when the block ends and rolled back if it raises.

        `one_statement`: the block writes with one statement, which PostgreSQL commits on its own,
        so no BEGIN and COMMIT round trips are spent on it (the group commit of messages). Either
        way, what is queued on the open transaction (`open_transaction().after_commit`) runs
        after the commit.
        """
        started = time.perf_counter()
        outcome = "commit"
        transaction = Transaction(name)
        token = _open.set(transaction)
        try:
            async with self._acquire() as conn, \
                    nullcontext() if one_statement else conn.transaction(isolation=isolation), \
                    _dropped_on_failure(conn):
                yield conn
        except BaseException:
            outcome = "rollback"
            raise
        finally:
            transaction.is_open = False
            _open.reset(token)
            metrics.DB_TRANSACTIONS.labels(name, outcome).observe(time.perf_counter() - started)
        await transaction._committed()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for reads that need no transaction."""
        async with self._acquire() as conn:
            yield conn

    @asynccontextmanager
    async def _acquire(self, timeout: float | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A pool connection; failing to get one, or losing it, raises `unavailable`."""
        try:
            conn = await self._wait_for_connection(timeout or self.acquire_timeout)
            try:
                async with _dropped_on_failure(conn):
                    yield conn
            finally:
                await self.pool.release(conn)
        except Exception as exc:
            if not is_connection_failure(exc):
                raise
            if isinstance(exc, TimeoutError) and self._saturated():
                # PostgreSQL answers; every pooled connection is simply in use (a connect storm, slow
                # queries). Overload, not an outage: the same answer to the client, said as it is.
                self._note_busy()
                raise unavailable("the server is busy; try again shortly", retryAfter=1) from exc
            self._note_failure(exc)
            raise unavailable("the database is unavailable; try again shortly", retryAfter=RETRY_AFTER) from exc
        self._note_success()

    async def _wait_for_connection(self, timeout: float) -> asyncpg.Connection:
        """A connection within `timeout`, or, while every pooled connection is busy with a PostgreSQL
        that answers, within `busy_wait`: a burst (a thousand sockets reconnecting after a deploy)
        waits its turn instead of being refused, which clients would not retry by themselves."""
        deadline = time.monotonic() + self.busy_wait
        while True:
            try:
                return await self.pool.acquire(timeout=timeout)
            except TimeoutError:
                remaining = deadline - time.monotonic()
                if not self._saturated() or remaining <= 0:
                    raise
                timeout = min(timeout, remaining)

    def _saturated(self) -> bool:
        return self.pool.get_idle_size() == 0 and self.pool.get_size() >= self.pool.get_max_size()

    def _note_busy(self) -> None:
        metrics.DB_POOL_EXHAUSTED.inc()
        now = time.monotonic()
        if now - self._busy_logged_at >= 60:  # at most a line a minute
            self._busy_logged_at = now
            log.warning("every PostgreSQL connection of the pool (DB_POOL_MAX=%d) was in use for %.0f s; "
                        "requests answer `unavailable` while that lasts", self.pool.get_max_size(), self.busy_wait)

    def _note_failure(self, exc: BaseException) -> None:
        """One warning per kind of failure and outage, not a stack per request."""
        while exc.__context__ is not None and is_connection_failure(exc.__context__):
            exc = exc.__context__  # "the connection is closed" often follows the timeout or reset that closed it
        kind = type(exc).__name__
        if kind not in self._failing:
            self._failing.add(kind)
            log.warning("PostgreSQL unavailable (%s: %s); requests answer `unavailable` until it is back",
                        kind, str(exc) or "no answer in time")

    def _note_success(self) -> None:
        if self._failing:
            self._failing.clear()
            log.warning("PostgreSQL available again")

    async def ping(self) -> None:
        """For /readyz: `unavailable` within about 2 s when PostgreSQL does not answer."""
        async with self._acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)

    async def close(self) -> None:
        await self.pool.close()
