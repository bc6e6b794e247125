"""What the harness writes into a message's content so that a receiver can account for it.

`lt|<round>|<sender>|<seq>|<sent_at>|<extra>|<padding>`: the round tells late deliveries
of an earlier step apart; sender and seq (the sender's own counter, from 0) name the
message; sent_at is time.monotonic() at send, which is one clock for every process on a
Linux machine; extra carries scenario data (the ping a DM reply answers).
"""

from __future__ import annotations

from typing import NamedTuple

PREFIX = "lt|"


class Tag(NamedTuple):
    round: int
    sender: int
    seq: int
    sent_at: float
    extra: str


def make(round_id: int, sender: int, seq: int, sent_at: float, extra: str = "", size: int = 0) -> str:
    text = f"lt|{round_id}|{sender}|{seq}|{sent_at:.6f}|{extra}|"
    return text + "x" * (size - len(text)) if size > len(text) else text


def parse(content: object) -> Tag | None:
    """The tag in a message's content, or None for content the harness did not write."""
    if not isinstance(content, str) or not content.startswith(PREFIX):
        return None
    parts = content.split("|", 6)
    try:
        return Tag(int(parts[1]), int(parts[2]), int(parts[3]), float(parts[4]), parts[5])
    except (IndexError, ValueError):
        return None
