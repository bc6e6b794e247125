"""The Socket.IO wire format: orjson behind the json-module interface python-socketio
expects, and a packet decoder that refuses what the protocol does not allow.

python-socketio decodes leniently and lets the errors escape: text orjson cannot read
(a lone surrogate escape, NaN, Infinity, nesting deeper than orjson's 1,024 levels),
an EVENT whose data is not an array, a CONNECT with a string for its auth, end up as a
traceback in engine.io's log and no answer. Here each of those is a MalformedPacket,
which the server answers by closing the connection, as the Node server does
(socket.io-parser's `isPayloadValid`).
"""

from __future__ import annotations

from typing import Any

import orjson
from socketio import packet as sio_packet


def dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj).decode()


def loads(text: str | bytes, **_: Any) -> Any:
    return orjson.loads(text)


class MalformedPacket(ValueError):
    """A Socket.IO packet the protocol does not allow; the message says what is wrong, for the log."""


# Event names a client may not emit: the Socket.IO client refuses to send them, and the
# server would take them for its own connect and disconnect handlers.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener"})

MAX_ATTACHMENTS = 10  # binary attachments of one packet, as socket.io-parser's default


class ChatPacket(sio_packet.Packet):
    @classmethod
    def from_wire(cls, encoded_packet: Any) -> ChatPacket:
        """A packet as a client sent it (python-socketio's constructor skips decoding an empty one)."""
        if not isinstance(encoded_packet, str):  # a binary frame nobody announced, or JSON engine.io decoded
            raise MalformedPacket("a binary frame that is not an attachment")
        if encoded_packet[:1] not in tuple("0123456"):
            raise MalformedPacket(f"unknown packet type {encoded_packet[:1]!r}")
        return cls(encoded_packet=encoded_packet)

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError) as exc:  # bad digits, an id too long, or JSON orjson cannot read
            raise MalformedPacket(f"undecodable packet: {exc}") from None
        self._check(attachments)
        return attachments

    def _check(self, attachments: int) -> None:
        kind, data = self.packet_type, self.data
        if kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            if not 1 <= attachments <= MAX_ATTACHMENTS:
                raise MalformedPacket(f"a binary packet announcing {attachments} attachments")
        elif attachments:
            raise MalformedPacket("attachments on a packet that is not binary")
        if kind == sio_packet.CONNECT:
            valid = data is None or isinstance(data, dict)
        elif kind == sio_packet.DISCONNECT:
            valid = data is None
        elif kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            valid = isinstance(data, list) and bool(data) and _event_name_allowed(data[0])
        elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
            valid = isinstance(data, list)
        else:  # CONNECT_ERROR only goes from server to client; anything else is no packet type
            raise MalformedPacket(f"packet type {kind!r} from a client")
        if not valid:
            raise MalformedPacket(f"invalid data for a {sio_packet.packet_names[kind]} packet")

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """The server never sends bytes over the socket (files go over HTTP), so what it sends is
        never a binary packet. python-socketio walked every outgoing payload to find out, a
        sixth of the event loop's time in a burst; bytes in a payload now fail in `dumps`."""
        return False

    def add_attachment(self, attachment: Any) -> bool:
        if not isinstance(attachment, bytes):
            raise MalformedPacket("text where a binary attachment was due")
        return super().add_attachment(attachment)

    @classmethod
    def reconstruct_binary(cls, data: Any, attachments: list) -> Any:
        try:
            return super().reconstruct_binary(data, attachments)
        except (IndexError, KeyError, TypeError, RecursionError):  # a placeholder pointing nowhere, or too deep
            raise MalformedPacket("binary placeholders that do not match the attachments") from None


def _event_name_allowed(name: Any) -> bool:
    if isinstance(name, str):
        return name not in RESERVED_EVENTS
    return isinstance(name, int) and not isinstance(name, bool)  # numeric names are legal (and unknown)
