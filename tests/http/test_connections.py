"""Connections with live notifications, and direct messages only between accepted connections."""

from __future__ import annotations

from tests.http.test_auth import assert_problem
from tests.support.sockets import Client

V1 = "/api/v1"


async def _connect(server, sender, receiver, message="let's connect"):
    return await server.request("POST", f"{V1}/connections", token=sender.access_token,
                                json={"receiverId": receiver.id, "message": message})


async def test_a_request_and_its_answer_notify_live_and_over_http(server):
    alice, bob = await server.account(), await server.account()
    bob_socket, alice_socket = Client(), Client()
    await bob_socket.connect(server.url, bob.access_token)
    await alice_socket.connect(server.url, alice.access_token)

    asked = await _connect(server, alice, bob)
    assert asked.status == 201 and asked.body["status"] == "pending"
    live = await bob_socket.wait_for("notification:new")
    notification = live["notification"]
    assert notification["type"] == "connection_request" and notification["relatedUserId"] == alice.id
    assert notification["relatedConnectionId"] == asked.body["id"] and notification["isRead"] is False
    listed = await server.request("GET", f"{V1}/notifications", token=bob.access_token)
    assert listed.body["items"] == [notification]
    assert (await server.request("GET", f"{V1}/notifications", token=alice.access_token)).body["items"] == []

    accepted = await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=bob.access_token)
    assert accepted.body["status"] == "accepted"
    answer = await alice_socket.wait_for("notification:new")
    assert answer["notification"]["type"] == "connection_accepted"

    read = await server.request("PATCH", f"{V1}/notifications/{notification['id']}", token=bob.access_token,
                                json={"isRead": True})
    assert read.body["isRead"] is True
    assert (await server.request("GET", f"{V1}/notifications?isRead=false", token=bob.access_token)).body[
        "items"] == []
    assert (await server.request("POST", f"{V1}/notifications/read-all", token=alice.access_token)).body == {
        "markedRead": 1}
    assert_problem(await server.request("PATCH", f"{V1}/notifications/{notification['id']}",
                                        token=alice.access_token, json={"isRead": False}), 404, "not_found")


async def test_one_connection_per_pair_and_only_the_receiver_answers(server):
    alice, bob, eve = await server.account(), await server.account(), await server.account()
    asked = (await _connect(server, alice, bob)).body
    assert_problem(await _connect(server, alice, bob), 409, "conflict")
    reverse = await _connect(server, bob, alice)
    assert_problem(reverse, 409, "conflict")
    assert reverse.body["details"]["connectionId"] == asked["id"]
    assert_problem(await server.request("POST", f"{V1}/connections/{asked['id']}/accept",
                                        token=alice.access_token), 403, "forbidden")
    assert_problem(await server.request("POST", f"{V1}/connections/{asked['id']}/accept", token=eve.access_token),
                   404, "not_found")
    assert_problem(await server.request("GET", f"{V1}/connections/{asked['id']}", token=eve.access_token), 404,
                   "not_found")
    rejected = await server.request("POST", f"{V1}/connections/{asked['id']}/reject", token=bob.access_token)
    assert rejected.body["status"] == "rejected"
    assert_problem(await server.request("POST", f"{V1}/connections/{asked['id']}/accept", token=bob.access_token),
                   409, "conflict")
    # The rejected sender cannot clear the rejection to ask again; the receiver can.
    assert_problem(await server.request("DELETE", f"{V1}/connections/{asked['id']}", token=alice.access_token),
                   403, "forbidden")
    assert (await server.request("DELETE", f"{V1}/connections/{asked['id']}", token=bob.access_token)).status == 204
    assert (await _connect(server, alice, bob)).status == 201
    assert_problem(await _connect(server, alice, alice), 422, "invalid")
    mine = await server.request("GET", f"{V1}/connections?status=pending", token=bob.access_token)
    assert len(mine.body["items"]) == 1


async def test_direct_messages_only_between_accepted_connections(server):
    alice, bob, eve = await server.account(), await server.account(), await server.account()

    async def dm(sender, receiver, text="hi"):
        return await server.request("POST", f"{V1}/connection-messages", token=sender.access_token,
                                    json={"receiverId": receiver.id, "message": text})

    assert_problem(await dm(alice, bob), 403, "forbidden")
    asked = (await _connect(server, alice, bob)).body
    assert_problem(await dm(alice, bob), 403, "forbidden")  # pending is not enough
    await server.request("POST", f"{V1}/connections/{asked['id']}/accept", token=bob.access_token)
    bob_socket = Client()
    await bob_socket.connect(server.url, bob.access_token)
    sent = await dm(alice, bob, "hello bob")
    assert sent.status == 201 and sent.body["senderId"] == alice.id
    live = await bob_socket.wait_for("connection_message:new")
    assert live["message"]["message"] == "hello bob"
    assert (await dm(bob, alice, "hello alice")).status == 201
    assert_problem(await dm(eve, bob), 403, "forbidden")

    thread = await server.request("GET", f"{V1}/connection-messages?withUserId={alice.id}", token=bob.access_token)
    assert [m["message"] for m in thread.body["items"]] == ["hello alice", "hello bob"]
    assert (await server.request("GET", f"{V1}/connection-messages", token=eve.access_token)).body["items"] == []
    assert_problem(await server.request("GET", f"{V1}/connection-messages/{sent.body['id']}", token=eve.access_token),
                   404, "not_found")
    assert_problem(await server.request("POST", f"{V1}/connection-messages/{sent.body['id']}/read",
                                        token=alice.access_token), 404, "not_found")
    read = await server.request("POST", f"{V1}/connection-messages/{sent.body['id']}/read", token=bob.access_token)
    assert read.body["isRead"] is True
    assert_problem(await server.request("DELETE", f"{V1}/connection-messages/{sent.body['id']}",
                                        token=bob.access_token), 403, "forbidden")
    assert (await server.request("DELETE", f"{V1}/connection-messages/{sent.body['id']}",
                                 token=alice.access_token)).status == 204
