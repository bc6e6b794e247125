"""Sending, editing, deleting, pinning and reacting to messages, in channels and
direct conversations alike, and reading them back."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

from chatserver.actions import access, typing
from chatserver.actions.access import Stream
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import message_view, message_views, new_message_view, reactions_view
from chatserver.broker import Event
from chatserver.errors import ApiError, conflict, forbidden, invalid, not_found
from chatserver.schemas.messages import (
    DeletedOut,
    Message,
    MessageEdit,
    MessageEditList,
    MessagePage,
    ReactionsOut,
)
from chatserver.store import attachments, messages

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{3,32})")
NEW_EVENT = {"channel": "message:new", "conversation": "dm:new"}

StreamLoader = Callable[[asyncpg.Connection], Awaitable[Stream]]


def _check_content(svc: Services, content: str, attachment_ids: list[UUID]) -> None:
    if len(content) > svc.settings.max_message_chars:
        raise ApiError("payload_too_large", f"content is longer than {svc.settings.max_message_chars} characters",
                       {"limit": svc.settings.max_message_chars})
    if not content.strip() and not attachment_ids:
        raise invalid({"content": "a message needs content or an attachment"})


def _stream_ref(row: asyncpg.Record) -> dict[str, str]:
    """channelId or conversationId, for broadcasts that name a message's stream."""
    if row["channel_id"] is not None:
        return {"channelId": str(row["channel_id"])}
    return {"conversationId": str(row["conversation_id"])}


async def send(svc: Services, principal: Principal, load_stream: StreamLoader, *, content: str, nonce: str,
               type: str, parent_id: UUID | None, attachment_ids: list[UUID]) -> Message:
    """Post a message; a retry with the same nonce returns the first one and broadcasts nothing."""
    await svc.limit("send", principal.user_id, svc.settings.rate_send)
    _check_content(svc, content, attachment_ids)
    try:
        async with svc.db.transaction("post_message") as conn:
            stream = await load_stream(conn)
            stream.require_writable()
            if parent_id is not None:
                await _check_thread_root(conn, stream, parent_id)
            if attachment_ids:
                usable = await attachments.unattached_of(conn, principal.user_id, attachment_ids)
                if len(set(usable)) != len(set(attachment_ids)):
                    if await messages.by_nonce(conn, principal.user_id, nonce) is not None:
                        raise messages.DuplicateNonce  # a retry: its attachments are already in the first
                    raise invalid({"attachmentIds": "unknown, not yours, or already used"})
            mentions = await _mentions(conn, stream, content)
            row = await messages.post(conn, **stream.ids(), user_id=principal.user_id, content=content, type=type,
                                      parent_id=parent_id, nonce=nonce, mentions=mentions,
                                      attachment_ids=attachment_ids)
            message = await new_message_view(conn, row, mentions=mentions, with_attachments=bool(attachment_ids))
            root = await message_view(conn, await messages.by_id(conn, parent_id)) if parent_id else None
    except messages.DuplicateNonce:
        # A retry: the unique (sender, nonce) refused it and the rollback took back its counters.
        # The first message is the answer, and nothing new is broadcast.
        async with svc.db.connection() as conn:
            return await message_view(conn, await messages.by_nonce(conn, principal.user_id, nonce))
    await svc.publish(Event(NEW_EVENT[stream.kind], {"message": message.wire()}, rooms=(stream.room,)))
    if root is not None:  # its reply count changed, and it took the changeSeq after the reply's
        await svc.publish(Event("message:updated", {"message": root.wire()}, rooms=(stream.room,)))
    await typing.stopped_by_sending(svc, stream.room, principal.user_id)
    return message


async def _check_thread_root(conn: asyncpg.Connection, stream: Stream, parent_id: UUID) -> None:
    parent = await messages.by_id(conn, parent_id)
    stream_column = "channel_id" if stream.kind == "channel" else "conversation_id"
    if parent is None or parent[stream_column] != stream.id or parent["is_deleted"]:
        raise invalid({"parentId": "no such message in this conversation"})
    if parent["parent_id"] is not None:
        raise invalid({"parentId": "replies go to the thread's root message"})


async def _mentions(conn: asyncpg.Connection, stream: Stream, content: str) -> list[UUID]:
    if stream.kind != "channel":
        return []
    names = {name.lower().rstrip(".") for name in MENTION.findall(content)}
    return await messages.mentionable(conn, stream.id, sorted(names)) if names else []


async def edit(svc: Services, principal: Principal, message_id: UUID, version: int, content: str) -> Message:
    await svc.limit("edit", principal.user_id, svc.settings.rate_edit)
    _check_content(svc, content, [])
    async with svc.db.transaction("edit_message") as conn:
        row, stream = await access.message_in_stream(conn, message_id, principal, lock=True)
        if row["user_id"] != principal.user_id:
            raise forbidden("only the author may edit a message")
        if row["is_deleted"]:
            raise conflict("the message is deleted")
        stream.require_writable()
        if row["version"] != version:
            current = await message_view(conn, row)
            raise ApiError("version_conflict", "the message changed since that version",
                           {"current": current.wire()})
        message = await message_view(conn, await messages.edit(conn, row, content, principal.user_id))
    await svc.publish(Event("message:updated", {"message": message.wire()}, rooms=(stream.room,)))
    return message


async def delete(svc: Services, principal: Principal, message_id: UUID, *,
                 expected_version: int | None = None) -> DeletedOut:
    """Soft delete by the author or a moderator; deleting a deleted message changes nothing."""
    await svc.limit("edit", principal.user_id, svc.settings.rate_edit)
    async with svc.db.transaction("delete_message") as conn:
        row, stream = await access.message_in_stream(conn, message_id, principal, lock=True)
        if row["user_id"] != principal.user_id and not stream.may_moderate():
            raise forbidden("only the author or a moderator may delete a message")
        if row["is_deleted"]:
            return DeletedOut(message_id=message_id)
        stream.require_writable()
        if expected_version is not None and row["version"] != expected_version:
            raise ApiError("version_conflict", "the message changed since that version",
                           {"current": (await message_view(conn, row)).wire()})
        deleted, files = await messages.soft_delete(conn, row)
    for storage_key in files:
        await svc.files.delete(storage_key)
    await svc.publish(Event("message:deleted", {
        "messageId": str(message_id), **_stream_ref(deleted), "seq": deleted["seq"],
        "changeSeq": deleted["change_seq"],
    }, rooms=(stream.room,)))
    return DeletedOut(message_id=message_id)


async def pin(svc: Services, principal: Principal, message_id: UUID, pinned: bool) -> Message:
    await svc.limit("edit", principal.user_id, svc.settings.rate_edit)
    async with svc.db.transaction("pin_message") as conn:
        row, stream = await access.message_in_stream(conn, message_id, principal, lock=True)
        if stream.channel_role == "GUEST":
            raise forbidden("guests may not pin messages")
        if row["is_deleted"]:
            raise conflict("the message is deleted")
        stream.require_writable()
        if row["is_pinned"] == pinned:
            return await message_view(conn, row)
        message = await message_view(conn, await messages.set_pinned(conn, row, pinned, principal.user_id))
    await svc.publish(Event("message:updated", {"message": message.wire()}, rooms=(stream.room,)))
    return message


async def react(svc: Services, principal: Principal, message_id: UUID, emoji: str, *, add: bool) -> ReactionsOut:
    """Add or remove the caller's reaction; doing what is already done changes and broadcasts nothing."""
    await svc.limit("reaction", principal.user_id, svc.settings.rate_reaction)
    async with svc.db.transaction("react") as conn:
        row, stream = await access.message_in_stream(conn, message_id, principal, lock=True)
        if row["is_deleted"]:
            raise conflict("the message is deleted")
        stream.require_writable()
        change = messages.add_reaction if add else messages.remove_reaction
        changed = await change(conn, message_id, principal.user_id, emoji)
        if changed:
            row = await messages.touch_change(conn, row)
        reactions = reactions_view(await messages.reactions_of(conn, [message_id]))
    result = ReactionsOut(message_id=message_id, reactions=reactions)
    if changed:
        data = result.wire() | _stream_ref(row) | {"changeSeq": row["change_seq"]}
        await svc.publish(Event("reaction:updated", data, rooms=(stream.room,)))
    return result


async def history(svc: Services, principal: Principal, load_stream: StreamLoader, *, before_seq: int | None,
                  after_seq: int | None, limit: int, parent_id: UUID | None = None) -> MessagePage:
    async with svc.db.connection() as conn:
        stream = await load_stream(conn)
        if parent_id is not None:
            parent = await messages.by_id(conn, parent_id)
            if parent is None or stream.id not in (parent["channel_id"], parent["conversation_id"]):
                raise not_found("thread")
        rows = await messages.history(conn, stream.kind, stream.id, before_seq=before_seq, after_seq=after_seq,
                                      parent_id=parent_id, limit=limit + 1)
        has_more = len(rows) > limit
        if has_more:
            # Newest-first pages drop the oldest extra row; oldest-first pages drop the newest.
            rows = rows[1:] if after_seq is None else rows[:-1]
        return MessagePage(messages=await message_views(conn, rows), has_more=has_more)


async def get(svc: Services, principal: Principal, message_id: UUID) -> Message:
    async with svc.db.connection() as conn:
        row, _ = await access.message_in_stream(conn, message_id, principal)
        return await message_view(conn, row)


async def edit_history(svc: Services, principal: Principal, message_id: UUID) -> MessageEditList:
    async with svc.db.connection() as conn:
        await access.message_in_stream(conn, message_id, principal)
        rows = await messages.edits(conn, message_id)
    return MessageEditList(items=[MessageEdit.from_row(row) for row in rows])


def channel_loader(channel_id: UUID, principal: Principal) -> StreamLoader:
    async def load(conn: asyncpg.Connection) -> Stream:
        return await access.channel_member(conn, channel_id, principal)

    return load


def conversation_loader(conversation_id: UUID, principal: Principal) -> StreamLoader:
    async def load(conn: asyncpg.Connection) -> Stream:
        return await access.conversation_member(conn, conversation_id, principal)

    return load
