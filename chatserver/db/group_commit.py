"""Group commit: writes to one key that arrive while a write to it is in flight go together.

Concurrent sends to one channel all need its row lock, so written one by one they queue up a
commit each; and sends to many streams at once (direct messages: each conversation is a stream)
each pay a statement and a commit. Here the first write of a key (for posts, a lane that a stream
always maps to, several streams to one lane) goes at once; those that arrive meanwhile wait and
are written as one batch when it is done (one statement, one commit), in arrival order, and so
on while more arrive. Nothing waits on a timer: a lone write costs what it did, and the busier
a key, the bigger its batches. Each caller gets its own result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

Write = Callable[[list[Any]], Awaitable[list[Any]]]

MAX_BATCH = 256


@dataclass(slots=True)
class _Queue:
    write: Write
    waiting: list[tuple[Any, asyncio.Future]] = field(default_factory=list)


class GroupCommit:
    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._queues: dict[Hashable, _Queue] = {}

    async def submit(self, key: Hashable, item: Any, write: Write) -> Any:
        """`write(items)` returns one result per item, in order; it is called with this item and
        the others of `key` gathered with it. If it raises, every caller of that batch gets it."""
        future = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue(write)
            asyncio.get_running_loop().create_task(self._run(key, queue), name="group-commit")
        queue.waiting.append((item, future))
        return await future

    async def _run(self, key: Hashable, queue: _Queue) -> None:
        try:
            while queue.waiting:
                batch, queue.waiting = queue.waiting[:self.max_batch], queue.waiting[self.max_batch:]
                try:
                    results = await queue.write([item for item, _ in batch])
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            del self._queues[key]
            for _, future in queue.waiting:  # only on cancellation: nobody is left to write them
                if not future.done():
                    future.cancel()
