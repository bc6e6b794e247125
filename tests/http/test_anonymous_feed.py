"""The anonymous feed: hidden authors, exact like counters under concurrency, one like per user."""

from __future__ import annotations

import asyncio

from tests.http.test_auth import assert_problem
from tests.support.roles import admin

V1 = "/api/v1"


async def _post(server, account, **extra):
    created = await server.request("POST", f"{V1}/anonymous-posts", token=account.access_token,
                                   json={"content": "My manager takes credit for my work", **extra})
    assert created.status == 201, created.body
    return created.body


async def test_the_author_of_an_anonymous_post_is_hidden(server):
    author, reader = await server.account(), await server.account()
    post = await _post(server, author, topic="workplace_issues", companyName="Acme")
    seen = await server.request("GET", f"{V1}/anonymous-posts/{post['id']}", token=reader.access_token)
    assert seen.body["author"]["anonymous"] is True and seen.body["author"]["anonymousName"]
    assert seen.body["isMine"] is False
    for secret in (author.id, author.username, author.email):
        assert secret not in str(seen.body)
    # Filters narrow the feed, but nothing filters by author.
    assert_problem(await server.request("GET", f"{V1}/anonymous-posts?userId={author.id}",
                                        token=reader.access_token), 422, "invalid")
    by_topic = await server.request("GET", f"{V1}/anonymous-posts?topic=workplace_issues&companyName=Acme",
                                    token=reader.access_token)
    assert [p["id"] for p in by_topic.body["items"]] == [post["id"]]
    assert (await server.request("GET", f"{V1}/anonymous-posts?mine=true", token=reader.access_token)).body[
        "items"] == []
    mine = await server.request("GET", f"{V1}/anonymous-posts?mine=true", token=author.access_token)
    assert [p["id"] for p in mine.body["items"]] == [post["id"]] and mine.body["items"][0]["isMine"]

    public = await _post(server, author, isAnonymous=False, content="Hiring at Acme")
    assert public["author"] == {"anonymous": False, "anonymousName": None, "userId": author.id,
                                "username": author.username, "displayName": None}


async def test_comments_hide_their_authors_and_count(server):
    author, commenter = await server.account(), await server.account()
    post = await _post(server, author)
    comment = await server.request("POST", f"{V1}/anonymous-posts/{post['id']}/comments",
                                   token=commenter.access_token, json={"content": "Same here"})
    assert comment.status == 201 and comment.body["author"]["anonymous"] is True
    assert commenter.username not in str(comment.body)
    listed = await server.request("GET", f"{V1}/anonymous-posts/{post['id']}/comments", token=author.access_token)
    assert [c["content"] for c in listed.body["items"]] == ["Same here"]
    assert (await server.request("GET", f"{V1}/anonymous-posts/{post['id']}", token=author.access_token)).body[
        "commentsCount"] == 1
    assert_problem(await server.request("PATCH", f"{V1}/anonymous-comments/{comment.body['id']}",
                                        token=author.access_token, json={"content": "edited"}), 403, "forbidden")
    await server.request("DELETE", f"{V1}/anonymous-comments/{comment.body['id']}", token=commenter.access_token)
    assert (await server.request("GET", f"{V1}/anonymous-posts/{post['id']}", token=author.access_token)).body[
        "commentsCount"] == 0


async def test_a_second_like_is_a_no_op_and_counts_stay_exact(server):
    author = await server.account()
    likers = [await server.account() for _ in range(8)]
    post = await _post(server, author)
    path = f"{V1}/anonymous-posts/{post['id']}/like"
    first = await server.request("PUT", path, token=likers[0].access_token)
    assert first.body == {"liked": True, "likesCount": 1}
    again = await server.request("PUT", path, token=likers[0].access_token)
    assert again.body == {"liked": True, "likesCount": 1}
    # Everyone at once, one of them five times over.
    results = await asyncio.gather(*(server.request("PUT", path, token=liker.access_token) for liker in likers),
                                   *(server.request("PUT", path, token=likers[1].access_token) for _ in range(5)))
    assert all(r.status == 200 for r in results)
    post_now = await server.request("GET", f"{V1}/anonymous-posts/{post['id']}", token=likers[0].access_token)
    assert post_now.body["likesCount"] == 8 and post_now.body["likedByMe"] is True
    await asyncio.gather(*(server.request("DELETE", path, token=liker.access_token) for liker in likers[:3]))
    unliked = await server.request("DELETE", path, token=likers[0].access_token)
    assert unliked.body == {"liked": False, "likesCount": 5}

    comment = (await server.request("POST", f"{V1}/anonymous-posts/{post['id']}/comments",
                                    token=author.access_token, json={"content": "thanks"})).body
    liked = await asyncio.gather(*(server.request("PUT", f"{V1}/anonymous-comments/{comment['id']}/like",
                                                  token=liker.access_token) for liker in likers[:4]))
    assert max(r.body["likesCount"] for r in liked) == 4


async def test_only_the_author_or_an_admin_changes_a_post(server):
    author, other = await server.account(), await server.account()
    boss = await admin(server)
    post = await _post(server, author)
    assert_problem(await server.request("PATCH", f"{V1}/anonymous-posts/{post['id']}", token=other.access_token,
                                        json={"content": "defaced"}), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"{V1}/anonymous-posts/{post['id']}", token=other.access_token),
                   403, "forbidden")
    edited = await server.request("PATCH", f"{V1}/anonymous-posts/{post['id']}", token=author.access_token,
                                  json={"topic": "career_advice"})
    assert edited.body["topic"] == "career_advice"
    assert (await server.request("DELETE", f"{V1}/anonymous-posts/{post['id']}", token=boss.access_token)).status \
        == 204
    assert_problem(await server.request("PUT", f"{V1}/anonymous-posts/{post['id']}/like", token=other.access_token),
                   404, "not_found")
