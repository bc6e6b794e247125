"""SmileFactory posts and threaded comments: visibility, ranked search, tags, exact counters under
concurrency, threads to any depth, and only authors changing what they wrote."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.http.test_auth import assert_problem
from tests.support.roles import admin, sql

V1 = "/api/v1"


async def _post(server, account, **fields):
    created = await server.request("POST", f"{V1}/posts", token=account.access_token,
                                   json={"content": "Looking for a co-founder", **fields})
    assert created.status == 201, created.body
    return created.body


async def _comment(server, account, post_id, content="Interested!", **fields):
    created = await server.request("POST", f"{V1}/posts/{post_id}/comments", token=account.access_token,
                                   json={"content": content, **fields})
    assert created.status == 201, created.body
    return created.body


async def _connect(server, one, other):
    asked = await server.request("POST", f"{V1}/connections", token=one.access_token, json={"receiverId": other.id})
    accepted = await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=other.access_token)
    assert accepted.body["status"] == "accepted"


async def _ids(server, account, path):
    listed = await server.request("GET", f"{V1}{path}", token=account.access_token)
    assert listed.status == 200, listed.body
    return [item["id"] for item in listed.body["items"]]


async def _accounts(server, n):
    return list(await asyncio.gather(*(server.account() for _ in range(n))))


async def test_a_post_keeps_its_fields_and_the_time_it_was_first_published(server):
    author = await server.account()
    draft = await _post(server, author, title="Seed round", postType="opportunity", category="Funding",
                        tags=["AI", "ai", "Health", "c++"], visibility="connections", status="draft",
                        featuredImageUrl="https://example.com/a.png", mediaUrls=["https://example.com/b.png"])
    assert draft["status"] == "draft" and draft["publishedAt"] is None
    assert draft["tags"] == ["ai", "health", "c++"]
    assert draft["author"] == {"id": author.id, "username": author.username, "displayName": None}
    assert (draft["postType"], draft["category"], draft["visibility"]) == ("opportunity", "Funding", "connections")
    assert {draft[name] for name in ("likeCount", "commentCount", "shareCount", "viewCount")} == {0}
    path = f"{V1}/posts/{draft['id']}"

    # A draft cannot be archived: only what was published can.
    assert_problem(await server.request("PATCH", path, token=author.access_token, json={"status": "archived"}),
                   409, "conflict")
    published = await server.request("PATCH", path, token=author.access_token, json={"status": "published"})
    first = published.body["publishedAt"]
    assert published.body["status"] == "published" and first is not None
    # Back to draft and out again: the first publication time stays.
    await server.request("PATCH", path, token=author.access_token, json={"status": "draft"})
    again = await server.request("PATCH", path, token=author.access_token, json={"status": "published", "title": None})
    assert again.body["publishedAt"] == first and again.body["title"] is None
    archived = await server.request("PATCH", path, token=author.access_token, json={"status": "archived"})
    assert archived.body["status"] == "archived" and archived.body["publishedAt"] == first

    # Published on creation unless it says otherwise.
    assert (await _post(server, author))["publishedAt"] is not None
    # The database keeps the rule for every writer: published_at cannot be moved by hand.
    await sql(server, "UPDATE posts SET published_at = now() - interval '1 year' WHERE id = $1", draft["id"])
    assert (await server.request("GET", path, token=author.access_token)).body["publishedAt"] == first


@pytest.mark.parametrize("fields", [
    {"visibility": "friends"},
    {"status": "archived"},
    {"postType": "rant"},
    {"tags": ["two words"]},
    {"tags": [f"t{i}" for i in range(21)]},
    {"content": ""},
    {"title": "x" * 501},
    {"publishedAt": "2020-01-01T00:00:00Z"},
    {"likeCount": 5},
    {"mediaUrls": ["not a url"]},
])
async def test_bad_posts_are_refused(server, fields):
    author = await server.account()
    refused = await server.request("POST", f"{V1}/posts", token=author.access_token,
                                   json={"content": "Hello", **fields})
    assert_problem(refused, 422, "invalid")


async def test_each_user_sees_what_its_audience_allows(server):
    author, friend, stranger = await _accounts(server, 3)
    await _connect(server, author, friend)
    # A pending request is not a connection.
    await server.request("POST", f"{V1}/connections", token=stranger.access_token, json={"receiverId": author.id})
    posts = {visibility: await _post(server, author, visibility=visibility, content=f"energy for {visibility}")
             for visibility in ("public", "connections", "private")}
    posts["draft"] = await _post(server, author, status="draft", content="energy in the works")
    posts["archived"] = await _post(server, author, content="energy of the past")
    await server.request("PATCH", f"{V1}/posts/{posts['archived']['id']}", token=author.access_token,
                         json={"status": "archived"})
    sees = [(author, {"public", "connections", "private", "draft", "archived"}),
            (friend, {"public", "connections"}),
            (stranger, {"public"})]
    for viewer, expected in sees:
        want = {posts[name]["id"] for name in expected}
        assert set(await _ids(server, viewer, "/posts")) == want
        assert set(await _ids(server, viewer, "/posts/search?q=energy")) == want
        assert set(await _ids(server, viewer, f"/posts?authorId={author.id}")) == want
        for name, post in posts.items():
            seen = await server.request("GET", f"{V1}/posts/{post['id']}", token=viewer.access_token)
            if name in expected:
                assert seen.status == 200
            else:
                assert_problem(seen, 404, "not_found")
                assert_problem(await server.request("GET", f"{V1}/posts/{post['id']}/comments",
                                                    token=viewer.access_token), 404, "not_found")

    # Comments are read where their post is.
    remark = await _comment(server, friend, posts["connections"]["id"], "Count me in")
    assert (await server.request("GET", f"{V1}/comments/{remark['id']}", token=author.access_token)).status == 200
    assert_problem(await server.request("GET", f"{V1}/comments/{remark['id']}", token=stranger.access_token),
                   404, "not_found")
    assert_problem(await _comment_refused(server, stranger, posts["connections"]["id"]), 404, "not_found")
    # Nobody engages with what is not published, the author included.
    for name in ("draft", "archived"):
        assert_problem(await _comment_refused(server, author, posts[name]["id"]), 409, "conflict")
        assert_problem(await server.request("PUT", f"{V1}/posts/{posts[name]['id']}/like",
                                            token=author.access_token), 409, "conflict")
        assert_problem(await server.request("PUT", f"{V1}/posts/{posts[name]['id']}/like",
                                            token=friend.access_token), 404, "not_found")
    # A status filter cannot reach others' drafts.
    assert await _ids(server, friend, "/posts?status=draft") == []
    assert await _ids(server, author, "/posts?status=draft") == [posts["draft"]["id"]]


async def _comment_refused(server, account, post_id, **fields):
    return await server.request("POST", f"{V1}/posts/{post_id}/comments", token=account.access_token,
                                json={"content": "hi", **fields})


async def test_search_ranks_title_matches_first_and_pages_in_that_order(server):
    author, other = await _accounts(server, 2)
    both = await _post(server, author, title="Solar farms", content="Solar panels, and more solar panels")
    title_only = await _post(server, author, title="Solar power", content="A story about funding")
    text_only = await _post(server, author, title="Energy", content="The sun: solar is mentioned here, and solar again")
    twins = [await _post(server, author, title="Grid", content="Storage for solar at night") for _ in range(2)]
    await _post(server, author, title="Wind", content="Nothing about the sun")
    await _post(server, other, title="Solar secrets", content="solar solar", status="draft")
    mine = await _post(server, author, title="Solar draft", content="solar notes", status="draft")
    await _post(server, other, title="Solar private", content="solar", visibility="private")

    twin_ids = sorted((twin["id"] for twin in twins), reverse=True)  # equal rank: by id, descending
    expected = [both["id"], mine["id"], title_only["id"], text_only["id"], *twin_ids]
    found = await server.request("GET", f"{V1}/posts/search?q=solar", token=author.access_token)
    hits = found.body["items"]
    assert [hit["id"] for hit in hits] == expected
    ranks = [hit["rank"] for hit in hits]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] == ranks[-2] > 0
    # The same order a page at a time.
    paged, cursor = [], ""
    while cursor is not None:
        page = await server.request("GET", f"{V1}/posts/search?q=solar&limit=2&cursor={cursor}",
                                    token=author.access_token)
        assert len(page.body["items"]) <= 2
        paged += [hit["id"] for hit in page.body["items"]]
        cursor = page.body["nextCursor"]
    assert paged == expected
    # Web search syntax: a phrase, and a word left out; stemming finds "panel" in "panels".
    assert await _ids(server, author, "/posts/search?q=%22solar%20farms%22") == [both["id"]]
    assert set(await _ids(server, author, "/posts/search?q=solar%20-funding%20-night%20-notes")) == {
        both["id"], text_only["id"]}
    assert await _ids(server, other, "/posts/search?q=panel") == [both["id"]]
    assert await _ids(server, author, "/posts/search?q=the") == []  # only a stop word
    assert_problem(await server.request("GET", f"{V1}/posts/search?q=%20", token=author.access_token), 422, "invalid")
    assert_problem(await server.request("GET", f"{V1}/posts/search?q=solar&cursor=abc", token=author.access_token),
                   422, "invalid")


async def test_tags_filter_by_all_or_any(server):
    author = await server.account()
    health_ai = await _post(server, author, tags=["AI", "health"], content="Diagnosis with models")
    ai = await _post(server, author, tags=["ai"], content="Models for farming")
    climate = await _post(server, author, tags=["climate"], content="Farming and rain")
    assert await _ids(server, author, "/posts?tags=ai,health") == [health_ai["id"]]
    assert await _ids(server, author, "/posts?tags=AI") == [ai["id"], health_ai["id"]]
    assert await _ids(server, author, "/posts?anyTags=health,climate") == [climate["id"], health_ai["id"]]
    assert await _ids(server, author, "/posts/search?q=farming&tags=ai") == [ai["id"]]
    assert await _ids(server, author, "/posts?tags=space") == []
    for bad in ("tags=", "tags=a,,b", "anyTags=two%20words", "tags=" + ",".join(f"t{i}" for i in range(21))):
        assert_problem(await server.request("GET", f"{V1}/posts?{bad}", token=author.access_token), 422, "invalid")


async def test_likes_count_once_per_user_under_concurrency(server):
    author = await server.account()
    likers = await _accounts(server, 32)
    post = await _post(server, author)
    path = f"{V1}/posts/{post['id']}/like"
    assert (await server.request("PUT", path, token=likers[0].access_token)).body == {"liked": True, "likeCount": 1}
    assert (await server.request("PUT", path, token=likers[0].access_token)).body == {"liked": True, "likeCount": 1}
    # Everyone at once, one of them five times over.
    results = await asyncio.gather(*(server.request("PUT", path, token=liker.access_token) for liker in likers),
                                   *(server.request("PUT", path, token=likers[1].access_token) for _ in range(5)))
    assert all(r.status == 200 for r in results)
    assert max(r.body["likeCount"] for r in results) == 32
    seen = await server.request("GET", f"{V1}/posts/{post['id']}", token=likers[0].access_token)
    assert seen.body["likeCount"] == 32 and seen.body["likedByMe"] is True
    undone = await asyncio.gather(*(server.request("DELETE", path, token=liker.access_token) for liker in likers[:10]))
    assert min(r.body["likeCount"] for r in undone) == 22
    again = await server.request("DELETE", path, token=likers[0].access_token)
    assert again.body == {"liked": False, "likeCount": 22}
    assert (await sql(server, "SELECT count(*) FROM post_likes WHERE post_id = $1", post["id"]))[0][0] == 22


async def test_views_and_shares_are_counted_exactly_under_concurrency(server):
    author, reader = await _accounts(server, 2)
    post = await _post(server, author)
    views = [server.request("POST", f"{V1}/posts/{post['id']}/views", token=reader.access_token) for _ in range(40)]
    shares = [server.request("POST", f"{V1}/posts/{post['id']}/shares", token=author.access_token) for _ in range(31)]
    results = await asyncio.gather(*views, *shares)
    assert all(r.status == 200 for r in results)
    assert sorted(r.body["viewCount"] for r in results[:40]) == list(range(1, 41))
    assert sorted(r.body["shareCount"] for r in results[40:]) == list(range(1, 32))
    counted = (await server.request("GET", f"{V1}/posts/{post['id']}", token=reader.access_token)).body
    assert (counted["viewCount"], counted["shareCount"]) == (40, 31)
    private = await _post(server, author, visibility="private")
    assert_problem(await server.request("POST", f"{V1}/posts/{private['id']}/shares", token=reader.access_token),
                   404, "not_found")


async def test_comment_counts_stay_exact_under_concurrency(server):
    author = await server.account()
    commenters = await _accounts(server, 30)
    post = await _post(server, author)
    first = await _comment(server, author, post["id"], "Who is in?")
    made = await asyncio.gather(*(
        server.request("POST", f"{V1}/posts/{post['id']}/comments", token=who.access_token,
                       json={"content": f"me, {i}", **({"parentId": first["id"]} if i % 2 else {})})
        for i, who in enumerate(commenters)))
    assert all(r.status == 201 for r in made)
    seen = await server.request("GET", f"{V1}/posts/{post['id']}", token=author.access_token)
    assert seen.body["commentCount"] == 31
    assert (await server.request("GET", f"{V1}/comments/{first['id']}", token=author.access_token)).body[
        "replyCount"] == 15
    # Deletions at once, and replies to the comments being deleted: each reply lands before the
    # deletion (which then leaves a placeholder) or after it (refused).
    deleted = await asyncio.gather(
        *(server.request("DELETE", f"{V1}/comments/{r.body['id']}", token=who.access_token)
          for r, who in zip(made[:12], commenters[:12], strict=True)),
        *(server.request("POST", f"{V1}/posts/{post['id']}/comments", token=who.access_token,
                         json={"content": "late reply", "parentId": r.body["id"]})
          for r, who in zip(made[:8], commenters[12:20], strict=True)))
    assert all(r.status == 204 for r in deleted[:12])
    assert all(r.status in (201, 409) for r in deleted[12:])
    replied = sum(r.status == 201 for r in deleted[12:])
    alive = (await sql(server, "SELECT count(*) FROM comments WHERE post_id = $1 AND NOT is_deleted", post["id"]))[0][0]
    assert alive == 31 - 12 + replied
    assert (await server.request("GET", f"{V1}/posts/{post['id']}", token=author.access_token)).body[
        "commentCount"] == alive


async def test_threads_go_to_any_depth_and_replies_stay_on_their_post(server):
    author, other = await _accounts(server, 2)
    post, elsewhere = await _post(server, author), await _post(server, author)
    chain = [await _comment(server, author, post["id"], "depth 0")]
    for depth in range(1, 8):
        chain.append(await _comment(server, other if depth % 2 else author, post["id"], f"depth {depth}",
                                    parentId=chain[-1]["id"]))
    assert await _ids(server, other, f"/posts/{post['id']}/comments") == [chain[0]["id"]]
    for parent, child in zip(chain, chain[1:], strict=False):
        assert await _ids(server, other, f"/comments/{parent['id']}/replies") == [child["id"]]
        assert child["parentId"] == parent["id"]
    assert (await server.request("GET", f"{V1}/posts/{post['id']}", token=author.access_token)).body[
        "commentCount"] == 8

    foreign = await _comment(server, author, elsewhere["id"])
    for parent in (foreign["id"], post["id"], "00000000-0000-4000-8000-000000000000"):
        assert_problem(await _comment_refused(server, other, post["id"], parentId=parent), 422, "invalid")
    # The database refuses it too, whoever writes.
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="comments_parent_on_same_post"):
        await sql(server, "INSERT INTO comments (post_id, author_id, parent_id, content) VALUES ($1, $2, $3, 'x')",
                  post["id"], author.id, foreign["id"])
    # Deleting the post takes its whole thread with it.
    assert (await server.request("DELETE", f"{V1}/posts/{post['id']}", token=author.access_token)).status == 204
    assert_problem(await server.request("GET", f"{V1}/comments/{chain[3]['id']}", token=author.access_token),
                   404, "not_found")
    assert (await sql(server, "SELECT count(*) FROM comments WHERE post_id = $1", post["id"]))[0][0] == 0


async def test_a_deleted_comment_keeps_its_replies_in_the_thread(server):
    author, replier = await _accounts(server, 2)
    post = await _post(server, author)
    parent = await _comment(server, author, post["id"], "Original thought")
    reply = await _comment(server, replier, post["id"], "A reply", parentId=parent["id"])
    leaf = await _comment(server, author, post["id"], "Never mind")

    for comment in (parent, leaf):
        assert (await server.request("DELETE", f"{V1}/comments/{comment['id']}", token=author.access_token)).status \
            == 204
    listed = (await server.request("GET", f"{V1}/posts/{post['id']}/comments", token=replier.access_token)).body
    # The leaf is gone; the parent stays as a placeholder holding its reply.
    assert [c["id"] for c in listed["items"]] == [parent["id"]]
    tombstone = listed["items"][0]
    assert tombstone["isDeleted"] is True and tombstone["content"] is None and tombstone["author"] is None
    assert "Original thought" not in str(listed) and author.username not in str(listed)
    assert await _ids(server, replier, f"/comments/{parent['id']}/replies") == [reply["id"]]
    assert (await server.request("GET", f"{V1}/posts/{post['id']}", token=author.access_token)).body[
        "commentCount"] == 1
    assert_problem(await _comment_refused(server, replier, post["id"], parentId=parent["id"]), 409, "conflict")
    for method, path, body in (("PATCH", f"/comments/{parent['id']}", {"content": "back"}),
                               ("DELETE", f"/comments/{parent['id']}", None),
                               ("PUT", f"/comments/{parent['id']}/like", None),
                               ("GET", f"/comments/{leaf['id']}", None)):
        assert_problem(await server.request(method, f"{V1}{path}", token=author.access_token, json=body),
                       404, "not_found")


async def test_only_the_author_or_an_admin_changes_posts_and_comments(server):
    author, other = await _accounts(server, 2)
    boss = await admin(server)
    post = await _post(server, author, title="Mine")
    hidden = await _post(server, author, visibility="private")
    path = f"{V1}/posts/{post['id']}"
    assert_problem(await server.request("PATCH", path, token=other.access_token, json={"title": "defaced"}),
                   403, "forbidden")
    assert_problem(await server.request("DELETE", path, token=other.access_token), 403, "forbidden")
    # What they may not see, they are not told exists.
    assert_problem(await server.request("PATCH", f"{V1}/posts/{hidden['id']}", token=other.access_token,
                                        json={"title": "x"}), 404, "not_found")
    edited = await server.request("PATCH", path, token=author.access_token,
                                  json={"title": "Ours", "tags": ["Team"], "visibility": "connections"})
    assert (edited.body["title"], edited.body["tags"], edited.body["visibility"]) == ("Ours", ["team"], "connections")
    assert_problem(await server.request("PATCH", path, token=author.access_token, json={"content": None}),
                   422, "invalid")

    public = await _post(server, author)
    remark = await _comment(server, other, public["id"], "first!")
    comment_path = f"{V1}/comments/{remark['id']}"
    assert_problem(await server.request("PATCH", comment_path, token=author.access_token, json={"content": "x"}),
                   403, "forbidden")
    assert_problem(await server.request("DELETE", comment_path, token=author.access_token), 403, "forbidden")
    changed = await server.request("PATCH", comment_path, token=other.access_token, json={"content": "second!"})
    assert changed.body["content"] == "second!" and changed.body["isMine"] is True
    assert_problem(await server.request("PATCH", comment_path, token=other.access_token, json={"content": " "}),
                   422, "invalid")
    liked = await server.request("PUT", f"{comment_path}/like", token=author.access_token)
    assert liked.body == {"liked": True, "likeCount": 1}

    assert (await server.request("DELETE", comment_path, token=boss.access_token)).status == 204
    # An admin changes what they could not otherwise see.
    moderated = await server.request("PATCH", f"{V1}/posts/{hidden['id']}", token=boss.access_token,
                                     json={"status": "draft"})
    assert moderated.status == 200 and moderated.body["status"] == "draft" and moderated.body["isMine"] is False
    assert (await server.request("DELETE", f"{V1}/posts/{hidden['id']}", token=boss.access_token)).status == 204
    assert_problem(await server.request("GET", f"{V1}/posts/{hidden['id']}", token=author.access_token),
                   404, "not_found")


async def test_lists_page_with_cursors(server):
    author = await server.account()
    made = [await _post(server, author, content=f"post {i}") for i in range(5)]
    pages, cursor = [], ""
    while cursor is not None:
        page = await server.request("GET", f"{V1}/posts?authorId={author.id}&limit=2&cursor={cursor}",
                                    token=author.access_token)
        pages.append([item["id"] for item in page.body["items"]])
        cursor = page.body["nextCursor"]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sum(pages, []) == [post["id"] for post in reversed(made)]  # newest first

    comments = [await _comment(server, author, made[0]["id"], f"comment {i}") for i in range(3)]
    first = await server.request("GET", f"{V1}/posts/{made[0]['id']}/comments?limit=2", token=author.access_token)
    rest = await server.request("GET", f"{V1}/posts/{made[0]['id']}/comments?limit=2&cursor="
                                f"{first.body['nextCursor']}", token=author.access_token)
    assert [c["id"] for c in first.body["items"] + rest.body["items"]] == [c["id"] for c in comments]  # oldest first
    assert rest.body["nextCursor"] is None
    assert_problem(await server.request("GET", f"{V1}/posts?limit=0", token=author.access_token), 422, "invalid")
    assert_problem(await server.request("GET", f"{V1}/posts?cursor=zz", token=author.access_token), 422, "invalid")
