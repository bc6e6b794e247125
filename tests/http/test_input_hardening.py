"""Hostile and sloppy input, as a client sees the answers: deep JSON, NUL characters, missing
bodies, loosely typed values, wrong methods on literal paths, and a request aiohttp's parser
refuses. Each is a 4xx with a problem+json `code` (or aiohttp's own 400), never a 500, and
never a traceback in the log."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

import pytest

from chatserver.errors import ApiError
from chatserver.schemas.base import MAX_DEPTH, parse
from chatserver.schemas.conversations import ChannelReadIn
from chatserver.schemas.messages import MessageSendIn
from tests.http.test_auth import assert_problem

V1 = "/api/v1"
CHANNEL = "6f1c3c2e-9d0b-4c57-8a3a-0b6b0a1c9b1e"


def _nested(depth: int) -> str:
    """JSON nested `depth` levels deep, inside the parser's own limit of 1,024."""
    return '{"login": "ada", "password": "secret", "x": ' + "[" * depth + "]" * depth + "}"


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.exc_info or "Traceback" in record.getMessage()]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 1000])
async def test_deep_json_is_invalid_not_a_500(server, caplog, depth):
    account = await server.account()
    headers = {"Content-Type": "application/json"}
    # Open (no token), authenticated, and one that takes free-form JSON.
    for method, path, token in (("POST", "/auth/login", None), ("PATCH", "/me", account.access_token),
                                ("POST", "/activity-logs", account.access_token)):
        answer = await server.request(method, V1 + path, token=token, data=_nested(depth), headers=headers)
        assert_problem(answer, 422, "invalid")
        assert "nested more than" in str(answer.body["errors"])
    assert not _tracebacks(caplog)


async def test_json_within_the_depth_limit_is_still_read(server):
    shallow = '{"login": "nobody", "password": "secret", "x": ' + "[" * 10 + "]" * 10 + "}"
    answer = await server.request("POST", f"{V1}/auth/login", data=shallow,
                                  headers={"Content-Type": "application/json"})
    assert_problem(answer, 422, "invalid")  # refused for the unknown field, by name, after the depth check
    assert "x" in answer.body["errors"]


def test_parse_refuses_deep_event_payloads_cheaply():
    # Socket.IO payloads go through the same parse: a 1,000-deep one is `invalid`, not a RecursionError.
    payload = {"channelId": CHANNEL, "seq": 1, "extra": {}}
    inner = payload["extra"]
    for _ in range(1000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ApiError) as caught:
        parse(ChannelReadIn, payload)
    assert caught.value.code == "invalid"
    assert any("nested more than" in problem for problem in caught.value.details["fields"].values())


def test_parse_takes_json_types_strictly():
    assert parse(ChannelReadIn, {"channelId": CHANNEL, "seq": 4}).seq == 4
    assert parse(ChannelReadIn, {"channelId": CHANNEL, "seq": 4.0}).seq == 4  # JSON's integer 4
    for seq in ("4", False, 4.5):
        with pytest.raises(ApiError) as caught:
            parse(ChannelReadIn, {"channelId": CHANNEL, "seq": seq})
        assert caught.value.code == "invalid" and "seq" in caught.value.details["fields"]
    with pytest.raises(ApiError):  # snake_case is not a wire name
        parse(ChannelReadIn, {"channel_id": CHANNEL, "seq": 4})
    with pytest.raises(ApiError) as caught:
        parse(MessageSendIn, {"channelId": CHANNEL, "content": "a\x00b", "nonce": "n"})
    assert caught.value.details["fields"] == {"content": "contains a NUL character"}


async def test_loosely_typed_bodies_are_refused(server):
    account = await server.account()
    for body in ({"name": "Acme", "isPublic": 0}, {"name": "Acme", "isPublic": "true"}, {"name": 5}):
        assert_problem(await server.request("POST", f"{V1}/workspaces", token=account.access_token, json=body),
                       422, "invalid")
    workspace = await server.request("POST", f"{V1}/workspaces", token=account.access_token,
                                     json={"name": "Acme", "isPublic": False})
    assert workspace.status == 201, workspace.body
    channel = await server.request("POST", f"{V1}/workspaces/{workspace.body['workspace']['id']}/channels",
                                   token=account.access_token, json={"name": "general"})
    channel_id = channel.body["channel"]["id"]
    for position in (False, "4"):
        assert_problem(await server.request("PATCH", f"{V1}/channels/{channel_id}", token=account.access_token,
                                            json={"position": position}), 422, "invalid")
    # null for a field that cannot hold it is refused, not a database error.
    assert_problem(await server.request("PATCH", f"{V1}/channels/{channel_id}", token=account.access_token,
                                        json={"name": None}), 422, "invalid")
    # Query values are text: numbers and booleans are read from it, dates are not read from numbers.
    listed = await server.request("GET", f"{V1}/workspaces?limit=1", token=account.access_token)
    assert listed.status == 200 and len(listed.body["items"]) == 1
    assert_problem(await server.request("GET", f"{V1}/calendar-blocks?weekStartDate=0", token=account.access_token),
                   422, "invalid")
    assert_problem(await server.request("GET", f"{V1}/communities?mine=1", token=account.access_token),
                   422, "invalid")


async def test_a_declared_body_is_required(server):
    account = await server.account()
    assert_problem(await server.request("POST", f"{V1}/auth/login"), 422, "invalid")
    missing = await server.request("PATCH", f"{V1}/me", token=account.access_token)
    assert_problem(missing, 422, "invalid")
    assert missing.body["errors"] == {"body": "a JSON body is required"}
    # An empty object is a body: every field of PATCH /me is optional.
    assert (await server.request("PATCH", f"{V1}/me", token=account.access_token, json={})).status == 200


async def test_cursors_are_only_the_ones_given_out(server):
    account = await server.account()
    for _ in range(3):
        await server.request("POST", f"{V1}/ai-chats", token=account.access_token, json={"title": "chat"})
    first = await server.request("GET", f"{V1}/ai-chats?limit=2", token=account.access_token)
    cursor = first.body["nextCursor"]
    second = await server.request("GET", f"{V1}/ai-chats?limit=2&cursor={cursor}", token=account.access_token)
    assert second.status == 200 and len(second.body["items"]) == 1
    for forged in ("not-a-cursor", "WyIyMDI0Il0", "%00"):
        assert_problem(await server.request("GET", f"{V1}/ai-chats?cursor={forged}", token=account.access_token),
                       422, "invalid")
    document = (await server.request("GET", "/api/openapi.json")).body
    params = {p["name"]: p for p in document["paths"][f"{V1}/ai-chats"]["get"]["parameters"]}
    assert re.fullmatch(params["cursor"]["schema"]["pattern"], cursor)
    assert not re.fullmatch(params["cursor"]["schema"]["pattern"], "not-a-cursor")


async def test_the_document_says_strings_hold_no_nul(server):
    document = (await server.request("GET", "/api/openapi.json")).body
    login = document["components"]["schemas"]["LoginIn"]["properties"]
    assert "\x00" not in login["password"]["pattern"] and re.search(login["password"]["pattern"], "secret")
    assert not re.search(login["password"]["pattern"], "se\x00cret")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PATCH", "/notifications/read-all", "POST"),
    ("GET", "/notifications/read-all", "POST"),
    ("GET", "/workspaces/join", "POST"),
    ("OPTIONS", "/notifications/read-all", "POST"),
    ("OPTIONS", "/workspaces/join", "POST"),
])
async def test_a_literal_path_is_not_taken_for_an_id(server, method, path, allowed):
    account = await server.account()
    answer = await server.request(method, V1 + path, token=account.access_token)
    assert_problem(answer, 405, "invalid")
    assert answer.headers["Allow"] == allowed


async def test_allow_lists_the_methods_of_the_path(server):
    account = await server.account()
    answer = await server.request("PUT", f"{V1}/notifications/{CHANNEL}", token=account.access_token)
    assert_problem(answer, 405, "invalid")
    assert set(answer.headers["Allow"].split(",")) == {"GET", "PATCH", "DELETE"}


async def test_a_nul_in_a_header_is_a_400_with_one_short_line(server, caplog):
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    address = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert re.match(rb"HTTP/1\.[01] 400 ", answer), answer[:100]
    assert not _tracebacks(caplog)
    lines = [record for record in caplog.records if record.name == "aiohttp.server"]
    assert len(lines) <= 1 and all("\n" not in record.getMessage() for record in lines)
    # The server goes on answering.
    assert (await server.request("GET", "/api/openapi.json")).status == 200


async def test_unicode_spaces_around_an_email_are_stripped_not_stored(server):
    # Found by schemathesis: spaces the old pattern let through reached PostgreSQL's CHECK (a 500).
    email = "\u202f\u2004\u1680\u0085;x\u0012@example.org\u000b\u001e"
    created = await server.request("POST", f"{V1}/auth/register", json={
        "email": email, "username": "spacey", "password": "correct horse battery"})
    assert created.status == 201, created.body
    assert created.body["user"]["email"] == ";x\u0012@example.org"
    assert_problem(await server.request("POST", f"{V1}/auth/register", json={
        "email": "a\u2003b@example.org", "username": "spacey2", "password": "correct horse battery"}), 422, "invalid")
