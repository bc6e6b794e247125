"""Every expected delivery accounted for: what was sent, what each client received.

Each load process keeps a `Sends` for its senders and a `Receipts` for its clients; the
coordinator joins them with the membership of each stream (a channel or a conversation):
every member of a stream, the sender included, must receive every message sent into it
that the server did not refuse, exactly once, in order.

Receipts are counts per (receiver, sender, sender's seq) in bytearrays: one byte per
expected delivery, so a million deliveries cost a megabyte and ship in one pickle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from loadtest import content
from loadtest.content import Tag
from loadtest.histogram import Histogram

NO_ACK, ACKED, REFUSED = 0, 1, 2  # send outcomes; NO_ACK is pending, timed out or disconnected


@dataclass
class Sends:
    """Outcome of every send of this process's senders, by sender and sender seq."""

    status: dict[int, bytearray] = field(default_factory=dict)
    live_per_stream: Counter[Hashable] = field(default_factory=Counter)  # sent and not refused
    errors: Counter[str] = field(default_factory=Counter)
    ack_latency: Histogram = field(default_factory=Histogram)
    count: int = 0

    def sent(self, sender: int, stream: Hashable) -> int:
        """Note a send and return its seq (the sender's counter, from 0)."""
        outcomes = self.status.setdefault(sender, bytearray())
        outcomes.append(NO_ACK)
        self.live_per_stream[stream] += 1
        self.count += 1
        return len(outcomes) - 1

    def acked(self, sender: int, seq: int, stream: Hashable, error_code: str | None, ms: float) -> None:
        if error_code is None:
            self.status[sender][seq] = ACKED
            self.ack_latency.record(ms)
        else:
            self.status[sender][seq] = REFUSED
            self.live_per_stream[stream] -= 1
            self.errors[error_code] += 1


@dataclass
class Receipts:
    """What this process's clients received in one round."""

    round_id: int
    t0: float  # the round's start; latencies are filed under the second they were sent in
    counts: dict[int, dict[int, bytearray]] = field(default_factory=dict)
    last_order: dict[int, dict[Hashable, int]] = field(default_factory=dict)
    per_second: dict[int, Histogram] = field(default_factory=dict)
    distinct: int = 0
    repeats: int = 0
    out_of_order: int = 0
    foreign: int = 0  # deliveries of another round (late) or of content the harness did not write
    last_at: float = 0.0  # when the last first-time delivery arrived

    def take(self, receiver: int, stream: Hashable, payload: Any, now: float) -> Tag | None:
        """Record a `message:new`/`dm:new` delivery; its tag the first time it reaches `receiver`.

        The order checked is the server's seq in the stream, or without one each sender's own."""
        message = payload.get("message") if isinstance(payload, dict) else None
        tag = content.parse(message.get("content")) if isinstance(message, dict) else None
        if tag is None:
            self.foreign += 1
            return None
        seq = message.get("seq")
        if type(seq) is int:
            first = self.record(receiver, tag, stream, seq, now)
        else:
            first = self.record(receiver, tag, ("sender", tag.sender), tag.seq, now)
        return tag if first else None

    def record(self, receiver: int, tag: Tag, stream: Hashable, order_key: int, now: float) -> bool:
        """File one delivery; True when it is the first of its message for this receiver."""
        if tag.round != self.round_id:
            self.foreign += 1
            return False
        by_sender = self.counts.get(receiver)
        if by_sender is None:
            by_sender = self.counts[receiver] = {}
            self.last_order[receiver] = {}
        got = by_sender.get(tag.sender)
        if got is None:
            got = by_sender[tag.sender] = bytearray(64)
        seq = tag.seq
        if seq >= len(got):
            got.extend(bytes(max(seq + 1 - len(got), len(got))))
        seen = got[seq]
        if seen:
            got[seq] = min(seen + 1, 255)
            self.repeats += 1
            return False
        got[seq] = 1
        self.distinct += 1
        self.last_at = now
        last = self.last_order[receiver]
        if order_key < last.get(stream, -1):
            self.out_of_order += 1
        else:
            last[stream] = order_key
        second = int(tag.sent_at - self.t0)
        hist = self.per_second.get(second)
        if hist is None:
            hist = self.per_second[second] = Histogram()
        hist.record((now - tag.sent_at) * 1000.0)
        return True

    def trimmed(self) -> Receipts:
        """The same receipts with the unused tail of each bytearray cut, to ship smaller."""
        for by_sender in self.counts.values():
            for sender, got in by_sender.items():
                end = len(got.rstrip(b"\x00"))
                by_sender[sender] = got[:end]
        return self


@dataclass
class Accounting:
    sent: int = 0
    acked: int = 0
    refused: int = 0
    unacked: int = 0
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unexpected: int = 0
    late_or_foreign: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.unexpected)


def account(members: Mapping[Hashable, list[int]], senders: Mapping[Hashable, list[int]],
            sends: list[Sends], receipts: list[Receipts]) -> Accounting:
    """Join sends and receipts from every process with who belongs to which stream."""
    status: dict[int, bytearray] = {}
    got: dict[int, dict[int, bytearray]] = {}
    result = Accounting()
    errors: Counter[str] = Counter()
    for one in sends:
        status.update(one.status)
        errors.update(one.errors)
    for one in receipts:
        got.update(one.counts)
        result.out_of_order += one.out_of_order
        result.late_or_foreign += one.foreign
    for outcomes in status.values():
        result.sent += len(outcomes)
        result.acked += outcomes.count(ACKED)
        result.refused += outcomes.count(REFUSED)
    result.unacked = result.sent - result.acked - result.refused
    result.errors = dict(errors)

    visited: set[tuple[int, int]] = set()
    for stream, stream_members in members.items():
        for sender in senders.get(stream, ()):
            outcomes = status.get(sender, bytearray())
            refused = [i for i, s in enumerate(outcomes) if s == REFUSED] if REFUSED in outcomes else []
            expected = len(outcomes) - len(refused)
            for receiver in stream_members:
                visited.add((receiver, sender))
                counts = got.get(receiver, {}).get(sender)
                result.expected += expected
                if counts is None:
                    result.lost += expected
                    continue
                head, tail = counts[:len(outcomes)], counts[len(outcomes):]
                distinct = len(head) - head.count(0)
                total = sum(head)
                for i in refused:
                    if i < len(head) and head[i]:
                        result.unexpected += head[i]
                        distinct -= 1
                        total -= head[i]
                result.delivered += distinct
                result.lost += expected - distinct
                result.duplicated += total - distinct
                result.unexpected += sum(tail)
    for receiver, by_sender in got.items():
        for sender, counts in by_sender.items():
            if (receiver, sender) not in visited:
                result.unexpected += sum(counts)
    return result
