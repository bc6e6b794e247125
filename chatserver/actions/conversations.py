"""Direct conversations: open (find or create) for a pair, list, read markers."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import access
from chatserver.actions.connections import refuse_if_blocked
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import conversation_view
from chatserver.broker import rooms
from chatserver.broker.control import move_rooms
from chatserver.errors import forbidden, invalid
from chatserver.schemas.conversations import (
    Conversation,
    ConversationList,
    ConversationQuery,
    DmReadOut,
)
from chatserver.schemas.events import DM_READ, DmReadEvent
from chatserver.schemas.pagination import fetch_page
from chatserver.store import conversations, workspaces


async def open_with(svc: Services, principal: Principal, user_id: UUID) -> Conversation:
    """Find or create the caller's conversation with `user_id`; people must share a workspace to start one,
    and a block between them refuses it (an existing conversation's history stays readable by id)."""
    if user_id == principal.user_id:
        raise invalid({"userId": "a conversation needs another person"})
    async with svc.db.transaction("open_conversation") as conn:
        await access.active_user(conn, user_id)
        await refuse_if_blocked(conn, principal.user_id, user_id, "direct messages")
        row, created = await conversations.find_or_create(conn, principal.user_id, user_id)
        if created and user_id not in await workspaces.users_sharing_with(conn, principal.user_id):
            raise forbidden("you can only message people who share a workspace with you")
        if created:
            room = rooms.conversation(row["id"])
            svc.publish_after_commit(move_rooms(principal.user_id, join=[room]), move_rooms(user_id, join=[room]))
    return conversation_view(row, principal.user_id)


async def list_mine(svc: Services, principal: Principal, query: ConversationQuery) -> ConversationList:
    async with svc.db.connection() as conn:
        window = await fetch_page(
            query, lambda after, limit: conversations.for_user(conn, principal.user_id, before=after, limit=limit),
            lambda row: (row["last_message_at"] or row["created_at"], row["id"]))
    return ConversationList.of(window, lambda row: conversation_view(row, principal.user_id))


async def get(svc: Services, principal: Principal, conversation_id: UUID) -> Conversation:
    async with svc.db.connection() as conn:
        stream = await access.conversation_member(conn, conversation_id, principal)
    return conversation_view(stream.record, principal.user_id)


async def mark_read(svc: Services, principal: Principal, conversation_id: UUID, seq: int) -> DmReadOut:
    async with svc.db.transaction("mark_conversation_read") as conn:
        await access.conversation_member(conn, conversation_id, principal)
        row = await conversations.mark_read(conn, conversation_id, principal.user_id, seq)
        view = conversation_view(row, principal.user_id)
        read = DmReadEvent(conversation_id=conversation_id, user_id=principal.user_id, last_read_seq=view.last_read_seq)
        svc.publish_after_commit(DM_READ.to((rooms.conversation(conversation_id),), read))
    return DmReadOut(conversation_id=conversation_id, last_read_seq=view.last_read_seq,
                     unread_count=view.unread_count)
