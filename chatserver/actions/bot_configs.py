"""Discord bot configurations, one per community, managed by its admins and owner.

The token is encrypted before it reaches the database (chatserver/security/bot_tokens.py) and is
never decrypted for an answer: the API says only whether one is set. Nothing here logs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from chatserver.actions.context import Principal, Services
from chatserver.actions.tenants import enter_as_manager
from chatserver.db.tenancy import scope
from chatserver.errors import unavailable
from chatserver.schemas.bot_configs import BotConfigIn, BotConfigOut
from chatserver.security.bot_tokens import BotTokenKeys, UnreadableToken, bot_token_keys
from chatserver.store import bot_configs as store

log = logging.getLogger(__name__)

ROTATION_BATCH = 200  # communities per transaction when re-encrypting


def _keys(svc: Services) -> BotTokenKeys:
    try:
        return bot_token_keys(svc.settings.bot_token_keys, svc.settings.data_dir)
    except OSError as exc:
        log.warning("no bot token key: BOT_TOKEN_KEYS is unset and CHAT_DATA_DIR has none and takes none: %s",
                    exc.strerror or exc)
        raise unavailable("bot tokens cannot be stored: the server has no key for them (BOT_TOKEN_KEYS)") from None


async def get_config(svc: Services, principal: Principal, community_id: UUID) -> BotConfigOut:
    async with svc.db.transaction("get_bot_config") as conn:
        await enter_as_manager(conn, principal, community_id)
        row = await store.config(conn, community_id)
    return BotConfigOut.unconfigured(community_id) if row is None else BotConfigOut.from_row(row)


async def put_config(svc: Services, principal: Principal, community_id: UUID, body: BotConfigIn) -> BotConfigOut:
    """Create or replace the configuration; the token changes only when the body names it."""
    token: dict[str, str | None] = {}
    if "bot_token" in body.model_fields_set:
        token["bot_token_encrypted"] = None if body.bot_token is None else _keys(svc).encrypt(body.bot_token)
    async with svc.db.transaction("put_bot_config") as conn:
        await enter_as_manager(conn, principal, community_id)
        await store.upsert(conn, community_id, body.model_dump(exclude={"bot_token"}), token)
        return BotConfigOut.from_row(await store.config(conn, community_id))


async def delete_config(svc: Services, principal: Principal, community_id: UUID) -> None:
    """Back to no configuration (and no token); again is a no-op."""
    async with svc.db.transaction("delete_bot_config") as conn:
        await enter_as_manager(conn, principal, community_id)
        await store.delete(conn, community_id)


@dataclass(frozen=True, slots=True)
class Rotation:
    rotated: int      # tokens now encrypted with the first key
    unreadable: int   # tokens no configured key decrypts (their key was dropped too early)


async def rotate_tokens(svc: Services, batch_size: int = ROTATION_BATCH) -> Rotation:
    """`chatserver rotate-bot-tokens`: re-encrypt every stored token with the first key. Each
    configuration is visible only in its community's scope, so this walks the communities, scoping
    each in turn. Safe to run again, and while the server runs (each row is locked while rewritten)."""
    keys = _keys(svc)
    rotated = unreadable = 0
    after: UUID | None = None
    while True:
        async with svc.db.transaction("rotate_bot_tokens") as conn:
            community_ids = await store.communities_after(conn, after, batch_size)
            for community_id in community_ids:
                await scope(conn, community_id=community_id)
                stored = await store.lock_token(conn, community_id)
                if stored is None:
                    continue
                try:
                    await store.set_token(conn, community_id, keys.rotate(stored))
                    rotated += 1
                except UnreadableToken:
                    unreadable += 1
                    log.warning("a bot token is encrypted with a key that is no longer configured: not rotated",
                                extra={"community_id": str(community_id)})
        if len(community_ids) < batch_size:
            return Rotation(rotated, unreadable)
        after = community_ids[-1]
