"""Typing indicators: never stored, sent to everyone in the room but the typer, expiring by themselves."""

from __future__ import annotations

import logging
import time
from uuid import UUID

from chatserver.actions import access
from chatserver.actions.access import StreamRef
from chatserver.actions.context import Principal, Services
from chatserver.broker import Event
from chatserver.schemas.conversations import TypingIn
from chatserver.schemas.events import TYPING, TypingEvent

log = logging.getLogger(__name__)


def _event(room: str, user_id: UUID, typing: bool) -> Event:
    payload = TypingEvent(**StreamRef.of_room(room).ids(), user_id=user_id, typing=typing)
    return TYPING.to((room,), payload, skip_user=str(user_id))


async def typing(svc: Services, principal: Principal, body: TypingIn) -> None:
    await svc.limit("typing", principal.user_id, svc.settings.rate_typing)
    async with svc.db.connection() as conn:
        stream = await access.stream_member(conn, StreamRef.named(body.channel_id, body.conversation_id), principal)
        stream.require_writable()
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
