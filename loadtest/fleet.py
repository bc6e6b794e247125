"""Opening many sockets at a steady rate, and keeping them."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtest.client import ConnectFailed, ConnectRefused, LeanSocket
from loadtest.histogram import Histogram
from loadtest.population import Seat


@dataclass
class ConnectStats:
    attempted: int = 0
    connected: int = 0
    failed: int = 0
    retried: int = 0  # attempts that failed and were tried again (setup only)
    errors: Counter[str] = field(default_factory=Counter)
    latency: Histogram = field(default_factory=Histogram)
    first_at: float | None = None  # monotonic time of the first and last successful connect
    last_at: float | None = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectRefused):
        data = exc.data if isinstance(exc.data, dict) else {}
        inner = data.get("data") if isinstance(data.get("data"), dict) else data
        return f"refused: {inner.get('code') or data.get('message') or exc.data}"
    return str(exc)[:120]


class Fleet:
    """This process's sockets, by seat index."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session
        self.sockets: dict[int, LeanSocket] = {}
        self.stats = ConnectStats()
        self.dropped = 0  # sockets the server (or the network) closed after they connected

    async def connect_all(self, seats: Iterable[Seat], *, rate: float, concurrency: int = 200,
                          timeout: float = 20.0, retries: int = 0, start_at: float | None = None,
                          prepare: Callable[[Seat, LeanSocket], None] | None = None) -> ConnectStats:
        """Connect `seats` at `rate` per second (at most `concurrency` handshakes at once).

        `retries`: how often a connection that failed (not one refused) is tried again; for
        setup, where a slow server should only make the setup slower."""
        start = start_at if start_at is not None else time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        tasks = []
        for i, seat in enumerate(seats):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await gate.acquire()
            tasks.append(asyncio.ensure_future(self._connect_one(seat, gate, timeout, retries, prepare)))
        await asyncio.gather(*tasks)
        return self.stats

    async def _connect_one(self, seat: Seat, gate: asyncio.Semaphore, timeout: float, retries: int,
                           prepare: Callable[[Seat, LeanSocket], None] | None) -> None:
        self.stats.attempted += 1
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(min(2.0 * attempt, 10.0))
                await gate.acquire()
            sock = LeanSocket(self.session)
            if prepare is not None:
                prepare(seat, sock)  # handlers first: the server may emit right after CONNECT
            sock.on("disconnect", self._on_drop)
            began = time.monotonic()
            try:
                await sock.connect(self.url, seat.auth, timeout=timeout)
                break
            except ConnectFailed as exc:
                if attempt < retries:
                    self.stats.retried += 1
                    continue
                self._failed(exc)
                return
            except ConnectRefused as exc:
                self._failed(exc)
                return
            finally:
                gate.release()
        now = time.monotonic()
        self.stats.connected += 1
        self.stats.latency.record((now - began) * 1000)
        self.stats.first_at = self.stats.first_at or now
        self.stats.last_at = now
        self.sockets[seat.index] = sock

    def _failed(self, exc: BaseException) -> None:
        self.stats.failed += 1
        self.stats.errors[_reason(exc)] += 1

    def _on_drop(self, reason: str) -> None:
        if not reason.startswith("io client"):
            self.dropped += 1

    async def call_each(self, calls: Iterable[tuple[int, str, Any]], *, concurrency: int = 100,
                        timeout: float = 20.0) -> dict[int, Any]:
        """Call (seat index, event, data) on each socket, bounded; the ack (or the exception) by seat."""
        gate = asyncio.Semaphore(concurrency)
        answers: dict[int, Any] = {}

        async def one(index: int, event: str, data: Any) -> None:
            async with gate:
                try:
                    answers[index] = await self.sockets[index].call(event, data, timeout=timeout)
                except (TimeoutError, ConnectionResetError, KeyError) as exc:
                    answers[index] = exc

        await asyncio.gather(*(one(*call) for call in calls))
        return answers

    async def close(self) -> None:
        await asyncio.gather(*(sock.close() for sock in self.sockets.values()), return_exceptions=True)
        self.sockets.clear()


def ack_error(answer: Any) -> str | None:
    """None for a contract ack `{"ok": true, ...}`, else a short error code."""
    if isinstance(answer, BaseException):
        return type(answer).__name__
    if isinstance(answer, dict):
        if answer.get("ok") is True:
            return None
        error = answer.get("error")
        if isinstance(error, dict) and error.get("code"):
            return str(error["code"])
    return "bad-ack"
