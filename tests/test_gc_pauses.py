"""The collector's pauses (chatserver/gc_pauses.py, run by `chatserver serve`): what survives a full
collection is frozen, so the next full collection walks only what is new; cyclic garbage among the
frozen objects goes at the next collection of everything, once they have grown enough.

These run in the test process, whose objects the collector then freezes too; each test ends it
(cancelling unfreezes everything), as a server's shutdown does. The growth is lowered from the
server's 2x so that a few thousand objects reach it."""

from __future__ import annotations

import asyncio
import gc
import weakref

from chatserver import gc_pauses
from tests.support.server import until


class _Node:
    __slots__ = ("other", "__weakref__")


def _cycles(count: int) -> list[_Node]:
    nodes = []
    for _ in range(count):
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        nodes.append(a)
    return nodes


async def _settled(collector: asyncio.Task) -> int:
    await asyncio.sleep(0)  # the collector's first step: a full collection, then everything frozen
    assert gc_pauses._freeze_survivors in gc.callbacks
    return gc.get_freeze_count()


async def test_the_survivors_of_a_full_collection_are_frozen_and_a_cancelled_collector_unfreezes_them():
    collector = asyncio.create_task(gc_pauses.keep_pauses_short(interval=3600))
    try:
        settled = await _settled(collector)
        nodes = _cycles(1000)
        gc.collect()
        assert gc.get_freeze_count() >= settled + 2000
        walked = {id(obj) for obj in gc.get_objects()}  # (the frozen are in no generation)
        assert not any(id(node) in walked for node in nodes)
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
    assert gc.get_freeze_count() == 0
    assert gc_pauses._freeze_survivors not in gc.callbacks


async def test_cyclic_garbage_among_frozen_objects_goes_once_they_have_grown_enough():
    collector = asyncio.create_task(gc_pauses.keep_pauses_short(interval=0.05, growth=1.05))
    try:
        settled = await _settled(collector)
        nodes = _cycles(settled // 30 + 1000)  # a tenth more objects than were frozen, in cycles
        sample = weakref.ref(nodes[0])
        gc.collect()  # they survive it, so they are frozen
        del nodes
        gc.collect()
        assert sample() is not None  # garbage now, but frozen: no ordinary collection walks it
        # The collection of everything takes it; in a test process holding what a whole suite left
        # behind, each full collection can take seconds.
        await until(lambda: sample() is None, timeout=120)
        assert gc.get_freeze_count() < settled * 1.05
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
