"""GrowCommunity's typed messages: message settings, slot booking, conversations, read marks.

Sending a message of a type to someone needs them to accept that type, and holds one
of their slots of that type until it expires: the first message books the slot, later
ones of the same type ride on it while it lasts. How many slots a receiver has is
their active custom slot for the type when they use custom slots, else the default.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.errors import forbidden, invalid, limit_reached, not_found
from chatserver.schemas.events import (
    TYPED_CONVERSATION_READ,
    TYPED_MESSAGE_NEW,
    ConversationRefEvent,
    TypedMessageEvent,
)
from chatserver.schemas.pagination import PageQuery, fetch_page
from chatserver.schemas.typed_messages import (
    FirstMessageIn,
    MessageSettings,
    MessageSettingsIn,
    ReadOut,
    ReplyIn,
    TypedConversationOut,
    TypedConversationPage,
    TypedMessageOut,
    TypedMessagePage,
    TypeSetting,
)
from chatserver.store import typed_messages as store


async def _settings(conn: asyncpg.Connection, user_id: UUID) -> MessageSettings:
    settings = await store.settings_of(conn, user_id)
    types = [TypeSetting.from_row(row) for row in await store.type_settings(conn, user_id)]
    return MessageSettings(use_custom_slots=settings["use_custom_slots"],
                           email_notifications=settings["email_notifications"],
                           auto_accept_from_admins=settings["auto_accept_from_admins"], message_types=types)


async def get_settings(svc: Services, principal: Principal) -> MessageSettings:
    async with svc.db.connection() as conn:
        return await _settings(conn, principal.user_id)


async def update_settings(svc: Services, principal: Principal, body: MessageSettingsIn) -> MessageSettings:
    changes = body.model_dump(exclude_unset=True)
    switches = changes.pop("message_types", [])
    async with svc.db.transaction("update_message_settings") as conn:
        await store.update_settings(conn, principal.user_id, changes)
        for switch in switches:
            if await store.message_type(conn, switch["message_type_id"]) is None:
                raise invalid({"messageTypes": f"no message type {switch['message_type_id']}"})
            await store.set_type_enabled(conn, principal.user_id, switch["message_type_id"], switch["is_enabled"])
        return await _settings(conn, principal.user_id)


async def _book_slot_if_needed(conn: asyncpg.Connection, svc: Services, principal: Principal, receiver_id: UUID,
                               type_id: UUID) -> bool:
    """Whether this message needs a new slot; `limit_reached` when the receiver has none free."""
    settings = await store.lock_settings(conn, receiver_id)
    if principal.is_admin and settings["auto_accept_from_admins"]:
        return False
    if await store.held_booking(conn, principal.user_id, receiver_id, type_id):
        return False
    limit = await store.custom_limit(conn, receiver_id, type_id) if settings["use_custom_slots"] else None
    limit = svc.settings.default_slot_limit if limit is None else limit
    held, first_free = await store.booked_slots(conn, receiver_id, type_id)
    if held >= limit:
        retry = max(1, round((first_free - datetime.now(UTC)).total_seconds())) if first_free else None
        raise limit_reached("the receiver has no free slot for this message type",
                            limit=limit, messageTypeId=str(type_id), retryAfter=retry)
    return True


async def _send(svc: Services, principal: Principal, receiver_id: UUID, type_id: UUID, content: str,
                conversation_id: UUID | None = None) -> TypedMessageOut:
    if receiver_id == principal.user_id:
        raise invalid({"receiverId": "you cannot message yourself"})
    async with svc.db.transaction("send_typed_message") as conn:
        await access.active_user(conn, receiver_id)
        kind = await store.message_type(conn, type_id)
        if kind is None or not kind["is_active"]:
            raise invalid({"messageTypeId": "no such active message type"})
        if not await store.type_enabled(conn, receiver_id, type_id):
            raise forbidden(f"the receiver does not accept {kind['name']} messages")
        needs_slot = await _book_slot_if_needed(conn, svc, principal, receiver_id, type_id)
        await store.ensure_profiles(conn, principal.user_id, receiver_id)
        if conversation_id is None:
            conversation_id = await store.conversation_for_pair(conn, principal.user_id, receiver_id)
        message_id = await store.insert_message(conn, conversation_id=conversation_id, sender_id=principal.user_id,
                                                receiver_id=receiver_id, type_id=type_id, content=content)
        if needs_slot:
            await store.book_slot(conn, sender_id=principal.user_id, receiver_id=receiver_id, type_id=type_id,
                                  message_id=message_id, ttl_seconds=svc.settings.slot_booking_ttl)
        mine = TypedMessageOut.render(await store.message_for(conn, message_id, principal.user_id))
        theirs = TypedMessageOut.render(await store.message_for(conn, message_id, receiver_id))
        svc.publish_after_commit(TYPED_MESSAGE_NEW.to((rooms.user(receiver_id),), TypedMessageEvent(message=theirs)))
    return mine


async def send_first(svc: Services, principal: Principal, body: FirstMessageIn) -> TypedMessageOut:
    """Message someone by id; the pair's conversation is found or created."""
    return await _send(svc, principal, body.receiver_id, body.message_type_id, body.content)


async def reply(svc: Services, principal: Principal, conversation_id: UUID, body: ReplyIn) -> TypedMessageOut:
    """Message the other participant of a conversation, whoever they are."""
    async with svc.db.connection() as conn:
        conversation = await store.conversation_of(conn, conversation_id, principal.user_id)
    if conversation is None:
        raise not_found("conversation")
    return await _send(svc, principal, conversation["other_id"], body.message_type_id, body.content,
                       conversation_id=conversation_id)


async def list_conversations(svc: Services, principal: Principal, query: PageQuery) -> TypedConversationPage:
    async with svc.db.connection() as conn:
        window = await fetch_page(
            query, lambda after, limit: store.conversations(conn, principal.user_id, after=after, limit=limit))
    return TypedConversationPage.of(window, TypedConversationOut.render)


async def get_conversation(svc: Services, principal: Principal, conversation_id: UUID) -> TypedConversationOut:
    async with svc.db.connection() as conn:
        rows = await store.conversations(conn, principal.user_id, after=None, limit=1,
                                         conversation_id=conversation_id)
    if not rows:
        raise not_found("conversation")
    return TypedConversationOut.render(rows[0])


async def list_messages(svc: Services, principal: Principal, conversation_id: UUID,
                        query: PageQuery) -> TypedMessagePage:
    async def messages(after: tuple | None, limit: int) -> list[asyncpg.Record]:
        async with svc.db.connection() as conn:
            if await store.conversation_of(conn, conversation_id, principal.user_id) is None:
                raise not_found("conversation")
            return await store.messages(conn, conversation_id, principal.user_id, after=after, limit=limit)

    return TypedMessagePage.of(await fetch_page(query, messages), TypedMessageOut.render)


async def mark_read(svc: Services, principal: Principal, conversation_id: UUID) -> ReadOut:
    """Mark every message the caller received in the conversation as read."""
    async with svc.db.transaction("read_typed_conversation") as conn:
        conversation = await store.conversation_of(conn, conversation_id, principal.user_id)
        if conversation is None:
            raise not_found("conversation")
        marked = await store.mark_read(conn, conversation_id, principal.user_id)
        if marked:
            svc.publish_after_commit(TYPED_CONVERSATION_READ.to((rooms.user(conversation["other_id"]),),
                                                                ConversationRefEvent(conversation_id=conversation_id)))
    return ReadOut(conversation_id=conversation_id, marked_read=marked)
