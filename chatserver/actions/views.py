"""Wire views of stored rows that need more than one row: messages with their
reactions, attachments and mentions, loaded for a whole batch at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from chatserver.schemas.conversations import Conversation
from chatserver.schemas.messages import Attachment, Message, Reaction
from chatserver.store import attachments, messages


def attachment_view(row: asyncpg.Record) -> Attachment:
    return Attachment.from_row(row, url=f"/api/v1/attachments/{row['id']}")


def reactions_view(rows: Sequence[asyncpg.Record]) -> list[Reaction]:
    return [Reaction(emoji=row["emoji"], count=row["count"], user_ids=row["user_ids"]) for row in rows]


async def message_views(conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> list[Message]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    reactions: dict[UUID, list] = defaultdict(list)
    for row in await messages.reactions_of(conn, ids):
        reactions[row["message_id"]].append(row)
    files: dict[UUID, list] = defaultdict(list)
    for row in await attachments.of_messages(conn, ids):
        files[row["message_id"]].append(attachment_view(row))
    mentioned: dict[UUID, list] = defaultdict(list)
    for row in await messages.mentions_of(conn, ids):
        mentioned[row["message_id"]].append(row["user_id"])
    return [
        Message.from_row(row, reactions=reactions_view(reactions[row["id"]]), attachments=files[row["id"]],
                         mentions=mentioned[row["id"]])
        for row in rows
    ]


async def message_view(conn: asyncpg.Connection, row: asyncpg.Record) -> Message:
    return (await message_views(conn, [row]))[0]


async def new_message_view(conn: asyncpg.Connection, row: asyncpg.Record, *, mentions: list[UUID],
                           with_attachments: bool) -> Message:
    """A message just posted: no reactions yet and known mentions, so only attachments may need a query."""
    files = [attachment_view(file) for file in await attachments.of_messages(conn, [row["id"]])] \
        if with_attachments else []
    return Message.from_row(row, reactions=[], attachments=files, mentions=mentions)


def conversation_view(row: asyncpg.Record, user_id: UUID) -> Conversation:
    mine_is_a = row["user_a_id"] == user_id
    last_read = row["user_a_last_read_seq"] if mine_is_a else row["user_b_last_read_seq"]
    return Conversation(
        id=row["id"], other_user_id=row["user_b_id"] if mine_is_a else row["user_a_id"],
        last_seq=row["last_seq"], last_change_seq=row["last_change_seq"], last_read_seq=last_read,
        unread_count=max(row["last_seq"] - last_read, 0), last_message_at=row["last_message_at"],
        created_at=row["created_at"],
    )
