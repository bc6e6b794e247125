"""Direct conversations: open (find or create) for a pair, list, read markers."""

from __future__ import annotations

from functools import partial
from uuid import UUID

import asyncpg

from chatserver import metrics
from chatserver.actions import access
from chatserver.actions.connections import refuse_if_blocked
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import conversation_view
from chatserver.broker import rooms
from chatserver.broker.control import move_rooms, stream_at
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
            at = {room: stream_at(row)}  # where the conversation starts for both: every message is theirs
            svc.publish_after_commit(move_rooms(principal.user_id, join=[room], at=at),
                                     move_rooms(user_id, join=[room], at=at))
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
    """Move the caller's read marker forward (never back, never past the end). Markers moved while
    another write of them is in flight, in any conversations and by anyone, are written together;
    one the batch did not take (not the caller's conversation) is answered on its own, with the error."""
    read = (conversation_id, principal.user_id, seq)
    state = await svc.writes.submit("conversation_read", read, partial(_mark_read_together, svc))
    if state is not None:
        return state
    async with svc.db.transaction("mark_conversation_read") as conn:
        await access.conversation_member(conn, conversation_id, principal)
        row = await conversations.mark_read(conn, conversation_id, principal.user_id, seq)
        return _read(svc, row, principal.user_id)


async def _mark_read_together(svc: Services, reads: list[tuple[UUID, UUID, int]]) -> list[DmReadOut | None]:
    metrics.GROUP_COMMITS.labels("conversation_read").observe(len(reads))
    async with svc.db.transaction("mark_conversations_read", one_statement=True) as conn:
        moved = {row["id"]: row for row in await conversations.mark_read_many(conn, reads)}
        states: list[DmReadOut | None] = []
        for conversation_id, user_id, _ in reads:
            row = moved.get(conversation_id)
            takes_part = row is not None and user_id in (row["user_a_id"], row["user_b_id"])
            states.append(_read(svc, row, user_id) if takes_part else None)
    return states


def _read(svc: Services, row: asyncpg.Record, user_id: UUID) -> DmReadOut:
    """The caller's new state, with its `dm:read` queued on the open transaction."""
    view = conversation_view(row, user_id)
    read = DmReadEvent(conversation_id=row["id"], user_id=user_id, last_read_seq=view.last_read_seq)
    svc.publish_after_commit(DM_READ.to((rooms.conversation(row["id"]),), read))
    return DmReadOut(conversation_id=row["id"], last_read_seq=view.last_read_seq, unread_count=view.unread_count)
