"""Direct conversations: open (find or create) for a pair, list, read markers."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import conversation_view
from chatserver.broker import Event, rooms
from chatserver.broker.control import move_rooms
from chatserver.errors import forbidden, invalid, not_found
from chatserver.schemas.conversations import Conversation, ConversationList, DmReadOut
from chatserver.schemas.pagination import decode_keyset, encode_cursor, page
from chatserver.store import conversations, users, workspaces


async def open_with(svc: Services, principal: Principal, user_id: UUID) -> Conversation:
    """Find or create the caller's conversation with `user_id`; people must share a workspace to start one."""
    if user_id == principal.user_id:
        raise invalid({"userId": "a conversation needs another person"})
    async with svc.db.transaction("open_conversation") as conn:
        other = await users.by_id(conn, user_id)
        if other is None or not other["is_active"]:
            raise not_found("user")
        row, created = await conversations.find_or_create(conn, principal.user_id, user_id)
        if created and user_id not in await workspaces.users_sharing_with(conn, principal.user_id):
            raise forbidden("you can only message people who share a workspace with you")
    if created:
        room = rooms.conversation(row["id"])
        await svc.publish(move_rooms(principal.user_id, join=[room]), move_rooms(user_id, join=[room]))
    return conversation_view(row, principal.user_id)


async def list_mine(svc: Services, principal: Principal, *, limit: int, cursor: str | None) -> ConversationList:
    async with svc.db.connection() as conn:
        rows = await conversations.for_user(conn, principal.user_id, before=decode_keyset(cursor),
                                            limit=limit + 1)
    rows, next_cursor = page(
        rows, limit, lambda row: encode_cursor([row["last_message_at"] or row["created_at"], row["id"]]))
    return ConversationList(items=[conversation_view(row, principal.user_id) for row in rows],
                            next_cursor=next_cursor)


async def get(svc: Services, principal: Principal, conversation_id: UUID) -> Conversation:
    async with svc.db.connection() as conn:
        stream = await access.conversation_member(conn, conversation_id, principal)
    return conversation_view(stream.record, principal.user_id)


async def mark_read(svc: Services, principal: Principal, conversation_id: UUID, seq: int) -> DmReadOut:
    async with svc.db.transaction("mark_conversation_read") as conn:
        await access.conversation_member(conn, conversation_id, principal)
        row = await conversations.mark_read(conn, conversation_id, principal.user_id, seq)
    view = conversation_view(row, principal.user_id)
    await svc.publish(Event("dm:read", {"conversationId": str(conversation_id), "userId": str(principal.user_id),
                                        "lastReadSeq": view.last_read_seq},
                            rooms=(rooms.conversation(conversation_id),)))
    return DmReadOut(conversation_id=conversation_id, last_read_seq=view.last_read_seq,
                     unread_count=view.unread_count)
