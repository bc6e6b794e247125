"""A load process: plays one role, commanded by the coordinator over a pipe.

Commands: ("setup", plan) -> ("ready", info); ("run", round) -> ("progress", counts) every
quarter second; ("finish", None) -> ("result", RoundResult); ("stop", None). Anything that
goes wrong is sent back as ("error", traceback) and ends the process.
"""

from __future__ import annotations

import asyncio
import resource
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from loadtest.pipes import pipe_reader
from loadtest.roles import Role, role_for

PROGRESS_EVERY = 0.25


def main(conn: Connection) -> None:
    raise_open_file_limit()
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # the default loop works, slower
        pass
    asyncio.run(_serve(conn))


def raise_open_file_limit() -> None:
    """Thousands of sockets need thousands of descriptors; the soft limit is often 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(conn: Connection) -> None:
    inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    # ("stop", None) when the coordinator is gone
    pipe_reader(conn, asyncio.get_running_loop(), inbox.put_nowait, ("stop", None))
    role: Role | None = None
    running: asyncio.Future[None] | None = None
    reporter: asyncio.Future[None] | None = None
    cpu_at_start = wall_at_start = 0.0
    try:
        while True:
            command, arg = await inbox.get()
            if command == "setup":
                role = role_for(arg)
                conn.send(("ready", await role.setup()))
            elif command == "run":
                assert role is not None
                # CPU is counted from the round's start, not from the wait before it
                await asyncio.sleep(max(0.0, arg.start_at - time.monotonic() - 0.05))
                cpu_at_start, wall_at_start = time.process_time(), time.monotonic()
                running = asyncio.ensure_future(role.run(arg))
                reporter = asyncio.ensure_future(_report(conn, role, running))
            elif command == "finish":
                assert role is not None
                for task in (reporter, running):
                    if task is not None and not task.done():
                        task.cancel()
                await asyncio.gather(*(t for t in (reporter, running) if t), return_exceptions=True)
                result = role.result()
                result.cpu_seconds = time.process_time() - cpu_at_start
                result.wall_seconds = time.monotonic() - wall_at_start
                conn.send(("result", result))
            elif command == "stop":
                break
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        if role is not None:
            await role.close()
        try:
            conn.send(("stopped", None))
        except (BrokenPipeError, OSError):
            pass


async def _report(conn: Connection, role: Role, running: asyncio.Future[None]) -> None:
    """Counts for the progress bar and the coordinator's drain decision, until finish."""
    while True:
        await asyncio.wait([running], timeout=PROGRESS_EVERY)
        if running.done() and not running.cancelled() and running.exception() is not None:
            error = running.exception()
            conn.send(("error", "".join(traceback.format_exception(error))))
            return
        conn.send(("progress", {**role.progress(), "sendingDone": running.done()}))
        if running.done():
            await asyncio.sleep(PROGRESS_EVERY)
