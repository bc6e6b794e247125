"""docs/asyncapi.yaml: up to date with scripts/asyncapi, complete, and true to what the server sends.

The last test drives a real server through every client event and most broadcasts, and checks each
payload and ack it saw against the document's schemas, with undeclared fields refused: a field
added to the wire without regenerating the document fails here.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from chatserver.realtime.events import EVENTS
from chatserver.schemas import events as server_events
from chatserver.schemas.events import SERVER_EVENTS, ServerEvent
from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.sockets import Client

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_PATH = ROOT / "docs" / "asyncapi.yaml"
GENERATOR_PATH = ROOT / "scripts" / "asyncapi"

# The broadcasts of the client contract (PROTOCOL.md) and this server's extensions.
CONTRACT_SERVER_EVENTS = {
    "ready", "message:new", "message:updated", "message:deleted", "reaction:updated", "typing",
    "channel:read", "channel:member_joined", "channel:member_left", "channel:created", "channel:updated",
    "channel:archived", "dm:new", "dm:read", "presence", "notification:new", "session:revoked",
    "workspace:updated", "workspace:deleted", "workspace:member_joined", "workspace:member_left",
    "workspace:member_updated", "error",
}


def load_generator():
    loader = importlib.machinery.SourceFileLoader("asyncapi_generator", str(GENERATOR_PATH))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT_PATH.read_text())


def messages_by_name(document: dict, prefix: str) -> dict[str, dict]:
    """Socket.IO event name -> its AsyncAPI message, for one direction (`client_` or `server_`)."""
    messages = document["channels"]["socket"]["messages"]
    return {message["name"]: message for key, message in messages.items()
            if key.startswith(prefix) and not key.endswith("_ack")}


def test_the_committed_document_is_what_the_generator_writes_now():
    assert DOCUMENT_PATH.read_text() == load_generator().render(), \
        "docs/asyncapi.yaml is out of date: run scripts/asyncapi and commit the result"


def test_it_is_an_asyncapi_3_document_with_its_references_in_place(document):
    assert document["asyncapi"] == "3.0.0"
    text = DOCUMENT_PATH.read_text()
    for pointer in set(re.findall(r"\$ref: '#/([^']+)'", text)):
        node: Any = document
        for part in pointer.split("/"):
            assert part in node, f"dangling $ref #/{pointer}"
            node = node[part]
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")


def test_every_client_event_is_described_with_its_payload_and_ack(document):
    described = messages_by_name(document, "client_")
    assert set(described) == set(EVENTS)
    receiving = {op["messages"][0]["$ref"].rsplit("/", 1)[-1]: op for op in document["operations"].values()
                 if op["action"] == "receive"}
    for name in EVENTS:
        key = next(k for k, m in document["channels"]["socket"]["messages"].items()
                   if m["name"] == name and k.startswith("client_"))
        operation = receiving[key]
        assert operation["reply"]["messages"] == [{"$ref": f"#/channels/socket/messages/{key}_ack"}], name
        assert operation["summary"] == EVENTS[name].summary


def _sources() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text() for path in (ROOT / "chatserver").rglob("*.py")}


def test_every_event_the_server_emits_is_declared_and_described(document):
    """Events reach clients only through the registry (chatserver/schemas/events.py), and everything
    in the registry is in the document: an event named by hand anywhere else fails here."""
    by_hand = re.compile(r"""(?:\bEvent|\.emit)\(\s*f?["']""")
    named_by_hand = [f"{path}: {line.strip()}" for path, text in _sources().items()
                     for line in text.splitlines() if by_hand.search(line)]
    assert not named_by_hand, "declare these events in chatserver/schemas/events.py and send " \
                              "EVENT.to(...) or EVENT.data(...):\n  " + "\n  ".join(named_by_hand)
    described = set(messages_by_name(document, "server_"))
    assert described == set(SERVER_EVENTS) | {"connect_error"}, "run scripts/asyncapi"  # connect_error: a packet
    assert CONTRACT_SERVER_EVENTS <= set(SERVER_EVENTS)


def test_every_declared_event_is_sent_by_some_code():
    declared = {name: value for name, value in vars(server_events).items() if isinstance(value, ServerEvent)}
    assert {event.name for event in declared.values()} == set(SERVER_EVENTS)
    sources = "\n".join(_sources().values())
    unused = [name for name in declared
              if len(re.findall(rf"\b{name}\b", sources)) < 2]  # its declaration, and at least one use
    assert not unused, f"declared but never sent: {unused}"


def test_the_error_codes_are_the_servers(document):
    from chatserver.errors import HTTP_STATUS

    codes = document["components"]["schemas"]["AckError"]["properties"]["code"]
    assert codes["enum"] == list(HTTP_STATUS)
    for code in HTTP_STATUS:
        assert f"`{code}`" in codes["description"]


# What the server really sends, checked against the document.


def _closed(node: Any) -> Any:
    """The schemas with undeclared properties refused, so a field missing from the document shows up.
    Only object schemas: a rule's subschema (`anyOf: [{required: [content], properties: ...}]`)
    speaks of some properties, not of the whole object."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


class Checker:
    """Validates payloads against the document's message payloads; remembers what it checked."""

    def __init__(self, document: dict) -> None:
        self.root = _closed(copy.deepcopy(document))
        messages = self.root["channels"]["socket"]["messages"]
        self.keys = {(key.split("_", 1)[0], message["name"]): key for key, message in messages.items()}
        self.checked: set[str] = set()

    def check(self, direction: str, name: str, payload: Any) -> None:
        key = self.keys[(direction, name)]
        # The whole document is the schema's root, so `#/components/...` references resolve in it.
        schema = {**self.root, "$ref": f"#/channels/socket/messages/{key}/payload"}
        errors = sorted(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                        .iter_errors(payload), key=lambda error: list(error.path))
        assert not errors, f"{direction} {name}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
        self.checked.add(f"{direction} {name}")


async def test_what_the_server_sends_matches_the_document(server, document):
    checker = Checker(document)
    alice, bob, carol = [await server.account(name) for name in ("alice", "bob", "carol")]
    room = await workspace_with_channel(server, alice, bob)
    bob_again = await server.request("POST", "/api/v1/auth/login", json={"login": "bob", "password": bob.password})
    clients = [await connect(server, alice), await connect(server, bob)]
    bob_tablet = Client()
    await bob_tablet.connect(server.url, bob_again.body["accessToken"])
    await bob_tablet.wait_for("ready")
    clients.append(bob_tablet)
    a, b = clients[0], clients[1]

    async def call(client: Client, event: str, payload: dict, *, valid: bool = True) -> dict:
        ack = await client.call(event, payload)
        if valid:
            checker.check("client", event, payload)
        checker.check("client", f"{event} ack", ack)
        return ack

    try:
        root = (await call(a, "message:send", {"channelId": room.channel_id, "content": "root @bob",
                                              "nonce": nonce()}))["data"]["message"]
        await call(b, "message:send", {"channelId": room.channel_id, "content": "reply", "nonce": nonce(),
                                       "parentId": root["id"]})
        stale = await call(a, "message:edit", {"messageId": root["id"], "version": 99, "content": "x"})
        assert stale["error"]["code"] == "version_conflict"
        await call(a, "message:edit", {"messageId": root["id"], "version": stale["error"]["details"]["current"]
                                       ["version"], "content": "root, edited"})
        await call(a, "message:pin", {"messageId": root["id"], "pinned": True})
        await call(b, "reaction:add", {"messageId": root["id"], "emoji": "👍"})
        await call(b, "reaction:remove", {"messageId": root["id"], "emoji": "👍"})
        await call(a, "typing", {"channelId": room.channel_id, "typing": True})
        await b.wait_for("typing")
        await call(b, "channel:read", {"channelId": room.channel_id, "seq": 2})
        await call(a, "presence:set", {"status": "BUSY", "statusText": "in a meeting"})
        await call(b, "presence:get", {"userIds": [alice.id, carol.id]})
        await call(a, "channel:history", {"channelId": room.channel_id, "limit": 10, "parentId": root["id"]})
        await call(a, "sync", {"channels": {room.channel_id: 0, "00000000-0000-4000-8000-000000000000": 0}})
        doomed = await send(a, room.channel_id, "to delete")
        await call(a, "message:delete", {"messageId": doomed["id"]})

        conversation = (await call(a, "dm:open", {"userId": bob.id}))["data"]["conversation"]
        dm = (await call(a, "dm:send", {"conversationId": conversation["id"], "content": "psst",
                                        "nonce": nonce()}))["data"]["message"]
        await call(b, "reaction:add", {"messageId": dm["id"], "emoji": "🎉"})
        await call(b, "dm:history", {"conversationId": conversation["id"]})
        await call(b, "dm:read", {"conversationId": conversation["id"], "seq": 1})
        await call(a, "message:delete", {"messageId": dm["id"]})
        await call(a, "message:send", {"channelId": "not-a-uuid"}, valid=False)  # an error ack
        await a.sio.emit("message:send", {"content": "no callback"})
        await a.wait_for("error")

        # Channel and workspace changes made over HTTP reach sockets too.
        workspace_id = room.workspace["id"]
        created = await server.request("POST", f"/api/v1/workspaces/{workspace_id}/channels",
                                       token=alice.access_token, json={"name": "random"})
        random_id = created.body["channel"]["id"]
        await call(b, "channel:join", {"channelId": random_id})
        await call(b, "channel:leave", {"channelId": random_id})
        await server.request("PATCH", f"/api/v1/channels/{random_id}", token=alice.access_token,
                             json={"topic": "anything goes"})
        await server.request("POST", f"/api/v1/channels/{random_id}/archive", token=alice.access_token)
        await server.request("PATCH", f"/api/v1/workspaces/{workspace_id}", token=alice.access_token,
                             json={"description": "the team"})
        await server.request("POST", "/api/v1/workspaces/join", token=carol.access_token,
                             json={"inviteCode": room.workspace["inviteCode"]})
        await server.request("PATCH", f"/api/v1/workspaces/{workspace_id}/members/{carol.id}",
                             token=alice.access_token, json={"role": "MODERATOR"})
        await server.request("DELETE", f"/api/v1/workspaces/{workspace_id}/members/{carol.id}",
                             token=alice.access_token)

        request = await server.request("POST", "/api/v1/connections", token=alice.access_token,
                                       json={"receiverId": bob.id})
        await server.request("POST", f"/api/v1/connections/{request.body['id']}/accept", token=bob.access_token)
        await server.request("POST", "/api/v1/connection-messages", token=alice.access_token,
                             json={"receiverId": bob.id, "message": "hello, connection"})
        await b.wait_for("connection_message:new")

        await server.request("POST", "/api/v1/auth/logout", token=bob_again.body["accessToken"])
        await bob_tablet.wait_for("session:revoked")
        await server.request("DELETE", f"/api/v1/workspaces/{workspace_id}", token=alice.access_token)
        await b.wait_for("workspace:deleted")
    finally:
        for client in clients:
            await client.close()

    for client in clients:
        for name, payload in client.events:
            checker.check("server", name, payload)
    seen = {entry.split(" ", 1)[1] for entry in checker.checked if entry.startswith("server ")}
    assert CONTRACT_SERVER_EVENTS <= seen, f"not exercised: {sorted(CONTRACT_SERVER_EVENTS - seen)}"
    assert {f"client {name}" for name in EVENTS} <= checker.checked
    assert {f"client {name} ack" for name in EVENTS} <= checker.checked
