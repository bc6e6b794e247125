"""A small real Socket.IO chat server that gets chosen deliveries wrong, on purpose.

It speaks the baseline contract (any auth, `channel:join`, `message:send` acked with
`{ok, data: {message}}`, `message:new` to the channel with a per-channel seq) and, by the
order in which sends arrive: drops one delivery to one member, delivers another twice to
one member, and hands one member two messages of a channel in swapped order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio


@dataclass
class Faults:
    drop: int | None = None  # number (from 1) of the send whose delivery to one member is dropped
    duplicate: int | None = None  # ... delivered twice to one member
    swap: int | None = None  # ... held back from one member until the channel's next message
    log: list[str] = field(default_factory=list)  # what was done, for failing assertions


def faulty_server(faults: Faults) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(async_mode="aiohttp")
    seqs: dict[str, int] = {}
    held: dict[str, tuple[str, dict[str, Any]]] = {}  # channel -> (member sid, held payload)
    count = [0]

    @sio.event
    async def connect(sid, environ, auth):
        await sio.save_session(sid, {"user": (auth or {}).get("token", sid)})

    @sio.on("channel:join")
    async def channel_join(sid, data):
        await sio.enter_room(sid, "channel:" + data["channelId"])
        return {"ok": True, "data": {}}

    def victim(room: str, sender: str) -> str:
        """The member a fault hits: the first one who is not the sender."""
        members = sorted(s for s, _ in sio.manager.get_participants("/", room))
        return next(s for s in members if s != sender)

    @sio.on("message:send")
    async def message_send(sid, data):
        count[0] += 1
        number, channel = count[0], data["channelId"]
        room = "channel:" + channel
        seqs[channel] = seqs.get(channel, 0) + 1
        session = await sio.get_session(sid)
        message = {"id": str(uuid.uuid4()), "channelId": channel, "seq": seqs[channel],
                   "userId": session["user"], "content": data["content"], "nonce": data["nonce"]}
        payload = {"message": message}
        hit = victim(room, sid)
        for member, _ in list(sio.manager.get_participants("/", room)):
            if member == hit and number == faults.drop:
                faults.log.append(f"dropped send {number} for {member}")
                continue
            if member == hit and number == faults.swap:
                faults.log.append(f"held send {number} for {member}")
                held[channel] = (member, payload)
                continue
            await sio.emit("message:new", payload, to=member)
            if member == hit and number == faults.duplicate:
                faults.log.append(f"duplicated send {number} for {member}")
                await sio.emit("message:new", payload, to=member)
            if channel in held and held[channel][0] == member:
                await sio.emit("message:new", held.pop(channel)[1], to=member)
        return {"ok": True, "data": {"message": message}}

    return sio
