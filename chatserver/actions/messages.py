"""Sending, editing, deleting, pinning and reacting to messages, in channels and
direct conversations alike, and reading them back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from uuid import UUID

import asyncpg

from chatserver import metrics
from chatserver.actions import access, typing
from chatserver.actions.access import Stream, StreamRef
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import message_view, message_views, new_message_view, reactions_view
from chatserver.errors import (
    conflict,
    forbidden,
    invalid,
    not_found,
    payload_too_large,
    version_conflict,
)
from chatserver.schemas.events import (
    MESSAGE_DELETED,
    MESSAGE_UPDATED,
    NEW_MESSAGE,
    REACTION_UPDATED,
    MessageDeletedEvent,
    ReactionUpdatedEvent,
)
from chatserver.schemas.messages import (
    DeletedOut,
    HistoryQuery,
    Message,
    MessageEdit,
    MessageEditList,
    MessageOut,
    MessagePage,
    PostIn,
    ReactionsOut,
)
from chatserver.store import attachments, messages

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{3,32})")
BLOCKED_DM = "direct messages refused: one of you has blocked the other"


def _check_content(svc: Services, content: str, attachment_ids: list[UUID]) -> None:
    if len(content) > svc.settings.max_message_chars:
        raise payload_too_large(f"content is longer than {svc.settings.max_message_chars} characters",
                                limit=svc.settings.max_message_chars)
    if not content.strip() and not attachment_ids:
        raise invalid({"content": "a message needs content or an attachment"})


def deleted_payload(row: asyncpg.Record) -> MessageDeletedEvent:
    """The `message:deleted` payload for a deleted message's row."""
    return MessageDeletedEvent.from_row(row, message_id=row["id"])


@dataclass(frozen=True, slots=True)
class _Post:
    ref: StreamRef
    user_id: UUID
    content: str
    type: str
    nonce: str

    @property
    def channel_id(self) -> UUID | None:
        return self.ref.id if self.ref.kind == "channel" else None

    @property
    def conversation_id(self) -> UUID | None:
        return self.ref.id if self.ref.kind == "conversation" else None


async def send(svc: Services, principal: Principal, ref: StreamRef, post: PostIn) -> MessageOut:
    """Post a message; a retry with the same nonce returns the first one and broadcasts nothing.

    A plain message is written in a group commit with whatever else arrives meanwhile for the
    streams of its lane; a thread reply or a message with attachments, or one the batch did not
    take (the sender may not post here, a block), goes on its own."""
    await svc.limit("send", principal.user_id, svc.settings.rate_send)
    _check_content(svc, post.content, post.attachment_ids)
    posted = None
    if post.parent_id is None and not post.attachment_ids:
        # A stream always goes to the same lane (settings.post_lanes), so its posts are written in
        # the order they arrive; streams that share a lane are written together.
        lane = ("post", hash(ref.id) % svc.settings.post_lanes)
        posted = await svc.writes.submit(lane, _Post(ref, principal.user_id, post.content, post.type, post.nonce),
                                         partial(_post_together, svc))
    if posted is None:
        posted = await _post_alone(svc, principal, ref, post)
    out, is_new = posted
    if is_new:
        await typing.stopped_by_sending(svc, ref.room, principal.user_id)
    return out


Posted = tuple[MessageOut, bool]  # the message (as broadcast), and whether it is new (not the first of a retry)


async def _post_together(svc: Services, posts: list[_Post]) -> list[Posted | None]:
    """Write a batch of plain messages to any streams in one statement; None for each one it refused.

    If the statement fails (a block that came meanwhile, or anything else PostgreSQL refuses), nothing
    of it is stored, and each message is answered on its own, so one bad message fails no other."""
    metrics.GROUP_COMMITS.labels("post_messages").observe(len(posts))
    names = [sorted({name.lower().rstrip(".") for name in MENTION.findall(post.content)})
             if post.ref.kind == "channel" else [] for post in posts]
    try:
        async with svc.db.transaction("post_messages", one_statement=True) as conn:
            rows = await messages.post_many(conn, posts=posts, mention_names=names)
            results: list[Posted | None] = [None] * len(posts)
            for ordinal, is_new, mentioned, row in rows:  # each stream's in seq order, as their events go out
                ref = posts[ordinal].ref
                if is_new:
                    out = MessageOut(message=Message.from_row(row, reactions=[], attachments=[], mentions=mentioned))
                    svc.publish_after_commit(ref.change(NEW_MESSAGE[ref.kind], out, row, new=True))
                    results[ordinal] = (out, True)
                else:  # a retry: the first message is the answer, and nothing new is broadcast
                    results[ordinal] = (MessageOut(message=await message_view(conn, row)), False)
    except (messages.Blocked, asyncpg.PostgresError):
        return [None] * len(posts)
    return results


async def _post_alone(svc: Services, principal: Principal, ref: StreamRef, post: PostIn) -> Posted:
    parent_id, attachment_ids, nonce = post.parent_id, post.attachment_ids, post.nonce
    try:
        async with svc.db.transaction("post_message") as conn:
            stream = await access.stream_member(conn, ref, principal)
            stream.require_writable()
            if parent_id is not None:
                await _check_thread_root(conn, stream, parent_id)
            if attachment_ids:
                usable = await attachments.unattached_of(conn, principal.user_id, attachment_ids)
                if len(set(usable)) != len(set(attachment_ids)):
                    if await messages.by_nonce(conn, principal.user_id, nonce) is not None:
                        raise messages.DuplicateNonce  # a retry: its attachments are already in the first
                    raise invalid({"attachmentIds": "unknown, not yours, or already used"})
            mentions = await _mentions(conn, stream, post.content)
            row = await messages.post(conn, **ref.ids(), user_id=principal.user_id, content=post.content, type=post.type,
                                      parent_id=parent_id, nonce=nonce, mentions=mentions,
                                      attachment_ids=attachment_ids)
            out = MessageOut(message=await new_message_view(conn, row, mentions=mentions,
                                                            with_attachments=bool(attachment_ids)))
            svc.publish_after_commit(ref.change(NEW_MESSAGE[ref.kind], out, row, new=True))
            if parent_id is not None:  # its reply count changed, and it took the changeSeq after the reply's
                root_row = await messages.by_id(conn, parent_id)
                root = MessageOut(message=await message_view(conn, root_row))
                svc.publish_after_commit(ref.change(MESSAGE_UPDATED, root, root_row))
    except messages.Blocked:
        raise forbidden(BLOCKED_DM) from None
    except messages.DuplicateNonce:
        # A retry: the unique (sender, nonce) refused it and the rollback took back its counters.
        async with svc.db.connection() as conn:
            return MessageOut(message=await message_view(conn, await messages.by_nonce(conn, principal.user_id,
                                                                                         nonce))), False
    return out, True


async def _check_thread_root(conn: asyncpg.Connection, stream: Stream, parent_id: UUID) -> None:
    parent = await messages.by_id(conn, parent_id)
    if parent is None or StreamRef.of_message(parent) != stream.ref or parent["is_deleted"]:
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
            raise version_conflict("the message changed since that version", current=current.wire())
        edited = await messages.edit(conn, row, content, principal.user_id)
        message = await message_view(conn, edited)
        svc.publish_after_commit(stream.change(MESSAGE_UPDATED, MessageOut(message=message), edited))
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
            raise version_conflict("the message changed since that version",
                                   current=(await message_view(conn, row)).wire())
        deleted, files = await messages.soft_delete(conn, row)
        svc.publish_after_commit(stream.change(MESSAGE_DELETED, deleted_payload(deleted), deleted))
    for storage_key in files:
        await svc.files.delete(storage_key)
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
        changed = await messages.set_pinned(conn, row, pinned, principal.user_id)
        message = await message_view(conn, changed)
        svc.publish_after_commit(stream.change(MESSAGE_UPDATED, MessageOut(message=message), changed))
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
        if changed:
            updated = ReactionUpdatedEvent.from_row(row, message_id=message_id, reactions=reactions)
            svc.publish_after_commit(stream.change(REACTION_UPDATED, updated, row))
    return ReactionsOut(message_id=message_id, reactions=reactions)


async def history(svc: Services, principal: Principal, ref: StreamRef, query: HistoryQuery) -> MessagePage:
    parent_id, limit = query.parent_id, query.limit
    async with svc.db.connection() as conn:
        stream = await access.stream_member(conn, ref, principal)
        if parent_id is not None:
            parent = await messages.by_id(conn, parent_id)
            if parent is None or StreamRef.of_message(parent) != stream.ref:
                raise not_found("thread")
        rows = await messages.history(conn, stream.kind, stream.id, before_seq=query.before_seq,
                                      after_seq=query.after_seq, parent_id=parent_id, limit=limit + 1)
        has_more = len(rows) > limit
        if has_more:
            # Newest-first pages drop the oldest extra row; oldest-first pages drop the newest.
            rows = rows[1:] if query.after_seq is None else rows[:-1]
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
