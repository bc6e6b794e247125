"""Typing indicators: never stored, sent to everyone in the room but the typer, expiring by themselves."""

from __future__ import annotations

import logging
import time
from uuid import UUID

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.broker import Event
from chatserver.schemas.conversations import TypingIn

log = logging.getLogger(__name__)


def _event(room: str, user_id: UUID, typing: bool) -> Event:
    kind, _, stream_id = room.partition(":")
    key = "channelId" if kind == "channel" else "conversationId"
    return Event("typing", {key: stream_id, "userId": str(user_id), "typing": typing}, rooms=(room,),
                 skip_user=str(user_id))


async def typing(svc: Services, principal: Principal, body: TypingIn) -> None:
    await svc.limit("typing", principal.user_id, svc.settings.rate_typing)
    async with svc.db.connection() as conn:
        if body.channel_id is not None:
            stream = await access.channel_member(conn, body.channel_id, principal)
            stream.require_writable()
        else:
            stream = await access.conversation_member(conn, body.conversation_id, principal)
    if body.typing:
        changed = await svc.typing.start(stream.room, principal.user_id, time.time())
    else:
        changed = await svc.typing.stop(stream.room, principal.user_id)
    if changed:
        await svc.publish(_event(stream.room, principal.user_id, body.typing))


async def stopped_by_sending(svc: Services, room: str, user_id: UUID) -> None:
    """A sent message ends its author's typing in that room; a failure here must not fail the send."""
    try:
        stopped = await svc.typing.stop(room, user_id)
    except Exception as exc:
        log.warning("could not clear typing state: %s", exc)
        return
    if stopped:
        await svc.publish(_event(room, user_id, False))


async def expire(svc: Services) -> None:
    for room, user_id in await svc.typing.expired(time.time()):
        await svc.publish(_event(room, user_id, False))
