"""SmileFactory similarity (038): embeddings computed in the background from a fake OpenAI-compatible
embeddings endpoint whose fixed vectors make the expected order known, and the similar profiles,
posts and groups and recommended events endpoints, each limited to what the caller may see."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from chatserver import periodic
from chatserver.actions import similarity
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem
from tests.support.fake_ai import direction, fake_ai_server
from tests.support.roles import sql
from tests.support.server import start_server, stop_server

V1 = "/api/v1"

# Words the fake endpoint turns into vectors: the nearer to ANCHOR's, the more similar.
ANCHOR, NEAR, MIDDLE, FAR = "zqanchor", "zqnear", "zqmiddle", "zqfar"
VECTORS = {ANCHOR: direction(1.0, 0.0), NEAR: direction(0.9, 0.1), MIDDLE: direction(0.6, 0.4),
           FAR: direction(0.1, 0.9)}


@pytest.fixture
async def fake_ai():
    async with fake_ai_server() as fake:
        fake.vectors = dict(VECTORS)
        yield fake


@pytest.fixture
async def embedding_server(settings, fake_ai):
    """The server with an embeddings model named, which these features need (unset by default)."""
    running = await start_server(dataclasses.replace(settings, ai_base_url=fake_ai.url,
                                                     ai_embedding_model="text-embedding-3-small"))
    yield running
    await stop_server(running)


async def _embed(server) -> int:
    return await similarity.embed_pending(server.app[SERVICES])


def _at(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _post(server, account, content, **fields):
    created = await server.request("POST", f"{V1}/posts", token=account.access_token,
                                   json={"content": content, **fields})
    assert created.status == 201, created.body
    return created.body


async def _similar(server, account, path, **query):
    params = "&".join(f"{name}={value}" for name, value in query.items())
    answer = await server.request("GET", f"{V1}{path}?{params}", token=account.access_token)
    assert answer.status == 200, answer.body
    return answer.body["items"]


async def _rows(server, kind, content_id):
    return await sql(server, "SELECT version, embedded_version, attempts, retry_at > now() AS waiting,"
                             " embedding IS NOT NULL AS embedded FROM content_embeddings"
                             " WHERE content_type = $1 AND content_id = $2", kind, content_id)


async def _connect(server, one, other):
    asked = await server.request("POST", f"{V1}/connections", token=one.access_token, json={"receiverId": other.id})
    accepted = await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=other.access_token)
    assert accepted.body["status"] == "accepted"


async def _active_profile(server, account, words, visibility="public"):
    saved = await server.request("PUT", f"{V1}/me/profile/innovator", token=account.access_token,
                                 json={"startupName": "Loop", "startupDescription": words})
    assert saved.status == 200, saved.body
    changed = await server.request("PATCH", f"{V1}/me/profile", token=account.access_token,
                                   json={"profileState": "active", "profileVisibility": visibility})
    assert changed.status == 200, changed.body


async def test_without_an_embeddings_model_the_endpoints_answer_unavailable_and_nothing_is_asked(server):
    alice = await server.account()
    post = await _post(server, alice, f"{ANCHOR} solar")
    for path in (f"/posts/{post['id']}/similar", f"/profiles/{alice.id}/similar", "/events/recommended",
                 f"/groups/{post['id']}/similar"):
        answer = await server.request("GET", f"{V1}{path}", token=alice.access_token)
        assert_problem(answer, 503, "unavailable")
    assert await _embed(server) == 0


async def test_with_only_the_chat_endpoint_set_no_embeddings_are_asked_for(settings):
    async with fake_ai_server() as fake:
        running = await start_server(dataclasses.replace(settings, ai_base_url=fake.url))
        try:
            alice = await running.account()
            post = await _post(running, alice, f"{ANCHOR} solar")
            assert await _embed(running) == 0
            assert fake.embedding_calls == []
            answer = await running.request("GET", f"{V1}/posts/{post['id']}/similar", token=alice.access_token)
            assert_problem(answer, 503, "unavailable")
        finally:
            await stop_server(running)


async def test_similar_posts_come_nearest_first_without_the_post_itself(embedding_server, fake_ai):
    server = embedding_server
    alice, bob = await server.account(), await server.account()
    subject = await _post(server, alice, f"{ANCHOR} solar panels for schools")
    far = await _post(server, bob, f"{FAR} knitting")
    near = await _post(server, bob, f"{NEAR} solar kits", title="Kits")
    middle = await _post(server, alice, f"{MIDDLE} batteries")
    # Before the task has run there is nothing to compare with yet.
    assert await _similar(server, bob, f"/posts/{subject['id']}/similar") == []

    assert similarity.embed_pending in periodic.PERIODIC_TASKS
    await periodic.run_once(server.app[SERVICES])
    items = await _similar(server, bob, f"/posts/{subject['id']}/similar")
    assert [item["post"]["id"] for item in items] == [near["id"], middle["id"], far["id"]]
    assert items[0]["similarity"] == pytest.approx(0.9 / (0.81 + 0.01) ** 0.5, abs=1e-6)
    assert items[0]["post"]["title"] == "Kits" and items[0]["post"]["author"]["id"] == bob.id
    assert [item["post"]["id"] for item in await _similar(server, bob, f"/posts/{subject['id']}/similar",
                                                          limit=2)] == [near["id"], middle["id"]]
    assert await _embed(server) == 0  # all current: nothing is asked again
    assert len(fake_ai.embedding_calls) == 1

    missing = await server.request("GET", f"{V1}/posts/{alice.id}/similar", token=bob.access_token)
    assert_problem(missing, 404, "not_found")
    too_many = await server.request("GET", f"{V1}/posts/{subject['id']}/similar?limit=51", token=bob.access_token)
    assert_problem(too_many, 422, "invalid")

    # A deleted post takes its embedding with it.
    deleted = await server.request("DELETE", f"{V1}/posts/{near['id']}", token=bob.access_token)
    assert deleted.status == 204
    assert await _rows(server, "post", near["id"]) == []
    items = await _similar(server, bob, f"/posts/{subject['id']}/similar")
    assert [item["post"]["id"] for item in items] == [middle["id"], far["id"]]


async def test_similar_posts_leave_out_what_the_viewer_may_not_see(embedding_server):
    server = embedding_server
    alice, bob, carol, dave = [await server.account() for _ in range(4)]
    subject = await _post(server, alice, f"{ANCHOR} water pumps")
    public = await _post(server, alice, f"{FAR} pumps")
    private = await _post(server, alice, f"{NEAR} pumps", visibility="private")
    draft = await _post(server, alice, f"{NEAR} pumps", status="draft")
    for_connections = await _post(server, carol, f"{NEAR} pumps", visibility="connections")
    blocker = await _post(server, dave, f"{MIDDLE} pumps")
    await _connect(server, carol, alice)
    blocked = await server.request("PUT", f"{V1}/users/{bob.id}/block", token=dave.access_token)
    assert blocked.status in (200, 204), blocked.body
    await _embed(server)

    seen_by_bob = [item["post"]["id"] for item in await _similar(server, bob, f"/posts/{subject['id']}/similar")]
    assert seen_by_bob == [public["id"]]
    # Alice sees her own private post and her connection's, not her draft (only published posts are similar).
    seen_by_alice = [item["post"]["id"] for item in await _similar(server, alice, f"/posts/{subject['id']}/similar")]
    assert set(seen_by_alice[:2]) == {private["id"], for_connections["id"]}  # equally near
    assert seen_by_alice[2:] == [blocker["id"], public["id"]]
    assert draft["id"] not in seen_by_alice
    # A post the viewer may not read has no similar posts for them: it is not there.
    hidden = await server.request("GET", f"{V1}/posts/{private['id']}/similar", token=bob.access_token)
    assert_problem(hidden, 404, "not_found")
    hidden = await server.request("GET", f"{V1}/posts/{blocker['id']}/similar", token=bob.access_token)
    assert_problem(hidden, 404, "not_found")


async def test_similar_profiles_respect_profile_visibility_and_leave_out_the_viewer(embedding_server):
    server = embedding_server
    alice, bob, carol, dave, erin = [await server.account() for _ in range(5)]
    await _active_profile(server, alice, f"{ANCHOR} solar")
    await _active_profile(server, bob, f"{MIDDLE} solar")
    await _active_profile(server, carol, f"{NEAR} solar")
    await _active_profile(server, dave, f"{NEAR} solar", visibility="private")
    await _active_profile(server, erin, f"{FAR} solar", visibility="connections")
    await _embed(server)

    items = await _similar(server, bob, f"/profiles/{alice.id}/similar")
    assert [item["profile"]["userId"] for item in items] == [carol.id]  # not alice, not bob, dave is private
    await _connect(server, erin, bob)
    items = await _similar(server, bob, f"/profiles/{alice.id}/similar")
    assert [item["profile"]["userId"] for item in items] == [carol.id, erin.id]
    assert items[0]["profile"]["missingFields"] is None  # shown as to anyone else

    # A changed profile is embedded again by the next run, and moves.
    saved = await server.request("PUT", f"{V1}/me/profile/innovator", token=erin.access_token,
                                 json={"startupName": "Loop", "startupDescription": f"{ANCHOR} again"})
    assert saved.status == 200
    assert await _embed(server) == 1
    items = await _similar(server, bob, f"/profiles/{alice.id}/similar")
    assert [item["profile"]["userId"] for item in items] == [erin.id, carol.id]
    assert items[0]["similarity"] == pytest.approx(1.0)

    hidden = await server.request("GET", f"{V1}/profiles/{dave.id}/similar", token=bob.access_token)
    assert_problem(hidden, 404, "not_found")


async def test_recommended_events_match_the_callers_profile_among_events_open_to_them(embedding_server):
    server = embedding_server
    me, organizer = await server.account(), await server.account()
    await _active_profile(server, me, f"{ANCHOR} founder")

    async def event(words, **extra):
        body = {"title": words, "eventType": "networking", "startsAt": _at(days=2), "endsAt": _at(days=2, hours=2),
                "location": "Harare", "status": "published", **extra}
        created = await server.request("POST", f"{V1}/events", token=organizer.access_token, json=body)
        assert created.status == 201, created.body
        return created.body

    near, far, middle = await event(f"{NEAR} pitch night"), await event(f"{FAR} yoga"), await event(f"{MIDDLE} demo")
    private = await event(f"{NEAR} board", visibility="private")
    draft = await event(f"{NEAR} draft", status="draft")
    answered = await event(f"{NEAR} answered")
    closed = await event(f"{NEAR} closed", registrationDeadline=_at(hours=1))
    rsvp = await server.request("PUT", f"{V1}/events/{answered['id']}/rsvp", token=me.access_token,
                                json={"status": "maybe"})
    assert rsvp.status == 200, rsvp.body
    await _embed(server)
    await sql(server, "UPDATE events SET registration_deadline = now() - interval '1 minute' WHERE id = $1",
              closed["id"])

    items = await _similar(server, me, "/events/recommended")
    assert [item["event"]["id"] for item in items] == [near["id"], middle["id"], far["id"]]
    assert not {private["id"], draft["id"], answered["id"], closed["id"]} & {item["event"]["id"] for item in items}
    # Someone whose profile has no embedding yet gets nothing, not an error.
    newcomer = await server.account()
    assert await _similar(server, newcomer, "/events/recommended") == []


async def test_similar_groups_never_show_a_hidden_group_to_non_members(embedding_server):
    server = embedding_server
    admin, outsider = await server.account(), await server.account()

    async def group(words, **extra):
        created = await server.request("POST", f"{V1}/groups", token=admin.access_token,
                                       json={"name": words, "category": "energy", **extra})
        assert created.status == 201, created.body
        return created.body

    subject, near, hidden, far = (await group(f"{ANCHOR} solar"), await group(f"{NEAR} solar"),
                                  await group(f"{NEAR} secret", visibility="hidden"), await group(f"{FAR} knitting"))
    await _embed(server)
    outside = await _similar(server, outsider, f"/groups/{subject['id']}/similar")
    assert [item["group"]["id"] for item in outside] == [near["id"], far["id"]]
    inside = [item["group"]["id"] for item in await _similar(server, admin, f"/groups/{subject['id']}/similar")]
    assert set(inside[:2]) == {near["id"], hidden["id"]} and inside[2:] == [far["id"]]  # the first two equally near
    refused = await server.request("GET", f"{V1}/groups/{hidden['id']}/similar", token=outsider.access_token)
    assert_problem(refused, 404, "not_found")


@pytest.mark.expect_log(r"AI endpoint answered 500")
async def test_a_failed_embeddings_call_is_tried_again_after_its_backoff(embedding_server, fake_ai):
    server = embedding_server
    alice = await server.account()
    fake_ai.embedding_failures = 1
    subject = await _post(server, alice, f"{ANCHOR} irrigation")  # the write does not depend on the endpoint
    near = await _post(server, alice, f"{NEAR} irrigation")

    assert await _embed(server) == 0
    [row] = await _rows(server, "post", subject["id"])
    assert row["attempts"] == 1 and row["waiting"] and not row["embedded"]
    assert await _similar(server, alice, f"/posts/{subject['id']}/similar") == []
    calls = len(fake_ai.embedding_calls)
    assert await _embed(server) == 0  # still waiting: the endpoint is not asked again yet
    assert len(fake_ai.embedding_calls) == calls

    await sql(server, "UPDATE content_embeddings SET retry_at = now() WHERE attempts > 0")  # the wait is over
    assert await _embed(server) >= 2
    [row] = await _rows(server, "post", subject["id"])
    assert row["attempts"] == 0 and row["embedded"] and row["embedded_version"] == row["version"]
    items = await _similar(server, alice, f"/posts/{subject['id']}/similar")
    assert [item["post"]["id"] for item in items] == [near["id"]]


async def test_a_change_made_while_its_embedding_is_computed_is_embedded_again(embedding_server, fake_ai):
    server = embedding_server
    alice = await server.account()
    subject = await _post(server, alice, f"{ANCHOR} wells")
    post = await _post(server, alice, f"{FAR} wells")
    fake_ai.embedding_gate = asyncio.Event()
    running = asyncio.create_task(_embed(server))
    await asyncio.wait_for(fake_ai.embedding_asked.wait(), timeout=10)
    # The endpoint is stuck on the old text: the edit does not wait for it.
    edited = await asyncio.wait_for(server.request("PATCH", f"{V1}/posts/{post['id']}", token=alice.access_token,
                                                   json={"content": f"{NEAR} wells"}), timeout=5)
    assert edited.status == 200, edited.body
    fake_ai.embedding_gate.set()
    await running
    # The vector of the old text was not taken for the new one's: the post was behind again at once, and
    # embedded once more from its new text.
    first, again = fake_ai.embedding_calls
    assert f"{FAR} wells" in first and again == [f"{NEAR} wells"]
    [row] = await _rows(server, "post", post["id"])
    assert row["embedded"] and row["embedded_version"] == row["version"] == 2
    items = await _similar(server, alice, f"/posts/{subject['id']}/similar")
    assert items[0]["similarity"] == pytest.approx(0.9 / (0.81 + 0.01) ** 0.5, abs=1e-6)
    assert await _embed(server) == 0
