"""Two users chatting, from nothing: the quickstart of docs/quickstart.md in Python.

    pip install "python-socketio[asyncio_client]"      # python-socketio 5 with aiohttp
    python quickstart.py http://localhost:8080

Signs up ada and bob (or signs them in, on a second run), ada creates a workspace and a channel,
bob joins both, they exchange messages over Socket.IO, then bob drops off, misses a message and
catches up with `sync`.
"""

import asyncio
import sys
import uuid

import aiohttp
import socketio

URL = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
API = URL + "/api/v1"


async def sign_up_and_in(http: aiohttp.ClientSession, username: str) -> dict:
    """Register (a 409 means the account is already there) and sign in; returns the tokens."""
    account = {"email": f"{username}@example.com", "username": username, "password": "correct horse battery"}
    async with http.post(f"{API}/auth/register", json=account) as response:
        assert response.status in (201, 409), await response.text()
    async with http.post(f"{API}/auth/login", json={"login": username, "password": account["password"]}) as response:
        assert response.status == 200, await response.text()
        return await response.json()  # {accessToken, refreshToken, expiresAt, user, ...}


async def call(http: aiohttp.ClientSession, method: str, path: str, token: str, body: dict | None = None) -> dict:
    async with http.request(method, API + path, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def connect(token: str, name: str) -> tuple[socketio.AsyncClient, dict]:
    """A socket signed in with the access token; returns it with its `ready` snapshot."""
    sio = socketio.AsyncClient(reconnection=False)
    ready = asyncio.get_running_loop().create_future()
    sio.on("ready", lambda snapshot: ready.done() or ready.set_result(snapshot))
    await sio.connect(URL, auth={"token": token}, transports=["websocket"])
    snapshot = await asyncio.wait_for(ready, 10)
    print(f"{name}: connected, ready lists {len(snapshot['channels'])} channel(s)")
    return sio, snapshot


async def emit(sio: socketio.AsyncClient, event: str, payload: dict) -> dict:
    """Emit with an acknowledgement: {ok: true, data} or {ok: false, error: {code, message}}."""
    ack = await sio.call(event, payload, timeout=10)
    if not ack["ok"]:
        raise RuntimeError(f"{event} refused: {ack['error']}")
    return ack["data"]


async def main() -> None:
    async with aiohttp.ClientSession() as http:
        # 1. Two accounts. 2. ada's workspace; its invite code lets bob in. 3. A channel.
        ada = await sign_up_and_in(http, "ada")
        bob = await sign_up_and_in(http, "bob")
        workspace = (await call(http, "POST", "/workspaces", ada["accessToken"], {"name": "Analytical"}))["workspace"]
        await call(http, "POST", "/workspaces/join", bob["accessToken"], {"inviteCode": workspace["inviteCode"]})
        channel = (await call(http, "POST", f"/workspaces/{workspace['id']}/channels", ada["accessToken"],
                              {"name": f"general-{uuid.uuid4().hex[:6]}"}))["channel"]
        print(f"ada: created #{channel['name']} in {workspace['name']}")

    # 4. Both connect; bob joins the public channel over the socket.
    ada_socket, _ = await connect(ada["accessToken"], "ada")
    bob_socket, _ = await connect(bob["accessToken"], "bob")
    await emit(bob_socket, "channel:join", {"channelId": channel["id"]})

    # 5. ada sends; bob receives `message:new`. Keep the last changeSeq per stream for `sync`.
    received = asyncio.Queue()
    bob_socket.on("message:new", lambda data: received.put_nowait(data["message"]))
    sent = await emit(ada_socket, "message:send",
                      {"channelId": channel["id"], "content": "Hello Bob!", "nonce": str(uuid.uuid4())})
    message = await asyncio.wait_for(received.get(), 10)
    print(f"bob: received {message['content']!r} (seq {message['seq']}, changeSeq {message['changeSeq']})")
    assert message["id"] == sent["message"]["id"]
    last_change_seq = message["changeSeq"]

    # 6. bob answers; ada gets it the same way.
    ada_inbox = asyncio.Queue()
    ada_socket.on("message:new", lambda data: ada_inbox.put_nowait(data["message"]))
    await emit(bob_socket, "message:send", {"channelId": channel["id"], "content": "Hi Ada!", "nonce": str(uuid.uuid4())})
    print(f"ada: received {(await asyncio.wait_for(ada_inbox.get(), 10))['content']!r}")
    last_change_seq = (await asyncio.wait_for(received.get(), 10))["changeSeq"]  # bob's own message, echoed

    # 7. bob drops off; ada writes meanwhile; bob reconnects and catches up with `sync`.
    await bob_socket.disconnect()
    await emit(ada_socket, "message:send",
               {"channelId": channel["id"], "content": "Did you see this?", "nonce": str(uuid.uuid4())})
    bob_socket, _ = await connect(bob["accessToken"], "bob")
    caught_up = await emit(bob_socket, "sync", {"channels": {channel["id"]: last_change_seq}})
    missed = caught_up["channels"][channel["id"]]["messages"]
    print(f"bob: sync brought {len(missed)} missed message(s): {[m['content'] for m in missed]}")
    assert [m["content"] for m in missed] == ["Did you see this?"]

    await ada_socket.disconnect()
    await bob_socket.disconnect()
    print("done: two users chatted")


if __name__ == "__main__":
    asyncio.run(main())
