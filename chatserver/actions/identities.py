"""Identity revelation: letting one person see your real name on one type of message."""

from __future__ import annotations

from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.errors import invalid, not_found
from chatserver.schemas.events import IDENTITY_REVEALED, IdentityRevealedEvent
from chatserver.schemas.pagination import PageQuery, by_columns, fetch_page
from chatserver.schemas.typed_messages import RevelationIn, RevelationOut, RevelationPage
from chatserver.store import identities, users
from chatserver.store import typed_messages as messages


async def reveal(svc: Services, principal: Principal, body: RevelationIn) -> tuple[RevelationOut, bool]:
    """(the revelation, whether it is new). From now on the revealed-to person sees the caller's
    real name on messages of this type, old ones included."""
    async with svc.db.transaction("reveal_identity") as conn:
        if body.conversation_id is not None:
            conversation = await messages.conversation_of(conn, body.conversation_id, principal.user_id)
            if conversation is None:
                raise not_found("conversation")
            revealed_to = conversation["other_id"]
        else:
            revealed_to = body.revealed_to_id
            if await users.by_id(conn, revealed_to) is None:
                raise not_found("user")
        if revealed_to == principal.user_id:
            raise invalid({"revealedToId": "you know who you are"})
        if await messages.message_type(conn, body.message_type_id) is None:
            raise invalid({"messageTypeId": "no such message type"})
        await messages.ensure_profiles(conn, principal.user_id, revealed_to)
        revelation_id, created = await identities.reveal(conn, principal.user_id, revealed_to, body.message_type_id)
        row = await identities.revelation(conn, principal.user_id, revelation_id)
        if created:
            svc.publish_after_commit(IDENTITY_REVEALED.to((rooms.user(revealed_to),),
                                                          IdentityRevealedEvent(message_type_id=body.message_type_id)))
    return RevelationOut.render(row), created


async def list_revelations(svc: Services, principal: Principal, query: PageQuery) -> RevelationPage:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: identities.revelations_by(
            conn, principal.user_id, after=after, limit=limit), by_columns("revealed_at", "id"))
    return RevelationPage.of(window, RevelationOut.render)
