"""Bad input of any shape gets an error ack, changes nothing, and leaves the socket usable."""

from __future__ import annotations

import uuid

import pytest

from tests.support.chat import connect, nonce, send, workspace_with_channel


@pytest.fixture
async def setup(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    client = await connect(server, owner)
    return room, client


BAD_SENDS = [
    ({}, "invalid"),
    ({"content": "no channel", "nonce": "n1"}, "invalid"),
    ({"channelId": "not-a-uuid", "content": "x", "nonce": "n2"}, "invalid"),
    ({"channelId": "{cid}", "content": 42, "nonce": "n3"}, "invalid"),
    ({"channelId": "{cid}", "content": "x"}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": ""}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": "n" * 129}, "invalid"),
    ({"channelId": "{cid}", "content": "   ", "nonce": "n4"}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": "n5", "type": "SYSTEM"}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": "n6", "surprise": 1}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": "n7", "parentId": str(uuid.UUID(int=1))}, "invalid"),
    ({"channelId": "{cid}", "content": "x", "nonce": "n8", "attachmentIds": [str(uuid.UUID(int=2))]}, "invalid"),
    ({"channelId": "{cid}", "content": "x" * 40_001, "nonce": "n9"}, "payload_too_large"),
    ({"channelId": str(uuid.UUID(int=3)), "content": "x", "nonce": "n10"}, "not_found"),
]


@pytest.mark.parametrize(("payload", "code"), BAD_SENDS)
async def test_bad_sends_are_refused_and_store_nothing(setup, payload, code):
    room, client = setup
    payload = {key: value.replace("{cid}", room.channel_id) if isinstance(value, str) else value
               for key, value in payload.items()}
    ack = await client.call("message:send", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    if code == "invalid":
        assert ack["error"]["details"]["fields"]
    history = await client.call("channel:history", {"channelId": room.channel_id})
    assert history["data"]["messages"] == []
    assert (await send(client, room.channel_id, "still works"))["seq"] == 1


@pytest.mark.parametrize("payload", [None, "a string", 42, [1, 2], True])
async def test_a_payload_that_is_not_an_object_is_invalid(setup, payload):
    room, client = setup
    ack = await client.call("message:send", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert (await send(client, room.channel_id, "still works"))["seq"] == 1


async def test_an_unknown_event_is_invalid_and_harmless(setup):
    room, client = setup
    ack = await client.call("message:explode", {"channelId": room.channel_id})
    assert ack == {"ok": False, "error": {"code": "invalid", "message": "unknown event 'message:explode'",
                                          "details": {"event": "message:explode"}}}
    assert (await send(client, room.channel_id, "still works"))["seq"] == 1


async def test_extra_arguments_are_invalid(setup):
    room, client = setup
    ack = await client.sio.call("message:send", ({"channelId": room.channel_id, "content": "x", "nonce": nonce()},
                                                 "extra"), timeout=5)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


async def test_errors_of_an_event_sent_without_an_ack_arrive_as_an_error_event(setup):
    room, client = setup
    await client.sio.emit("message:send", {"channelId": room.channel_id})
    error = await client.wait_for("error")
    assert error["event"] == "message:send" and error["code"] == "invalid"
    await client.sio.emit("message:send", {"channelId": room.channel_id, "content": "fire and forget",
                                           "nonce": nonce()})
    assert (await client.wait_for("message:new"))["message"]["content"] == "fire and forget"


@pytest.mark.parametrize(("event", "payload"), [
    ("message:edit", {"messageId": "x", "version": 1, "content": "y"}),
    ("message:edit", {"messageId": str(uuid.UUID(int=5)), "version": 0, "content": "y"}),
    ("message:delete", {}),
    ("reaction:add", {"messageId": str(uuid.UUID(int=5)), "emoji": ""}),
    ("reaction:add", {"messageId": str(uuid.UUID(int=5)), "emoji": "has space"}),
    ("typing", {"typing": True}),
    ("typing", {"channelId": str(uuid.UUID(int=5)), "conversationId": str(uuid.UUID(int=6)), "typing": True}),
    ("channel:read", {"channelId": str(uuid.UUID(int=5)), "seq": -1}),
    ("channel:history", {"channelId": str(uuid.UUID(int=5)), "limit": 101}),
    ("channel:history", {"channelId": str(uuid.UUID(int=5)), "limit": 0}),
    ("presence:set", {"status": "OFFLINE"}),
    ("presence:set", {"status": "BUSY", "statusText": "x" * 101}),
    ("sync", {"channels": {"not-a-uuid": 1}}),
    ("sync", {"channels": {str(uuid.UUID(int=5)): "seven"}}),
    ("dm:open", {"userId": 7}),
])
async def test_bad_payloads_of_every_event_are_invalid(setup, event, payload):
    room, client = setup
    ack = await client.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack


async def test_unknown_ids_are_not_found(setup):
    room, client = setup
    unknown = str(uuid.uuid4())
    for event, payload in (("message:edit", {"messageId": unknown, "version": 1, "content": "y"}),
                           ("message:delete", {"messageId": unknown}),
                           ("message:pin", {"messageId": unknown, "pinned": True}),
                           ("reaction:add", {"messageId": unknown, "emoji": "👍"}),
                           ("channel:join", {"channelId": unknown}),
                           ("dm:open", {"userId": unknown})):
        ack = await client.call(event, payload)
        assert ack["error"]["code"] == "not_found", (event, ack)
