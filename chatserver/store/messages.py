"""Messages of channels and direct conversations: posting, changes, history and sync."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

COLUMNS = "m.id, m.channel_id, m.conversation_id, m.seq, m.change_seq, m.user_id, m.content, m.type, " \
          "m.parent_id, m.thread_reply_count, m.thread_last_reply_at, m.version, m.is_edited, m.edited_at, " \
          "m.is_deleted, m.deleted_at, m.is_pinned, m.pinned_at, m.created_at, m.updated_at, m.nonce"

# Which column holds a stream's id; the only identifiers ever put into this module's SQL.
STREAM_COLUMN = {"channel": "channel_id", "conversation": "conversation_id"}


def stream_ids(kind: str, stream_id: UUID) -> dict[str, UUID | None]:
    """The channel_id / conversation_id arguments of `post` for a stream."""
    return {column: stream_id if stream_kind == kind else None for stream_kind, column in STREAM_COLUMN.items()}


def stream_of(message: asyncpg.Record) -> tuple[str, UUID]:
    """(kind, id) of the stream a message row belongs to."""
    return next((kind, message[column]) for kind, column in STREAM_COLUMN.items() if message[column] is not None)


class DuplicateNonce(Exception):
    pass


class Blocked(Exception):
    """A direct message between two people one of whom blocked the other (sql/031's trigger)."""


def _refused_by_block(exc: asyncpg.CheckViolationError) -> bool:
    return exc.constraint_name == "direct_messages_not_blocked"


async def post(conn: asyncpg.Connection, *, channel_id: UUID | None, conversation_id: UUID | None,
               user_id: UUID, content: str, type: str, parent_id: UUID | None, nonce: str,
               mentions: Sequence[UUID], attachment_ids: Sequence[UUID]) -> asyncpg.Record:
    try:
        return await conn.fetchrow(
            f"SELECT {COLUMNS} FROM chat_post_message($1, $2, $3, $4, $5, $6, $7, $8, $9) AS m",
            channel_id, conversation_id, user_id, content, type, parent_id, nonce, list(mentions),
            list(attachment_ids),
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "messages_user_id_nonce_key":
            raise DuplicateNonce from None
        raise
    except asyncpg.CheckViolationError as exc:
        if _refused_by_block(exc):
            raise Blocked from None
        raise


async def post_many(conn: asyncpg.Connection, *, posts: Sequence,
                    mention_names: Sequence[Sequence[str]]) -> list[tuple[int, bool, list[UUID], asyncpg.Record]]:
    """Post plain messages (each with channel_id or conversation_id, user_id, content, type, nonce) to
    any streams in one statement, each stream's numbered in the order given. Returns (index in
    `posts`, is new, mentioned user ids, message) for each one taken, each stream's in seq order: a
    retried nonce is not new; a sender who may not post to the stream, or a direct conversation with
    a block between its two people, is left out."""
    mention_index = [i + 1 for i, names in enumerate(mention_names) for _ in names]
    mention_name = [name for names in mention_names for name in names]
    streams = {(post.channel_id, post.conversation_id) for post in posts}
    if len(streams) == 1:  # one stream (a channel's burst, a lone DM): its function, without the sorting out
        function, where = "chat_post_messages", list(streams.pop())
    else:
        function, where = ("chat_post_messages_across",
                           [[post.channel_id for post in posts], [post.conversation_id for post in posts]])
    try:
        rows = await conn.fetch(
            f"""SELECT b.ordinal, b.is_new, b.mentioned, {COLUMNS}
                FROM {function}($1, $2, $3, $4, $5, $6, $7, $8) AS b
                CROSS JOIN LATERAL (SELECT (b.message).*) AS m""",
            *where, [post.user_id for post in posts], [post.content for post in posts], [post.type for post in posts],
            [post.nonce for post in posts], mention_index, mention_name,
        )
    except asyncpg.CheckViolationError as exc:
        if _refused_by_block(exc):  # a block that came between the function's check and the insert
            raise Blocked from None
        raise
    return [(row["ordinal"] - 1, row["is_new"], list(row["mentioned"]), row) for row in rows]


async def by_nonce(conn: asyncpg.Connection, user_id: UUID, nonce: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM messages m WHERE m.user_id = $1 AND m.nonce = $2",
                               user_id, nonce)


async def by_id(conn: asyncpg.Connection, message_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM messages m WHERE m.id = $1{lock}", message_id)


async def next_change_seq(conn: asyncpg.Connection, message: asyncpg.Record) -> int:
    return await conn.fetchval("SELECT chat_next_change_seq($1, $2)", message["channel_id"],
                               message["conversation_id"])


async def edit(conn: asyncpg.Connection, message: asyncpg.Record, content: str, editor: UUID) -> asyncpg.Record:
    """Keep the old content as history, then replace it. The caller has locked the row and checked the version."""
    change_seq = await next_change_seq(conn, message)
    await conn.execute(
        "INSERT INTO message_edits (message_id, version, content, edited_by) VALUES ($1, $2, $3, $4)",
        message["id"], message["version"], message["content"], editor,
    )
    return await conn.fetchrow(
        f"""UPDATE messages m SET content = $2, version = version + 1, is_edited = true, edited_at = now(),
                                  updated_at = now(), change_seq = $3
            WHERE m.id = $1 RETURNING {COLUMNS}""",
        message["id"], content, change_seq,
    )


async def soft_delete(conn: asyncpg.Connection, message: asyncpg.Record) -> tuple[asyncpg.Record, list[str]]:
    """Content goes, the seq stays; reactions, mentions and attachments go too.

    Returns the message and the storage keys of its files, to be removed once this commits.
    """
    change_seq = await next_change_seq(conn, message)
    await conn.execute("DELETE FROM message_reactions WHERE message_id = $1", message["id"])
    await conn.execute("DELETE FROM message_mentions WHERE message_id = $1", message["id"])
    files = await conn.fetch("DELETE FROM attachments WHERE message_id = $1 RETURNING storage_key", message["id"])
    row = await conn.fetchrow(
        f"""UPDATE messages m SET content = '', is_deleted = true, deleted_at = now(), is_pinned = false,
                                  pinned_at = NULL, version = version + 1, updated_at = now(), change_seq = $2
            WHERE m.id = $1 RETURNING {COLUMNS}""",
        message["id"], change_seq,
    )
    return row, [file["storage_key"] for file in files]


async def set_pinned(conn: asyncpg.Connection, message: asyncpg.Record, pinned: bool, by: UUID) -> asyncpg.Record:
    change_seq = await next_change_seq(conn, message)
    return await conn.fetchrow(
        f"""UPDATE messages m SET is_pinned = $2, pinned_at = CASE WHEN $2 THEN now() END,
                                  pinned_by = CASE WHEN $2 THEN $3::uuid END, version = version + 1,
                                  updated_at = now(), change_seq = $4
            WHERE m.id = $1 RETURNING {COLUMNS}""",
        message["id"], pinned, by, change_seq,
    )


async def touch_change(conn: asyncpg.Connection, message: asyncpg.Record) -> asyncpg.Record:
    """Give the message the stream's next changeSeq (its reactions changed)."""
    change_seq = await next_change_seq(conn, message)
    return await conn.fetchrow(
        f"UPDATE messages m SET change_seq = $2 WHERE m.id = $1 RETURNING {COLUMNS}", message["id"], change_seq,
    )


async def history(conn: asyncpg.Connection, kind: str, stream_id: UUID, *, before_seq: int | None,
                  after_seq: int | None, parent_id: UUID | None, limit: int) -> list[asyncpg.Record]:
    """Up to `limit` messages in ascending seq: the newest before `before_seq`, or the oldest after `after_seq`.

    With `parent_id`, a thread: the root's replies. Without, the stream's top-level messages and replies alike.
    """
    column = STREAM_COLUMN[kind]
    newest_first = after_seq is None
    p = Params(stream_id)
    conditions = where(f"m.{column} = $1", p.when(before_seq, "m.seq < {}"), p.when(after_seq, "m.seq > {}"),
                       p.when(parent_id, "m.parent_id = {}"))
    rows = await conn.fetch(
        f"""SELECT {COLUMNS} FROM messages m WHERE {conditions}
            ORDER BY m.seq {'DESC' if newest_first else 'ASC'} LIMIT {p(limit)}""",
        *p.values,
    )
    return list(reversed(rows)) if newest_first else list(rows)


async def changed_since(conn: asyncpg.Connection, kind: str, stream_id: UUID, after_change_seq: int,
                        limit: int) -> list[asyncpg.Record]:
    column = STREAM_COLUMN[kind]
    return await conn.fetch(
        f"""SELECT {COLUMNS} FROM messages m WHERE m.{column} = $1 AND m.change_seq > $2
            ORDER BY m.change_seq LIMIT $3""",
        stream_id, after_change_seq, limit,
    )


async def stream_positions(conn: asyncpg.Connection, channel_ids: Sequence[UUID],
                           conversation_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """(kind, id, last_seq, last_change_seq) of each named channel and direct conversation that exists."""
    return await conn.fetch(
        """SELECT 'channel' AS kind, id, last_seq, last_change_seq FROM channels WHERE id = ANY($1::uuid[])
           UNION ALL
           SELECT 'conversation', id, last_seq, last_change_seq FROM direct_conversations
            WHERE id = ANY($2::uuid[])""",
        list(channel_ids), list(conversation_ids),
    )


async def pinned(conn: asyncpg.Connection, channel_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM messages m WHERE m.channel_id = $1 AND m.is_pinned ORDER BY m.pinned_at DESC",
        channel_id,
    )


async def edits(conn: asyncpg.Connection, message_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT version, content, edited_by, edited_at FROM message_edits WHERE message_id = $1 ORDER BY version",
        message_id,
    )


async def reactions_of(conn: asyncpg.Connection, message_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT message_id, emoji, count(*) AS count, array_agg(user_id ORDER BY created_at, user_id) AS user_ids
           FROM message_reactions WHERE message_id = ANY($1::uuid[])
           GROUP BY message_id, emoji ORDER BY message_id, min(created_at), emoji""",
        list(message_ids),
    )


async def mentions_of(conn: asyncpg.Connection, message_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT message_id, user_id FROM message_mentions WHERE message_id = ANY($1::uuid[])", list(message_ids),
    )


async def add_reaction(conn: asyncpg.Connection, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    status = await conn.execute(
        """INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
           ON CONFLICT (message_id, user_id, emoji) DO NOTHING""",
        message_id, user_id, emoji,
    )
    return status == "INSERT 0 1"


async def remove_reaction(conn: asyncpg.Connection, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    status = await conn.execute(
        "DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
        message_id, user_id, emoji,
    )
    return status == "DELETE 1"


async def search(conn: asyncpg.Connection, user_id: UUID, query: str, *, workspace_id: UUID | None,
                 channel_id: UUID | None, before: tuple | None, limit: int) -> list[asyncpg.Record]:
    """Full-text search over what the user may read: channels they are in, and their direct conversations
    (those only when the search is not narrowed to a workspace or a channel)."""
    p = Params(user_id, query)
    channels = where("cm.user_id = $1", p.when(workspace_id, "c.workspace_id = {}"), p.when(channel_id, "c.id = {}"))
    streams = ("m.channel_id IN (SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id"
               f" WHERE {channels})")
    if workspace_id is None and channel_id is None:
        streams += " OR m.conversation_id IN (SELECT id FROM direct_conversations WHERE user_a_id = $1 OR user_b_id = $1)"
    conditions = where("m.search @@ q AND NOT m.is_deleted", f"({streams})", p.after("m.created_at", "m.id", before))
    return await conn.fetch(
        f"""SELECT {COLUMNS}, ts_rank(m.search, q) AS rank
            FROM messages m, websearch_to_tsquery('simple', $2) q
            WHERE {conditions}
            ORDER BY m.created_at DESC, m.id DESC LIMIT {p(limit)}""",
        *p.values,
    )


async def mentionable(conn: asyncpg.Connection, channel_id: UUID, usernames: Sequence[str]) -> list[UUID]:
    """The channel members among `usernames` (lower-cased)."""
    rows = await conn.fetch(
        """SELECT u.id FROM users u JOIN channel_members m ON m.user_id = u.id AND m.channel_id = $1
           WHERE lower(u.username) = ANY($2::text[])""",
        channel_id, list(usernames),
    )
    return [row["id"] for row in rows]
