"""The per-session output queue: engine.io's queue semantics, its byte count, nothing kept when empty."""

from __future__ import annotations

import asyncio

import pytest
from engineio import packet

from chatserver.realtime.transport import OutputQueue


def _message(text: str) -> packet.Packet:
    return packet.Packet(packet.MESSAGE, data=text)


async def test_packets_come_out_in_order_with_their_bytes_counted():
    queue = OutputQueue()
    for text in ("a", "bb", "ccc"):
        queue.put_nowait(_message(text))
    queue.put_nowait(None)  # engine.io's "no more", which has no bytes
    assert (queue.qsize(), queue.bytes) == (4, 6)
    assert [queue.get_nowait().data for _ in range(3)] == ["a", "bb", "ccc"]
    assert queue.get_nowait() is None
    assert (queue.qsize(), queue.bytes, queue.empty()) == (0, 0, True)
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_poll_is_woken_by_a_put_and_one_that_times_out_loses_nothing():
    queue = OutputQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)  # a long poll that ended with nothing
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(_message("x"))
    assert (await waiting).data == "x"
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(_message("y"))
    first.cancel()  # woken, then cancelled before it ran: the packet goes to the other one
    assert (await second).data == "y"


async def test_join_waits_until_every_packet_taken_is_done():
    queue = OutputQueue()
    await asyncio.wait_for(queue.join(), 1)  # nothing queued: at once
    queue.put_nowait(_message("a"))
    queue.put_nowait(_message("b"))
    joined = asyncio.ensure_future(queue.join())
    for _ in range(2):
        queue.get_nowait()
        await asyncio.sleep(0)
        assert not joined.done()
        queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError):
        queue.task_done()
