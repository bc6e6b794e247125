"""GrowCommunity: anonymous names, message types and settings, slot booking, read marks, revelation."""

from __future__ import annotations

import asyncio

import pytest

from tests.http.test_auth import assert_problem
from tests.support.roles import sql

V1 = "/api/v1"


async def _types(server, account) -> dict[str, str]:
    listed = await server.request("GET", f"{V1}/message-types", token=account.access_token)
    return {item["name"]: item["id"] for item in listed.body["items"]}


async def _send(server, sender, receiver, type_id, content="hello"):
    return await server.request("POST", f"{V1}/typed-messages", token=sender.access_token,
                                json={"receiverId": receiver.id, "messageTypeId": type_id, "content": content})


async def _anonymous_name(server, account) -> str:
    profile = await server.request("GET", f"{V1}/user-profiles/{account.id}", token=account.access_token)
    return profile.body["anonymousName"]


async def test_every_profile_has_a_unique_generated_anonymous_name(server):
    accounts = [await server.account() for _ in range(5)]
    names = [await _anonymous_name(server, account) for account in accounts]
    assert all(names) and len(set(names)) == 5
    duplicate = await sql(server, "SELECT count(*) AS n FROM user_profiles GROUP BY anonymous_name HAVING count(*) > 1")
    assert duplicate == []


async def test_message_types_come_with_colors(server):
    account = await server.account()
    listed = await server.request("GET", f"{V1}/message-types", token=account.access_token)
    colors = {item["name"]: item["colorCode"] for item in listed.body["items"]}
    assert set(colors) == {"coffee_chat", "mentorship", "networking", "general"}
    assert all(color.startswith("#") and len(color) == 7 for color in colors.values())


async def test_the_receiver_sees_the_sender_only_by_anonymous_name(server):
    alice, bob = await server.account(), await server.account()
    types = await _types(server, alice)
    sent = await _send(server, alice, bob, types["coffee_chat"], "coffee?")
    assert sent.status == 201, sent.body
    assert sent.body["isMine"] and sent.body["sender"]["revealed"] and sent.body["sender"]["userId"] == alice.id

    conversations = await server.request("GET", f"{V1}/typed-conversations", token=bob.access_token)
    [conversation] = conversations.body["items"]
    other = conversation["other"]
    assert other == {"anonymousName": await _anonymous_name(server, alice), "revealed": False, "userId": None,
                     "username": None, "displayName": None}
    messages = await server.request("GET", f"{V1}/typed-conversations/{conversation['id']}/messages",
                                    token=bob.access_token)
    [message] = messages.body["items"]
    assert message["content"] == "coffee?" and not message["isMine"]
    assert alice.id not in str(messages.body) and alice.username not in str(messages.body)


async def test_a_type_turned_off_cannot_be_sent(server):
    alice, bob = await server.account(), await server.account()
    types = await _types(server, alice)
    settings = await server.request("PATCH", f"{V1}/me/message-settings", token=bob.access_token, json={
        "messageTypes": [{"messageTypeId": types["mentorship"], "isEnabled": False}]})
    assert settings.status == 200
    enabled = {t["name"]: t["isEnabled"] for t in settings.body["messageTypes"]}
    assert enabled["mentorship"] is False and enabled["coffee_chat"] is True
    assert_problem(await _send(server, alice, bob, types["mentorship"]), 403, "forbidden")
    assert (await _send(server, alice, bob, types["coffee_chat"])).status == 201
    await server.request("PATCH", f"{V1}/me/message-settings", token=bob.access_token, json={
        "messageTypes": [{"messageTypeId": types["mentorship"], "isEnabled": True}]})
    assert (await _send(server, alice, bob, types["mentorship"])).status == 201


async def test_custom_slot_limits_booking_and_expiry(server):
    receiver = await server.account()
    first, second, third = [await server.account() for _ in range(3)]
    types = await _types(server, receiver)
    networking = types["networking"]
    await server.request("PATCH", f"{V1}/me/message-settings", token=receiver.access_token,
                         json={"useCustomSlots": True})
    slot = await server.request("POST", f"{V1}/custom-message-slots", token=receiver.access_token, json={
        "messageTypeId": networking, "name": "Two networking chats", "slotLimit": 2})
    assert slot.status == 201
    assert_problem(await server.request("POST", f"{V1}/custom-message-slots", token=receiver.access_token, json={
        "messageTypeId": networking, "name": "Another", "slotLimit": 9}), 409, "conflict")

    assert (await _send(server, first, receiver, networking)).status == 201
    assert (await _send(server, second, receiver, networking)).status == 201
    # Holding a slot, a sender writes again without booking another one.
    assert (await _send(server, first, receiver, networking, "again")).status == 201
    over = await _send(server, third, receiver, networking)
    assert_problem(over, 429, "limit_reached")
    assert over.body["details"]["limit"] == 2
    # Another type is limited separately (by the default).
    assert (await _send(server, third, receiver, types["general"])).status == 201

    bookings = await server.request("GET", f"{V1}/message-slot-bookings", token=first.access_token)
    assert len(bookings.body["items"]) == 1 and "receiverId" not in bookings.body["items"][0]
    await sql(server, "UPDATE message_slot_bookings SET created_at = now() - interval '8 days',"
                      " expires_at = now() - interval '1 day' WHERE sender_id = $1", first.id)
    assert (await _send(server, third, receiver, networking)).status == 201


@pytest.mark.settings(DEFAULT_SLOT_LIMIT=2)
async def test_the_slot_limit_holds_under_concurrent_senders(server):
    receiver = await server.account()
    senders = [await server.account() for _ in range(6)]
    general = (await _types(server, receiver))["general"]
    results = await asyncio.gather(*(_send(server, sender, receiver, general) for sender in senders))
    assert sorted(r.status for r in results) == [201, 201, 429, 429, 429, 429]
    held = await sql(server, "SELECT count(*) AS n FROM message_slot_bookings WHERE receiver_id = $1", receiver.id)
    assert held[0]["n"] == 2


async def test_read_marks_and_replies_by_conversation(server):
    alice, bob, eve = await server.account(), await server.account(), await server.account()
    general = (await _types(server, alice))["general"]
    await _send(server, alice, bob, general, "one")
    await _send(server, alice, bob, general, "two")
    [conversation] = (await server.request("GET", f"{V1}/typed-conversations", token=bob.access_token)).body["items"]
    assert conversation["unreadCount"] == 2
    cid = conversation["id"]
    for path in (f"/typed-conversations/{cid}", f"/typed-conversations/{cid}/messages"):
        assert_problem(await server.request("GET", V1 + path, token=eve.access_token), 404, "not_found")
    assert_problem(await server.request("POST", f"{V1}/typed-conversations/{cid}/read", token=eve.access_token),
                   404, "not_found")
    read = await server.request("POST", f"{V1}/typed-conversations/{cid}/read", token=bob.access_token)
    assert read.body == {"conversationId": cid, "markedRead": 2}
    messages = (await server.request("GET", f"{V1}/typed-conversations/{cid}/messages", token=bob.access_token)).body
    assert all(m["isRead"] and m["readAt"] for m in messages["items"])
    assert (await server.request("GET", f"{V1}/typed-conversations/{cid}", token=bob.access_token)).body[
        "unreadCount"] == 0
    # Bob replies without knowing who Alice is.
    replied = await server.request("POST", f"{V1}/typed-conversations/{cid}/messages", token=bob.access_token,
                                   json={"messageTypeId": general, "content": "hi, stranger"})
    assert replied.status == 201
    alice_view = await server.request("GET", f"{V1}/typed-conversations/{cid}/messages", token=alice.access_token)
    assert alice_view.body["items"][0]["content"] == "hi, stranger"
    assert (await _send(server, alice, alice, general)).status == 422


async def test_identity_revelation_is_per_receiver_and_per_type(server):
    alice, bob, carol = await server.account(), await server.account(), await server.account()
    types = await _types(server, alice)
    await _send(server, alice, bob, types["coffee_chat"], "coffee")
    await _send(server, alice, bob, types["mentorship"], "mentor me")
    await _send(server, alice, carol, types["coffee_chat"], "coffee, carol?")
    revealed = await server.request("POST", f"{V1}/identity-revelations", token=alice.access_token, json={
        "revealedToId": bob.id, "messageTypeId": types["coffee_chat"]})
    assert revealed.status == 201
    again = await server.request("POST", f"{V1}/identity-revelations", token=alice.access_token, json={
        "revealedToId": bob.id, "messageTypeId": types["coffee_chat"]})
    assert again.status == 200 and again.body["id"] == revealed.body["id"]

    [conversation] = (await server.request("GET", f"{V1}/typed-conversations", token=bob.access_token)).body["items"]
    assert conversation["other"]["revealed"] and conversation["other"]["username"] == alice.username
    messages = (await server.request("GET", f"{V1}/typed-conversations/{conversation['id']}/messages",
                                     token=bob.access_token)).body["items"]
    senders = {m["content"]: m["sender"] for m in messages}
    assert senders["coffee"]["revealed"] and senders["coffee"]["userId"] == alice.id
    assert not senders["mentor me"]["revealed"] and senders["mentor me"]["userId"] is None
    # Carol, the other receiver, still sees only the anonymous name.
    [carols] = (await server.request("GET", f"{V1}/typed-conversations", token=carol.access_token)).body["items"]
    assert carols["other"]["revealed"] is False

    # Bob reveals himself back through the conversation, without knowing Alice's id.
    back = await server.request("POST", f"{V1}/identity-revelations", token=bob.access_token, json={
        "conversationId": conversation["id"], "messageTypeId": types["coffee_chat"]})
    assert back.status == 201 and back.body["revealedTo"]["username"] == alice.username
    listed = await server.request("GET", f"{V1}/identity-revelations", token=alice.access_token)
    assert [item["revealedTo"]["username"] for item in listed.body["items"]] == [bob.username]
    for bad in ({"messageTypeId": types["general"]},
                {"messageTypeId": types["general"], "revealedToId": bob.id, "conversationId": conversation["id"]},
                {"messageTypeId": types["general"], "revealedToId": alice.id}):
        assert_problem(await server.request("POST", f"{V1}/identity-revelations", token=alice.access_token,
                                            json=bad), 422, "invalid")
