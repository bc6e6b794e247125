"""Baseline: the chat events on a bare python-socketio + aiohttp server, state in memory.

What a straightforward python-socketio server costs, for comparison with ours (which
persists every message to PostgreSQL) and with Node's socket.io. It accepts any auth:
the `token` it is given is the user id. Run: python server.py --port 8090
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import uuid

import socketio
from aiohttp import web


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fail(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message, "details": {}}}


def build() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    users: dict[str, str] = {}  # sid -> user id
    seqs: dict[str, int] = {}  # channel or conversation id -> last seq
    conversations: dict[str, tuple[str, str]] = {}  # conversation id -> its two users
    pairs: dict[tuple[str, str], str] = {}  # sorted user pair -> conversation id

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        users[sid] = token if isinstance(token, str) and token else sid
        await sio.enter_room(sid, "user:" + users[sid])

    @sio.event
    async def disconnect(sid, reason=None):
        users.pop(sid, None)

    @sio.on("channel:join")
    async def channel_join(sid, data):
        channel_id = data.get("channelId") if isinstance(data, dict) else None
        if not isinstance(channel_id, str):
            return fail("invalid", "channelId is required")
        await sio.enter_room(sid, "channel:" + channel_id)
        return {"ok": True, "data": {}}

    def new_message(stream_field: str, stream_id: str, sid: str, data: dict) -> dict:
        seqs[stream_id] = seq = seqs.get(stream_id, 0) + 1
        stamp = now_iso()
        return {"id": str(uuid.uuid4()), stream_field: stream_id, "seq": seq, "changeSeq": seq,
                "userId": users.get(sid), "content": data.get("content", ""), "type": "TEXT",
                "nonce": data.get("nonce"), "createdAt": stamp, "updatedAt": stamp}

    @sio.on("message:send")
    async def message_send(sid, data):
        channel_id = data.get("channelId") if isinstance(data, dict) else None
        if not isinstance(channel_id, str):
            return fail("invalid", "channelId is required")
        if "channel:" + channel_id not in sio.rooms(sid):
            return fail("forbidden", "join the channel first")
        message = new_message("channelId", channel_id, sid, data)
        await sio.emit("message:new", {"message": message}, to="channel:" + channel_id)
        return {"ok": True, "data": {"message": message}}

    @sio.on("dm:open")
    async def dm_open(sid, data):
        other = data.get("userId") if isinstance(data, dict) else None
        if not isinstance(other, str):
            return fail("invalid", "userId is required")
        me = users[sid]
        pair = tuple(sorted((me, other)))
        conversation_id = pairs.setdefault(pair, str(uuid.uuid4()))
        conversations[conversation_id] = pair
        return {"ok": True, "data": {"conversation": {"id": conversation_id, "otherUserId": other,
                                                      "lastSeq": seqs.get(conversation_id, 0)}}}

    @sio.on("dm:send")
    async def dm_send(sid, data):
        conversation_id = data.get("conversationId") if isinstance(data, dict) else None
        pair = conversations.get(conversation_id)
        if pair is None or users.get(sid) not in pair:
            return fail("not_found", "no such conversation")
        message = new_message("conversationId", conversation_id, sid, data)
        await sio.emit("dm:new", {"message": message}, to=["user:" + u for u in pair])
        return {"ok": True, "data": {"message": message}}

    app = web.Application()
    sio.attach(app, socketio_path="/socket.io/")

    async def ok(request):
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", ok)
    app.router.add_get("/readyz", ok)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0: any free port (printed)")
    args = parser.parse_args()
    try:
        import uvloop  # the same event loop as our server, so the comparison is of the rest

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass

    async def serve() -> None:
        runner = web.AppRunner(build(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on http://{args.host}:{port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
