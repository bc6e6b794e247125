"""GDPR: the export of everything held about a user, and the erasure of the account, checked against
every table and column of the schema (docs/privacy.md)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
import uuid
from urllib.parse import quote

import asyncpg
import orjson
import pytest

from chatserver.http.api import SERVICES
from chatserver.store.privacy import ANONYMISED_TABLES, REGISTRY
from tests.http.test_attachments import png, uploaded
from tests.http.test_auth import assert_problem
from tests.support.chat import connect, nonce, workspace_with_channel
from tests.support.roles import admin, owner_sql, set_role

V1 = "/api/v1"


async def _ok(response, *statuses: int) -> dict:
    assert response.status in (statuses or (200, 201)), response.body
    return response.body


async def _life(server, alice, bob) -> dict[str, str]:
    """Alice uses every part of the server with Bob, through the API; what she wrote, by kind."""
    call = server.request
    mine = {"message": f"channel message {uuid.uuid4().hex}", "dm": f"direct message {uuid.uuid4().hex}",
            "post": f"post {uuid.uuid4().hex}", "comment": f"comment {uuid.uuid4().hex}",
            "bio": f"bio {uuid.uuid4().hex}", "connection": f"connection message {uuid.uuid4().hex}",
            "file": f"photo-{uuid.uuid4().hex[:8]}.png"}
    await _ok(await call("PATCH", f"{V1}/me", token=alice.access_token,
                         json={"displayName": "Alice Liddell", "bio": mine["bio"]}))
    await _ok(await call("PUT", f"{V1}/me/profile/mentor", token=alice.access_token,
                         json={"expertiseAreas": ["ops"]}))
    # Chat: a channel of Bob's workspace, a direct conversation, a reaction, a read marker, a file.
    room = await workspace_with_channel(server, bob, alice)
    attachment = await uploaded(server, alice, png(2, 2), mine["file"], "image/png")
    sent = (await _ok(await call("POST", f"{V1}/channels/{room.channel_id}/messages", token=alice.access_token,
                                 json={"content": mine["message"], "nonce": nonce(),
                                       "attachmentIds": [attachment["id"]]})))["message"]
    await _ok(await call("PUT", f"{V1}/messages/{sent['id']}/reactions/{quote('🚀')}", token=alice.access_token),
              200, 201, 204)
    socket = await connect(server, alice)
    assert (await socket.call("channel:read", {"channelId": room.channel_id, "seq": sent["seq"]}))["ok"]
    await socket.close()
    conversation = (await _ok(await call("POST", f"{V1}/conversations", token=alice.access_token,
                                         json={"userId": bob.id})))["conversation"]
    await _ok(await call("POST", f"{V1}/conversations/{conversation['id']}/messages", token=alice.access_token,
                         json={"content": mine["dm"], "nonce": nonce()}))
    # SmileFactory: a post with a comment and a like on Bob's post; an event and an RSVP; a purchase.
    await _ok(await call("POST", f"{V1}/posts", token=alice.access_token, json={"content": mine["post"]}))
    bobs_post = await _ok(await call("POST", f"{V1}/posts", token=bob.access_token, json={"content": "Bob's"}))
    await _ok(await call("POST", f"{V1}/posts/{bobs_post['id']}/comments", token=alice.access_token,
                         json={"content": mine["comment"]}))
    await _ok(await call("PUT", f"{V1}/posts/{bobs_post['id']}/like", token=alice.access_token), 200, 201, 204)
    event = await _ok(await call("POST", f"{V1}/events", token=bob.access_token, json={
        "title": "Founders breakfast", "eventType": "networking", "startsAt": "2030-01-02T08:00:00Z",
        "endsAt": "2030-01-02T10:00:00Z", "location": "Harare", "status": "published"}))
    await _ok(await call("PUT", f"{V1}/events/{event['id']}/rsvp", token=alice.access_token,
                         json={"status": "confirmed"}))
    listing = await _ok(await call("POST", f"{V1}/marketplace-listings", token=bob.access_token, json={
        "title": "3D printer", "description": "Prusa MK4", "category": "hardware", "listingType": "product",
        "price": "450.00"}))
    deal = await _ok(await call("POST", f"{V1}/marketplace-listings/{listing['id']}/transactions",
                                token=alice.access_token, json={}))
    own_listing = await _ok(await call("POST", f"{V1}/marketplace-listings", token=alice.access_token, json={
        "title": "Old bike", "description": "Rusty", "category": "other", "listingType": "product",
        "price": "20.00"}))
    # Her own workspace nobody else joined, one Bob joined, and a file she uploaded but never sent.
    solo = (await _ok(await call("POST", f"{V1}/workspaces", token=alice.access_token,
                                 json={"name": "Alice's notes"})))["workspace"]
    shared = await workspace_with_channel(server, alice, bob, name="alices-team")
    # A community only she is in.
    own_community = await _ok(await call("POST", f"{V1}/communities", token=alice.access_token,
                                         json={"name": "Alice's garden"}))
    draft = await uploaded(server, alice, png(3, 3), "draft.png", "image/png")
    # Connections, communities, groups, AI chats.
    asked = await _ok(await call("POST", f"{V1}/connections", token=alice.access_token,
                                 json={"receiverId": bob.id, "message": "let's connect"}))
    await _ok(await call("POST", f"{V1}/connections/{asked['id']}/accept", token=bob.access_token))
    await _ok(await call("POST", f"{V1}/connection-messages", token=alice.access_token,
                         json={"receiverId": bob.id, "message": mine["connection"]}))
    community = await _ok(await call("POST", f"{V1}/communities", token=bob.access_token,
                                     json={"name": "Growers"}))
    await _ok(await call("POST", f"{V1}/communities/{community['id']}/join", token=alice.access_token))
    group_admin = await admin(server)
    group = await _ok(await call("POST", f"{V1}/groups", token=group_admin.access_token,
                                 json={"name": "Harare fintech builders", "category": "fintech"}))
    await _ok(await call("POST", f"{V1}/groups/{group['id']}/join", token=alice.access_token, json={}))
    await _ok(await call("POST", f"{V1}/ai-chats", token=alice.access_token, json={"title": "Career advice"}))
    await _ok(await call("PUT", f"{V1}/ai-preferences", token=alice.access_token,
                         json={"preferredResponseStyle": "concise"}))
    # The career platform and GrowCommunity: documents, a calendar block, a job application, a referral,
    # an invite link, the anonymous feed, a typed message.
    await _ok(await call("POST", f"{V1}/documents", token=alice.access_token,
                         json={"title": "CV", "content": mine["bio"], "kind": "text"}))
    await _ok(await call("POST", f"{V1}/calendar-blocks", token=alice.access_token, json={
        "weekStartDate": "2026-11-16", "dayOfWeek": 2, "startTime": "09:00:00", "endTime": "10:30:00"}))
    recruiter = await server.account()
    await set_role(server, recruiter, "recruiter")
    job = await _ok(await call("POST", f"{V1}/jobs", token=recruiter.access_token,
                               json={"jobTitle": "Data engineer", "employerName": "Acme"}))
    await _ok(await call("POST", f"{V1}/job-applications", token=alice.access_token,
                         json={"jobId": job["id"], "coverLetter": "I love data"}))
    await _ok(await call("POST", f"{V1}/referrals", token=alice.access_token,
                         json={"recipientEmail": f"friend-{uuid.uuid4().hex[:8]}@example.com"}))
    await _ok(await call("POST", f"{V1}/invite-links", token=alice.access_token, json={}))
    await _ok(await call("POST", f"{V1}/anonymous-posts", token=alice.access_token, json={"content": mine["post"]}))
    bobs_rant = await _ok(await call("POST", f"{V1}/anonymous-posts", token=bob.access_token,
                                     json={"content": "Meetings all day"}))
    await _ok(await call("POST", f"{V1}/anonymous-posts/{bobs_rant['id']}/comments", token=alice.access_token,
                         json={"content": mine["comment"]}))
    await _ok(await call("PUT", f"{V1}/anonymous-posts/{bobs_rant['id']}/like", token=alice.access_token),
              200, 201, 204)
    types = await _ok(await call("GET", f"{V1}/message-types", token=alice.access_token))
    await _ok(await call("POST", f"{V1}/typed-messages", token=alice.access_token, json={
        "receiverId": bob.id, "messageTypeId": types["items"][0]["id"], "content": mine["dm"]}))
    return mine | {"channel_id": room.channel_id, "workspace_id": room.workspace["id"], "message_id": sent["id"],
                   "attachment_id": attachment["id"], "group_id": group["id"], "community_id": community["id"],
                   "deal_id": deal["id"], "own_listing_id": own_listing["id"], "solo_workspace_id": solo["id"],
                   "draft_id": draft["id"], "shared_workspace_id": shared.workspace["id"],
                   "own_community_id": own_community["id"]}


async def _export(server, account) -> tuple[dict, str]:
    response = await server.request("GET", f"{V1}/me/export", token=account.access_token)
    assert response.status == 200, response.body
    return response.body, orjson.dumps(response.body).decode()


async def test_the_export_holds_what_the_user_did_everywhere_and_no_secret(server):
    alice, bob = await server.account(), await server.account()
    mine = await _life(server, alice, bob)
    export, text = await _export(server, alice)
    tables = export["tables"]
    assert export["userId"] == alice.id
    assert tables["users"][0]["email"] == alice.email and tables["users"][0]["display_name"] == "Alice Liddell"
    assert tables["user_profiles"][0]["bio"] == mine["bio"]
    assert tables["mentor_profiles"][0]["expertise_areas"] == ["ops"]
    assert {row["id"] for row in tables["sessions"]} == {alice.session_id}
    # (A group brings its own workspace and channel.)
    assert mine["workspace_id"] in {row["workspace_id"] for row in tables["workspace_members"]}
    assert {row["channel_id"]: row["last_read_seq"] for row in tables["channel_members"]}[mine["channel_id"]] == 1
    assert {row["content"] for row in tables["messages"]} == {mine["message"], mine["dm"]}
    assert len(tables["direct_conversations"]) == 1
    assert [row["emoji"] for row in tables["message_reactions"]] == ["🚀"]
    assert sorted(row["file_name"] for row in tables["attachments"]) == sorted([mine["file"], "draft.png"])
    assert {row["id"] for row in tables["workspaces"]} == {mine["solo_workspace_id"], mine["shared_workspace_id"]}
    assert mine["own_community_id"] in {row["id"] for row in tables["communities"]}
    assert {row["id"] for row in tables["marketplace_listings"]} == {mine["own_listing_id"]}
    assert [row["content"] for row in tables["posts"]] == [mine["post"]]
    assert [row["content"] for row in tables["comments"]] == [mine["comment"]]
    assert len(tables["post_likes"]) == 1
    assert [row["status"] for row in tables["event_attendees"]] == ["confirmed"]
    assert [row["buyer_id"] for row in tables["marketplace_transactions"]] == [alice.id]
    assert len(tables["connections"]) == 1
    assert [row["message"] for row in tables["connection_messages"]] == [mine["connection"]]
    assert sorted(row["community_id"] for row in tables["community_members"]) == sorted(
        [mine["community_id"], mine["own_community_id"]])
    assert [row["group_id"] for row in tables["group_memberships"]] == [mine["group_id"]]
    assert [row["title"] for row in tables["ai_chats"]] == ["Career advice"]
    assert [row["preferred_response_style"] for row in tables["ai_user_preferences"]] == ["concise"]
    assert [row["content"] for row in tables["documents"]] == [mine["bio"]]
    assert len(tables["user_calendar_blocks"]) == 1 and len(tables["job_applications"]) == 1
    assert len(tables["referrals"]) == 1 and len(tables["invite_links"]) == 1
    assert [row["content"] for row in tables["anonymous_posts"]] == [mine["post"]]
    assert [row["content"] for row in tables["anonymous_comments"]] == [mine["comment"]]
    assert len(tables["anonymous_post_likes"]) == 1
    assert [row["content"] for row in tables["typed_messages"]] == [mine["dm"]]
    assert len(tables["notifications"]) >= 1  # Bob accepting her connection request
    # Bob's rows are not Alice's.
    assert bob.email not in text and all(row["user_id"] != bob.id for row in tables["messages"])
    # No secret: the password hash, token digests, the tokens themselves, storage paths.
    for secret in ("password_hash", "token_hash", "storage_key", "$argon2", alice.access_token, alice.refresh_token):
        assert secret not in text
    # Every exported table of the registry is a key, even when empty: a client can tell "none" from "not asked".
    assert set(tables) == {held.table for held in REGISTRY if held.export}


async def test_the_export_needs_a_token(server):
    assert_problem(await server.request("GET", f"{V1}/me/export"), 401, "unauthorized")


async def _where_found(server, needles: dict[str, str]) -> dict[str, set[str]]:
    """For each needle, the `table.column`s of the whole schema whose text holds it, read as the owner
    (past row-level security)."""
    found: dict[str, set[str]] = {name: set() for name in needles}
    conn = await asyncpg.connect(server.settings.database_owner_url)
    try:
        columns = await conn.fetch(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2""")
        for column in columns:
            table, name = column["table_name"], column["column_name"]
            for needle_name, needle in needles.items():
                hit = await conn.fetchval(
                    f'SELECT true FROM "{table}" WHERE strpos(lower("{name}"::text), lower($1)) > 0 LIMIT 1', needle)
                if hit:
                    found[needle_name].add(f"{table}.{name}")
    finally:
        await conn.close()
    return found


async def test_erasure_leaves_nothing_personal_and_keeps_what_others_hold_anonymised(server):
    alice, bob = await server.account(), await server.account()
    mine = await _life(server, alice, bob)
    socket, bobs_socket = await connect(server, alice), await connect(server, bob)

    assert_problem(await server.request("DELETE", f"{V1}/me", token=alice.access_token,
                                        json={"password": "not the password"}), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"{V1}/me", token=alice.access_token), 422, "invalid")
    assert_problem(await server.request("DELETE", f"{V1}/me", token=alice.access_token,
                                        json={"password": alice.password, "extra": 1}), 422, "invalid")
    assert (await server.request("GET", f"{V1}/me", token=alice.access_token)).status == 200  # nothing happened

    deleted = await server.request("DELETE", f"{V1}/me", token=alice.access_token, json={"password": alice.password})
    assert deleted.status == 204, deleted.body
    revoked = await socket.wait_for("session:revoked")
    assert revoked == {"sessionId": alice.session_id, "reason": "account deleted"}
    await asyncio.wait_for(socket.disconnected.wait(), 5)
    # Bob sees her leave the workspaces and channels they shared.
    left = await bobs_socket.wait_for("channel:member_left", where=lambda data: data["userId"] == alice.id)
    assert left["channelId"] == mine["channel_id"]
    await bobs_socket.wait_for("workspace:member_left", where=lambda data: data["workspaceId"] == mine["workspace_id"])

    # Her tokens and her password are refused.
    assert_problem(await server.request("GET", f"{V1}/me", token=alice.access_token), 401, "unauthorized")
    assert_problem(await server.request("POST", f"{V1}/auth/refresh", json={"refreshToken": alice.refresh_token}),
                   401, "unauthorized")
    for login in (alice.username, alice.email):
        assert_problem(await server.request("POST", f"{V1}/auth/login",
                                            json={"login": login, "password": alice.password}), 401, "unauthorized")

    # Bob still reads the channel; her message is there, its author the tombstone, who shows nothing of her.
    history = await _ok(await server.request("GET", f"{V1}/channels/{mine['channel_id']}/messages",
                                             token=bob.access_token))
    kept = [message for message in history["messages"] if message["id"] == mine["message_id"]]
    assert [message["content"] for message in kept] == [mine["message"]]
    assert kept[0]["userId"] == alice.id and [a["id"] for a in kept[0]["attachments"]] == [mine["attachment_id"]]
    assert_problem(await server.request("GET", f"{V1}/users/{alice.id}", token=bob.access_token), 404, "not_found")
    thread = await _ok(await server.request("GET", f"{V1}/connection-messages?withUserId={alice.id}",
                                            token=bob.access_token))
    assert [m["message"] for m in thread["items"]] == [mine["connection"]]
    # Bob's deal with her stays his record; her listing nobody bought, her own workspace and her unsent file go.
    assert (await server.request("GET", f"{V1}/marketplace-transactions/{mine['deal_id']}",
                                 token=bob.access_token)).status == 200
    assert_problem(await server.request("GET", f"{V1}/marketplace-listings/{mine['own_listing_id']}",
                                        token=bob.access_token), 404, "not_found")
    assert await owner_sql(server, "SELECT 1 FROM workspaces WHERE id = $1", uuid.UUID(mine["solo_workspace_id"])) == []
    assert await owner_sql(server, "SELECT 1 FROM attachments WHERE id = $1", uuid.UUID(mine["draft_id"])) == []
    assert_problem(await server.request("GET", f"{V1}/communities/{mine['own_community_id']}", token=bob.access_token),
                   404, "not_found")
    # The workspace she owned with Bob is his now: nobody else could ever delete it or make admins.
    taken_over = await _ok(await server.request("GET", f"{V1}/workspaces/{mine['shared_workspace_id']}",
                                                token=bob.access_token))
    assert taken_over["workspace"]["role"] == "OWNER"
    files = server.app[SERVICES].files
    assert files.path(uuid.UUID(mine["draft_id"]).hex) is None
    assert files.path(uuid.UUID(mine["attachment_id"]).hex) is not None  # sent with a kept message

    # Nothing in any column of any table holds her email or username; her id only where docs/privacy.md
    # says rows stay for others, anonymised.
    found = await _where_found(server, {"id": alice.id, "email": alice.email, "username": alice.username,
                                        "bio": mine["bio"], "post": mine["post"]})
    assert found["email"] == set() and found["username"] == set()
    assert found["bio"] == set() and found["post"] == set()
    assert {place.partition(".")[0] for place in found["id"]} <= ANONYMISED_TABLES, found["id"]
    assert "users.id" in found["id"] and "messages.user_id" in found["id"]

    # Her username and email are free again.
    again = await server.account(alice.username)
    assert again.id != alice.id and again.email == alice.email


async def test_erasure_asks_to_hand_over_communities_and_groups_others_are_in_first(server):
    alice, bob = await server.account(), await server.account()
    await set_role(server, alice, "admin")  # who may create groups
    community = await _ok(await server.request("POST", f"{V1}/communities", token=alice.access_token,
                                                json={"name": "Alice's club"}))
    await _ok(await server.request("POST", f"{V1}/communities/{community['id']}/join", token=bob.access_token))
    group = await _ok(await server.request("POST", f"{V1}/groups", token=alice.access_token,
                                           json={"name": "Alice's circle", "category": "fintech"}))
    await _ok(await server.request("POST", f"{V1}/groups/{group['id']}/join", token=bob.access_token, json={}))
    body = {"password": alice.password}

    refused = await server.request("DELETE", f"{V1}/me", token=alice.access_token, json=body)
    assert_problem(refused, 409, "conflict")
    assert refused.body["details"] == {"reason": "hand_over_first", "communities": [community["id"]],
                                       "groups": [group["id"]]}
    assert (await server.request("GET", f"{V1}/me", token=alice.access_token)).status == 200  # nothing happened

    await _ok(await server.request("PATCH", f"{V1}/communities/{community['id']}/members/{bob.id}",
                                   token=alice.access_token, json={"role": "owner"}))
    await _ok(await server.request("PUT", f"{V1}/groups/{group['id']}/members/{bob.id}/role",
                                   token=alice.access_token, json={"role": "admin"}))
    assert (await server.request("DELETE", f"{V1}/me", token=alice.access_token, json=body)).status == 204
    # Both go on under Bob.
    assert (await server.request("GET", f"{V1}/communities/{community['id']}", token=bob.access_token)).status == 200
    assert (await server.request("GET", f"{V1}/groups/{group['id']}", token=bob.access_token)).status == 200


async def test_erasing_twice_or_at_once_erases_once(server):
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, bob, alice)
    body = {"password": alice.password}
    answers = await asyncio.gather(*(server.request("DELETE", f"{V1}/me", token=alice.access_token, json=body)
                                     for _ in range(3)))
    assert sorted(answer.status for answer in answers) == [204, 401, 401], [a.body for a in answers]
    for answer in answers:
        if answer.status == 401:
            assert_problem(answer, 401, "unauthorized")
    assert_problem(await server.request("DELETE", f"{V1}/me", token=alice.access_token, json=body),
                   401, "unauthorized")
    found = await _where_found(server, {"email": alice.email, "username": alice.username})
    assert found == {"email": set(), "username": set()}


STRIPE_SECRET = "whsec_privacy"


async def _stripe(server, kind: str, obj: dict) -> None:
    body = orjson.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind,
                         "created": int(time.time()), "data": {"object": obj}})
    t = int(time.time())
    signature = hmac.new(STRIPE_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    delivered = await server.request("POST", f"{V1}/webhooks/stripe", data=body, headers={
        "Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"})
    assert delivered.status == 200, delivered.body


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=STRIPE_SECRET)
async def test_with_stripe_billing_erasure_keeps_payments_for_the_books_and_ends_the_rest(server):
    owner, alice = await server.account(), await server.account()
    community = (await _ok(await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                                json={"name": "Shop"})))["id"]
    elsewhere = (await _ok(await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                                json={"name": "Elsewhere"})))["id"]
    tier = await _ok(await server.request("POST", f"{V1}/communities/{community}/tiers", token=owner.access_token,
                                          json={"name": "Gold", "price": "10.00", "interval": "monthly"}))
    await _ok(await server.request("POST", f"{V1}/communities/{community}/join", token=alice.access_token))
    member_id = str((await owner_sql(server, "SELECT id FROM community_members WHERE user_id = $1",
                                     uuid.UUID(alice.id)))[0]["id"])
    metadata = {"community_id": community, "member_id": member_id, "tier_id": tier["id"]}
    await _stripe(server, "customer.subscription.created", {
        "id": "sub_alice", "object": "subscription", "customer": "cus_alice", "status": "active",
        "current_period_start": 1_800_000_000, "current_period_end": 1_900_000_000, "metadata": metadata})
    await _stripe(server, "invoice.paid", {
        "id": "in_alice", "object": "invoice", "currency": "usd", "amount_paid": 1000, "amount_due": 1000,
        "subscription": "sub_alice", "metadata": metadata})
    # Analytics about her, also in a community she is not a member of (found past row-level security).
    for community_id in (community, elsewhere):
        await _ok(await server.request("POST", f"{V1}/communities/{community_id}/analytics/events",
                                       token=owner.access_token, json={
                                           "eventType": "message", "eventName": "sent", "userId": alice.id,
                                           "ipAddress": "192.0.2.7", "userAgent": "Firefox",
                                           "properties": {"nick": "al"}}))

    tables = (await _export(server, alice))[0]["tables"]
    assert [row["stripe_subscription_id"] for row in tables["subscriptions"]] == ["sub_alice"]
    assert [(row["stripe_invoice_id"], row["amount"]) for row in tables["payments"]] == [("in_alice", 10)]
    assert [row["total_spent"] for row in tables["community_members"]] == [10]
    assert sorted(row["community_id"] for row in tables["analytics_events"]) == sorted([community, elsewhere])

    erased = await server.request("DELETE", f"{V1}/me", token=alice.access_token, json={"password": alice.password})
    assert erased.status == 204, erased.body
    # The community's books keep the payment, linked to nobody; her membership and subscription are gone;
    # the analytics events still count, anonymous.
    books = await _ok(await server.request("GET", f"{V1}/communities/{community}/payments", token=owner.access_token))
    assert [(p["stripeInvoiceId"], p["memberId"], p["amount"]) for p in books["items"]] == [("in_alice", None, "10.00")]
    assert await owner_sql(server, "SELECT 1 FROM subscriptions WHERE stripe_subscription_id = 'sub_alice'") == []
    events = await owner_sql(server, "SELECT user_id, ip_address, user_agent, properties = '{}' AS cleared "
                                     "FROM analytics_events")
    assert [tuple(row.values()) for row in events] == [(None, None, None, True)] * 2
    found = await _where_found(server, {"id": alice.id, "email": alice.email, "username": alice.username})
    assert found["email"] == set() and found["username"] == set()
    assert found["id"] == {"users.id"}


async def test_every_column_that_points_at_a_user_is_in_the_registry(database_url):
    """A new table with a foreign key to users fails here before any data shows it missing."""
    conn = await asyncpg.connect(database_url)
    try:
        references = await conn.fetch(
            """SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name
               FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
               WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND NOT EXISTS (
                   SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.conrelid)""")  # partitions: their parent's
    finally:
        await conn.close()
    covered = {(held.table, column) for held in REGISTRY
               for column in re.findall(r"\bt\.(\w+)", held.mine + " " + (held.retire or ""))}
    missing = sorted({(row["table_name"], row["column_name"]) for row in references} - covered)
    assert not missing, f"columns naming a user that store/privacy.REGISTRY does not cover: {missing}"


def test_each_table_is_exported_by_one_registry_entry_at_most():
    exported = [held.table for held in REGISTRY if held.export]
    assert sorted(exported) == sorted(set(exported))
