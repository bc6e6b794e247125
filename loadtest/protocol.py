"""Engine.IO 4 / Socket.IO 5 packets over a websocket, default namespace, JSON parser.

A websocket frame carries exactly one Engine.IO packet: its first character is the
Engine.IO type; a MESSAGE ("4") carries a Socket.IO packet whose first character is
the Socket.IO type, then an optional "/namespace," and ack id, then a JSON array.
Frames stay bytes end to end: orjson parses bytes, and no text decoding is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

# Engine.IO packet types, as the byte that starts a frame.
EIO_OPEN = ord("0")
EIO_CLOSE = ord("1")
EIO_PING = ord("2")
EIO_MESSAGE = ord("4")

# Socket.IO packet types, as the byte after the Engine.IO MESSAGE byte.
SIO_CONNECT = ord("0")
SIO_DISCONNECT = ord("1")
SIO_EVENT = ord("2")
SIO_ACK = ord("3")
SIO_CONNECT_ERROR = ord("4")

PONG = b"3"
_DIGITS = frozenset(b"0123456789")


def websocket_url(base_url: str, path: str = "/socket.io/") -> str:
    """The Engine.IO websocket endpoint under a server's http(s) or ws(s) base URL."""
    base = base_url.rstrip("/")
    if base.startswith("http"):
        base = "ws" + base[4:]
    return f"{base}{path}?EIO=4&transport=websocket"


def connect_packet(auth: Any) -> bytes:
    return b"40" if auth is None else b"40" + orjson.dumps(auth)


def event_packet(event: str, args: tuple[Any, ...], ack_id: int | None = None) -> bytes:
    head = b"42" if ack_id is None else b"42" + str(ack_id).encode()
    return head + orjson.dumps([event, *args])


def ack_packet(ack_id: int, args: list[Any]) -> bytes:
    return b"43" + str(ack_id).encode() + orjson.dumps(args)


@dataclass(frozen=True, slots=True)
class SocketIOPacket:
    kind: int  # one of the SIO_* bytes
    namespace: str
    ack_id: int | None
    data: Any  # the decoded JSON payload, None when there is none


def parse_socketio(frame: bytes) -> SocketIOPacket:
    """Parse an Engine.IO MESSAGE frame (b"4...") into its Socket.IO packet."""
    kind = frame[1]
    pos = 2
    namespace = "/"
    if pos < len(frame) and frame[pos] == ord("/"):
        comma = frame.find(b",", pos)
        end = len(frame) if comma < 0 else comma
        namespace = frame[pos:end].decode()
        pos = end + 1
    start = pos
    while pos < len(frame) and frame[pos] in _DIGITS:
        pos += 1
    ack_id = int(frame[start:pos]) if pos > start else None
    data = orjson.loads(frame[pos:]) if pos < len(frame) else None
    return SocketIOPacket(kind, namespace, ack_id, data)


def parse_open(frame: bytes) -> dict[str, Any]:
    """The handshake in the Engine.IO OPEN packet: sid, pingInterval, pingTimeout, maxPayload."""
    if not frame or frame[0] != EIO_OPEN:
        raise ValueError(f"expected an Engine.IO open packet, got {frame[:40]!r}")
    return orjson.loads(frame[1:])


def unwrap_args(args: list[Any]) -> Any:
    """What python-socketio's AsyncClient.call returns for ack arguments: one value, or a tuple."""
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)
