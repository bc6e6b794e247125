"""Every client-to-server event, fuzzed: whatever the payload, the answer is a clean error ack.

Hypothesis builds payloads from each event's own field names (so that they get past the
unknown-field check into type checks) and from anything JSON can carry: wrong types,
missing and extra fields, huge and deeply nested values, NUL and odd unicode, ids that are
not UUIDs, arrays where objects are due, zero or two arguments, with and without an ack.
The server must answer each with `ok` or an error code a client can act on (never
`internal`), log no traceback (the server_logs_are_clean fixture), keep the connection,
and the same socket must still send a message afterwards. Payloads nested 1,000 levels
deep, on every event, must get `invalid`.

One connection is reused for the whole run, spoken by hand (aiohttp's websocket client),
so that the test encodes exactly the JSON it means (big integers included). Hypothesis
runs in a thread and hands each round trip to the event loop that runs the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatserver.realtime.events import EVENTS
from tests.support.chat import nonce, workspace_with_channel

# A bounded, repeatable run by default; FUZZ_EXAMPLES=2000 explores further, with fresh examples each time.
EXAMPLES_PER_EVENT = int(os.environ.get("FUZZ_EXAMPLES", "60"))
EXPLORE = "FUZZ_EXAMPLES" in os.environ
CLEAN_CODES = {"invalid", "not_found", "forbidden", "conflict", "payload_too_large", "rate_limited",
               "version_conflict", "limit_reached"}
DEPTH = 1_000

ODD_TEXT = ["", " ", "\x00", "a\x00b", "\u202e\u2066rtl", "\ufeff", "\u200d", "👍🏽", "👨‍👩‍👧‍👦", "\U0010ffff",
            "\uffff", "𝕏", "e\u0301", "null", "NaN", "-1", "1e400", "0x10", "\n\r\t", "' OR 1=1 --", "%s%n",
            "<script>", "../../etc/passwd", "x" * 129, "🙂" * 41_000]
ODD_IDS = ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "{12345678-1234-5678-1234-567812345678}",
           "urn:uuid:12345678-1234-5678-1234-567812345678", "12345678123456781234567812345678",
           "12345678-1234-5678-1234-56781234567", "g2345678-1234-5678-1234-567812345678",
           str(uuid.uuid4()).upper(), " " + str(uuid.uuid4()), str(uuid.uuid4()) + "\x00"]

# Deep values are spliced into the JSON text: json.dumps itself would recurse that deep.
DEEP_LIST, DEEP_DICT = "__deep_list__", "__deep_dict__"
_DEEP_TEXT = {f'"{DEEP_LIST}"': "[" * DEPTH + "]" * DEPTH,
              f'"{DEEP_DICT}"': '{"a":' * (DEPTH - 1) + "{}" + "}" * (DEPTH - 1)}


def encode(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for placeholder, deep in _DEEP_TEXT.items():
        text = text.replace(placeholder, deep)
    return text


scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),  # past 64 bits too
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40), st.sampled_from(ODD_TEXT), st.sampled_from(ODD_IDS), st.uuids().map(str),
)
huge = st.sampled_from([
    "x" * 300_000, list(range(20_000)), {f"k{i}": i for i in range(5_000)}, [{}] * 10_000,
    DEEP_LIST, DEEP_DICT,
])
json_values = st.recursive(
    st.one_of(scalars, huge), lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=10), children, max_size=4), max_leaves=10)


def _field_names(event: str) -> list[str]:
    return [field.alias or name for name, field in EVENTS[event].payload.model_fields.items()]


def payloads(event: str) -> st.SearchStrategy[Any]:
    """Objects made of the event's own fields (some missing, some extra), or anything at all."""
    names = _field_names(event)
    shaped = st.dictionaries(st.sampled_from(names), json_values, max_size=len(names))
    with_extra = st.tuples(shaped, st.dictionaries(st.text(max_size=12), json_values, min_size=1, max_size=2)).map(
        lambda parts: {**parts[1], **parts[0]})
    return st.one_of(shaped, shaped, with_extra, json_values, st.lists(shaped, max_size=2))


# Arguments after the event name: the usual single payload, or none, or two.
def arguments(event: str) -> st.SearchStrategy[list[Any]]:
    return st.one_of(payloads(event).map(lambda p: [p]), payloads(event).map(lambda p: [p]),
                     st.just([]), st.tuples(payloads(event), json_values).map(list))


class HandSpokenClient:
    """A signed-in Socket.IO websocket that matches acks to requests and keeps `error` events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 1
        self.pending: dict[int, asyncio.Future] = {}
        self.errors: list[dict] = []
        self.closed = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, server, token: str) -> HandSpokenClient:
        ws = await server.http.ws_connect(f"{server.url}/socket.io/?EIO=4&transport=websocket",
                                          max_msg_size=0)
        assert (await ws.receive_str()).startswith("0{")
        await ws.send_str("40" + encode({"token": token}))
        assert (await ws.receive_str()).startswith("40{")
        while not (await ws.receive_str()).startswith('42["ready"'):
            pass
        return cls(ws)

    async def _read(self) -> None:
        async for message in self.ws:
            text = message.data
            if text == "2":
                await self.ws.send_str("3")
            elif text.startswith("43"):
                digits = len(text) - len(text[2:].lstrip("0123456789"))
                ack_id, body = int(text[2:digits]), json.loads(text[digits:])
                if (future := self.pending.pop(ack_id, None)) is not None:
                    future.set_result(body)
            elif text.startswith('42["error"'):
                self.errors.append(json.loads(text[2:])[1])
        self.closed.set()

    async def call(self, event: str, args: list[Any], timeout: float = 10.0) -> list[Any]:
        ack_id, self.next_id = self.next_id, self.next_id + 1
        future = self.pending[ack_id] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"42{ack_id}" + encode([event, *args]))
        return await asyncio.wait_for(future, timeout)

    async def emit(self, event: str, args: list[Any]) -> None:
        await self.ws.send_str("42" + encode([event, *args]))

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


def assert_clean(ack: list[Any], what: str) -> dict:
    assert len(ack) == 1 and isinstance(ack[0], dict), (what, ack)
    answer = ack[0]
    if answer.get("ok") is True:
        assert set(answer) == {"ok", "data"}, (what, answer)
        return answer
    assert answer.get("ok") is False and set(answer) == {"ok", "error"}, (what, answer)
    error = answer["error"]
    assert error["code"] in CLEAN_CODES, (what, error)
    assert isinstance(error["message"], str) and set(error) <= {"code", "message", "details"}, (what, error)
    return answer


@pytest.fixture
async def fuzz_setup(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    client = await HandSpokenClient.connect(server, owner.access_token)
    yield room, client
    await client.close()


async def _still_sends(client: HandSpokenClient, channel_id: str) -> None:
    payload = {"channelId": channel_id, "content": "still here", "nonce": nonce()}
    [answer] = await client.call("message:send", [payload])
    assert answer["ok"] is True, answer


def _run_in_loop(loop: asyncio.AbstractEventLoop) -> Callable[[Any], Any]:
    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)
    return run


@pytest.mark.settings(RATE_LIMIT_SEND="100000/1", RATE_LIMIT_EDIT="100000/1", RATE_LIMIT_REACTION="100000/1",
                      RATE_LIMIT_TYPING="100000/1", MAX_FRAME_BYTES=str(16 << 20))
async def test_every_event_answers_any_payload_with_a_clean_ack(fuzz_setup):
    room, client = fuzz_setup
    run = _run_in_loop(asyncio.get_running_loop())

    def fuzz(event: str) -> None:
        @settings(max_examples=EXAMPLES_PER_EVENT, deadline=None, database=None, derandomize=not EXPLORE,
                  suppress_health_check=list(HealthCheck))
        @given(args=arguments(event), with_ack=st.booleans())
        def one(args: list[Any], with_ack: bool) -> None:
            if with_ack:
                assert_clean(run(client.call(event, args)), f"{event} {encode(args)[:300]}")
            else:  # processed in order: the next acked call comes after it
                run(client.emit(event, args))

        one()

    for event in EVENTS:
        await asyncio.to_thread(fuzz, event)
        assert not client.closed.is_set(), f"the server closed the connection while fuzzing {event}"
        await _still_sends(client, room.channel_id)
    codes = {error["code"] for error in client.errors}
    assert codes <= CLEAN_CODES, codes  # the errors of events sent without an ack


async def test_a_payload_nested_a_thousand_levels_is_invalid_on_every_event(fuzz_setup):
    room, client = fuzz_setup
    for event in EVENTS:
        cases = [DEEP_LIST, DEEP_DICT,
                 *({name: deep} for name in _field_names(event) for deep in (DEEP_LIST, DEEP_DICT))]
        for payload in cases:
            [answer] = await client.call(event, [payload])
            assert answer["ok"] is False and answer["error"]["code"] == "invalid", (event, str(payload)[:60], answer)
        await client.emit(event, [DEEP_DICT])  # without an ack: an `error` event
    await _still_sends(client, room.channel_id)
    assert [error["code"] for error in client.errors] == ["invalid"] * len(EVENTS)
