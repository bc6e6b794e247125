"""CommunityOS Discord bot configurations: one per community, managed by its admins and owner, the
token encrypted at rest under keys that rotate, never answered and never logged."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import asyncpg
import pytest
from cryptography.fernet import Fernet, InvalidToken

from chatserver.logs import JsonFormatter
from tests.http.test_auth import assert_problem
from tests.support.roles import admin

V1 = "/api/v1"
KEY_OLD = Fernet.generate_key().decode()
KEY_NEW = Fernet.generate_key().decode()
# The shape of a real Discord bot token (three base64url parts), made up.
TOKEN = "MTE4NzY1NDMyMTA5ODc2NTQzMg.GhXk2a.s3cr3t-b0t-t0k3n_f0r-t3st1ng-0nly-xyzzy"
CONFIG = {"clientId": "1187654321098765432", "permissions": 268435456, "prefix": "?",
          "welcomeMessage": "Welcome!", "adminChannel": "1187654321098765999", "settings": {"locale": "en"}}


async def _community(server, owner, **extra) -> str:
    created = await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                   json={"name": "Bot owners", **extra})
    assert created.status == 201, created.body
    return created.body["id"]


async def _put(server, account, community_id, **body):
    return await server.request("PUT", f"{V1}/communities/{community_id}/bot", token=account.access_token,
                                json=CONFIG | body)


async def _stored_token(database_url: str, community_id: str) -> str | None:
    """The column as it is at rest, read by the owner behind the server."""
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT bot_token_encrypted FROM discord_bot_configs WHERE community_id = $1",
                                   community_id)
    finally:
        await conn.close()


class _AllRecords(logging.Handler):
    """Every record the server makes at the shipped level, formatted as shipped (JSON with extras)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def server_log_lines() -> Iterator[list[str]]:
    handler = _AllRecords()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.lines
    finally:
        logging.getLogger().removeHandler(handler)


async def test_admins_and_the_owner_manage_the_bot_and_others_cannot(server):
    owner, member, moderator, stranger = [await server.account() for _ in range(4)]
    cid = await _community(server, owner)
    private = await _community(server, owner, isPrivate=True)
    for account in (member, moderator):
        assert (await server.request("POST", f"{V1}/communities/{cid}/join", token=account.access_token)).status == 201
    await server.request("PATCH", f"{V1}/communities/{cid}/members/{moderator.id}", token=owner.access_token,
                         json={"role": "moderator"})

    unset = await server.request("GET", f"{V1}/communities/{cid}/bot", token=owner.access_token)
    assert unset.status == 200 and unset.body["configured"] is False and unset.body["tokenSet"] is False
    assert unset.body["id"] is None and unset.body["clientId"] is None and unset.body["prefix"] == "!"
    for account in (member, moderator, stranger):
        assert_problem(await _put(server, account, cid, botToken=TOKEN), 403, "forbidden")
        assert_problem(await server.request("GET", f"{V1}/communities/{cid}/bot", token=account.access_token),
                       403, "forbidden")
    assert_problem(await _put(server, stranger, private), 404, "not_found")  # a hidden community stays hidden

    made = await _put(server, owner, cid)
    assert made.status == 200 and made.body["configured"] is True and made.body["tokenSet"] is False
    assert made.body["prefix"] == "?"
    assert made.body["clientId"] == CONFIG["clientId"] and made.body["permissions"] == 268435456
    assert made.body["autoRoleAssignment"] is True and made.body["settings"] == {"locale": "en"}

    await server.request("PATCH", f"{V1}/communities/{cid}/members/{member.id}", token=owner.access_token,
                         json={"role": "admin"})
    changed = await _put(server, member, cid, prefix="!", botToken=TOKEN)  # now an admin
    assert changed.status == 200 and changed.body["tokenSet"] is True and changed.body["prefix"] == "!"
    assert changed.body["id"] == made.body["id"]  # one configuration per community, replaced
    platform_admin = await admin(server)
    assert (await server.request("GET", f"{V1}/communities/{private}/bot", token=platform_admin.access_token)
            ).body["configured"] is False  # none yet, but the platform admin may look

    for bad in ({"clientId": "12a"}, {"clientId": "1" * 21}, {"clientId": 1187654321098765432}, {"permissions": -1}, {"prefix": ""},
                {"prefix": "x" * 11}, {"botToken": "short"}, {"botToken": "has spaces in it, not a token"},
                {"adminChannel": "general"}, {"settings": []}, {"tokenSet": True}, {"welcomeMessage": "x" * 2001}):
        assert_problem(await _put(server, owner, cid, **bad), 422, "invalid")

    assert_problem(await server.request("DELETE", f"{V1}/communities/{cid}/bot", token=moderator.access_token), 403,
                   "forbidden")
    for _ in range(2):  # again: a no-op
        assert (await server.request("DELETE", f"{V1}/communities/{cid}/bot", token=member.access_token)).status == 204
    gone = await server.request("GET", f"{V1}/communities/{cid}/bot", token=owner.access_token)
    assert gone.body["configured"] is False and gone.body["tokenSet"] is False


async def test_the_token_is_kept_replaced_or_removed_only_when_named(server, database_url):
    owner = await server.account()
    cid = await _community(server, owner)
    await _put(server, owner, cid, botToken=TOKEN)
    first = await _stored_token(database_url, cid)
    kept = await _put(server, owner, cid, prefix="$")
    assert kept.body["tokenSet"] is True and await _stored_token(database_url, cid) == first
    replaced = await _put(server, owner, cid, botToken=TOKEN + "2")
    assert replaced.body["tokenSet"] is True and await _stored_token(database_url, cid) != first
    removed = await _put(server, owner, cid, botToken=None)
    assert removed.body["tokenSet"] is False and await _stored_token(database_url, cid) is None


async def test_the_token_is_encrypted_at_rest_and_never_answered_or_logged(server, database_url, server_log_lines):
    owner = await server.account()
    cid = await _community(server, owner)
    answers = [await _put(server, owner, cid, botToken=TOKEN),
               await server.request("GET", f"{V1}/communities/{cid}/bot", token=owner.access_token),
               await _put(server, owner, cid, botToken=TOKEN, clientId="not a snowflake"),  # refused input
               await server.request("GET", "/api/openapi.json")]
    for answer in answers:
        assert TOKEN not in str(answer.body) and TOKEN not in str(dict(answer.headers))
    assert answers[0].body["tokenSet"] is True and "botToken" not in answers[0].body

    stored = await _stored_token(database_url, cid)
    assert TOKEN not in stored and TOKEN.split(".")[0] not in stored
    # Zero-config: no BOT_TOKEN_KEYS, so the key was generated once in CHAT_DATA_DIR, readable by its owner only.
    key_file = server.settings.data_dir / "bot-token.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert Fernet(key_file.read_bytes()).decrypt(stored.encode()).decode() == TOKEN

    assert any("PUT /api/v1/communities" in line for line in server_log_lines)  # the capture sees the requests
    assert not [line for line in server_log_lines if TOKEN in line or TOKEN.split(".")[2] in line]


@pytest.mark.settings(BOT_TOKEN_KEYS=KEY_OLD)
async def test_rotation_with_an_old_key_then_rotate_bot_tokens_then_the_old_key_removed(server, database_url,
                                                                                       tmp_path):
    owner = await server.account()
    communities = [await _community(server, owner, name=f"Bots {i}") for i in range(3)]
    for i, cid in enumerate(communities[:2]):
        assert (await _put(server, owner, cid, botToken=f"{TOKEN}{i}")).body["tokenSet"] is True
    before = [await _stored_token(database_url, cid) for cid in communities[:2]]
    assert [Fernet(KEY_OLD).decrypt(value.encode()).decode() for value in before] == [f"{TOKEN}0", f"{TOKEN}1"]

    rotated = await _rotate(server, tmp_path, f"{KEY_NEW},{KEY_OLD}")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 2 bot tokens" in rotated.stdout
    assert TOKEN not in rotated.stdout + rotated.stderr
    after = [await _stored_token(database_url, cid) for cid in communities[:2]]
    # The old key is removed: the new one alone decrypts every token; the old one none.
    assert [Fernet(KEY_NEW).decrypt(value.encode()).decode() for value in after] == [f"{TOKEN}0", f"{TOKEN}1"]
    for value in after:
        with pytest.raises(InvalidToken):
            Fernet(KEY_OLD).decrypt(value.encode())
    again = await _rotate(server, tmp_path, KEY_NEW)  # safe to run again, with the new key only
    assert again.returncode == 0 and "re-encrypted 2 bot tokens" in again.stdout
    current = [await _stored_token(database_url, cid) for cid in communities[:2]]

    lost = await _rotate(server, tmp_path, Fernet.generate_key().decode())  # a key dropped too early
    assert lost.returncode == 1 and "2 bot tokens are encrypted with a key no longer in BOT_TOKEN_KEYS" in lost.stderr
    assert [await _stored_token(database_url, cid) for cid in communities[:2]] == current  # left as they were


async def _rotate(server, data_dir, keys: str) -> subprocess.CompletedProcess:
    """`chatserver rotate-bot-tokens`, as an operator runs it against the test server's database, signed in
    as the server's application role (row-level security binds it)."""
    env = {**os.environ, "DATABASE_URL": server.settings.database_url,
           "DATABASE_OWNER_URL": server.settings.database_owner_url, "BOT_TOKEN_KEYS": keys,
           "CHAT_DATA_DIR": str(data_dir)}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "chatserver", "rotate-bot-tokens"],
                                   env=env, capture_output=True, text=True, timeout=60)


async def test_without_a_key_to_read_or_make_a_token_is_refused_as_unavailable(server):
    (server.settings.data_dir / "bot-token.key").mkdir()  # no key file can be read or written there
    owner = await server.account()
    cid = await _community(server, owner)
    assert_problem(await _put(server, owner, cid, botToken=TOKEN), 503, "unavailable")
    assert (await server.request("GET", f"{V1}/communities/{cid}/bot", token=owner.access_token)
            ).body["configured"] is False  # nothing was stored
    assert (await _put(server, owner, cid)).body["tokenSet"] is False  # a configuration without a token is fine


async def test_many_admins_saving_at_once_leave_one_configuration(server, database_url):
    owner = await server.account()
    cid = await _community(server, owner)
    answers = await asyncio.gather(*(_put(server, owner, cid, prefix=f"p{i}", botToken=f"{TOKEN}{i}")
                                     for i in range(12)))
    assert [answer.status for answer in answers] == [200] * 12
    assert len({answer.body["id"] for answer in answers}) == 1
    final = await server.request("GET", f"{V1}/communities/{cid}/bot", token=owner.access_token)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT prefix, bot_token_encrypted FROM discord_bot_configs WHERE community_id = $1",
                                cid)
    finally:
        await conn.close()
    assert len(rows) == 1 and rows[0]["prefix"] == final.body["prefix"]
    key = (server.settings.data_dir / "bot-token.key").read_bytes()
    assert Fernet(key).decrypt(rows[0]["bot_token_encrypted"].encode()).decode() == TOKEN + final.body["prefix"][1:]
