"""The main process's side of the load processes: start them, command them, gather replies.

The coordinator stays async so that a test can run a scenario in the same event loop as
the server it tests; the load itself always runs in child processes ("spawn": a clean
interpreter, not a fork of whatever the parent holds).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from loadtest import worker
from loadtest.pipes import pipe_reader


class WorkerError(RuntimeError):
    pass


class Workers:
    def __init__(self, count: int) -> None:
        self.count = count
        self.messages: asyncio.Queue[tuple[int, str, Any]] = asyncio.Queue()
        self._conns: list[Connection] = []
        self._procs: list[multiprocessing.process.BaseProcess] = []

    async def __aenter__(self) -> Workers:
        loop = asyncio.get_running_loop()
        ctx = multiprocessing.get_context("spawn")
        for i in range(self.count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker.main, args=(child,), name=f"loadtest-{i}", daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
            pipe_reader(parent, loop, lambda message, i=i: self.messages.put_nowait((i, *message)),
                        ("gone", None))
        return self

    def send(self, i: int, command: str, arg: Any = None) -> None:
        self._conns[i].send((command, arg))

    def send_all(self, command: str, args: list[Any] | None = None) -> None:
        for i in range(self.count):
            self.send(i, command, None if args is None else args[i])

    async def next(self, timeout: float) -> tuple[int, str, Any] | None:
        """The next message from any load process; raises on an error report."""
        try:
            i, kind, data = await asyncio.wait_for(self.messages.get(), timeout)
        except TimeoutError:
            return None
        if kind == "error":
            raise WorkerError(f"load process {i} failed:\n{data}")
        if kind == "gone":
            self._procs[i].join(1)
            raise WorkerError(f"load process {i} exited unexpectedly (exit code {self._procs[i].exitcode})")
        return i, kind, data

    async def gather(self, expect: str, *, timeout: float,
                     on_progress: Callable[[int, Any], None] | None = None,
                     tick: Callable[[int], None] | None = None) -> list[Any]:
        """One `expect` reply from every process, in process order. `tick(replies so far)` is
        called at least every half second while waiting (for a progress bar)."""
        replies: dict[int, Any] = {}
        deadline = asyncio.get_running_loop().time() + timeout
        while len(replies) < self.count:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise WorkerError(f"no {expect!r} from load processes "
                                  f"{sorted(set(range(self.count)) - set(replies))} within {timeout:.0f}s")
            if tick is not None:
                tick(len(replies))
            message = await self.next(min(left, 0.5) if tick is not None else left)
            if message is None:
                continue
            i, kind, data = message
            if kind == expect:
                replies[i] = data
            elif kind == "progress" and on_progress is not None:
                on_progress(i, data)
        if tick is not None:
            tick(len(replies))
        return [replies[i] for i in range(self.count)]

    async def __aexit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for conn in self._conns:
            try:
                conn.send(("stop", None))
            except (BrokenPipeError, OSError):
                pass
        deadline = loop.time() + 20
        for proc in self._procs:
            await asyncio.to_thread(proc.join, max(0.0, deadline - loop.time()))
            if proc.is_alive():
                proc.terminate()
                proc.join(1)
        for conn in self._conns:
            conn.close()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Deal items round-robin into `parts` lists, so every part gets a bit of everything."""
    return [items[i::parts] for i in range(parts)]
