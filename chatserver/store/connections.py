"""Connections between people, their notifications, and messages between connected people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_NOTIFICATION = ("id, user_id, type, title, message, related_user_id, related_connection_id, is_read,"
                 " created_at")
_MESSAGE = "id, sender_id, receiver_id, message, is_read, created_at, updated_at"


def connected(a: str, b: str) -> str:
    """SQL for "the people `a` and `b` (SQL expressions of the calling query) hold an accepted
    connection": the one definition of a connections-only audience (posts, events)."""
    return ("EXISTS (SELECT 1 FROM connections k WHERE k.status = 'accepted'"
            f" AND LEAST(k.sender_id, k.receiver_id) = LEAST({a}, {b})"
            f" AND GREATEST(k.sender_id, k.receiver_id) = GREATEST({a}, {b}))")


def blocked(a: str, b: str) -> str:
    """SQL for "one of the people `a` and `b` (SQL expressions of the calling query) has blocked the
    other": the one definition of a block (sql/031's `blocked_between`, which its trigger on direct
    messages also asks), used wherever a block hides content or refuses a request."""
    return f"blocked_between({a}, {b})"


async def is_blocked(conn: asyncpg.Connection, one: UUID, other: UUID) -> bool:
    return await conn.fetchval(f"SELECT {blocked('$1::uuid', '$2::uuid')}", one, other)


@dataclass(frozen=True)
class VisibleConnection:
    """The scope of /connections: the pair's connection for both people, a block for its blocker only
    (the blocked person learns of it only when a request or message is refused)."""

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        me = p(user_id)
        return f"({alias}.sender_id = {me} OR ({alias}.receiver_id = {me} AND {alias}.status <> 'blocked'))"


async def lock_pair(conn: asyncpg.Connection, one: UUID, other: UUID) -> None:
    """Serialise what changes a pair's connections (a request, a block) until the transaction ends."""
    low, high = sorted((one, other))
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || $2::uuid::text, 31))",
                       low, high)


async def block(conn: asyncpg.Connection, blocker_id: UUID, blocked_id: UUID) -> asyncpg.Record:
    """Replace the pair's connection (if any), and the notifications about it, with the blocker's block;
    blocking again changes nothing. The caller holds the pair's lock."""
    await conn.execute(
        "WITH replaced AS (DELETE FROM connections WHERE status <> 'blocked'"
        " AND LEAST(sender_id, receiver_id) = LEAST($1::uuid, $2::uuid)"
        " AND GREATEST(sender_id, receiver_id) = GREATEST($1::uuid, $2::uuid) RETURNING id)"
        " DELETE FROM notifications WHERE related_connection_id IN (SELECT id FROM replaced)", blocker_id, blocked_id)
    return await conn.fetchrow(
        "INSERT INTO connections (sender_id, receiver_id, status) VALUES ($1, $2, 'blocked')"
        " ON CONFLICT (sender_id, receiver_id) DO UPDATE SET updated_at = connections.updated_at"
        " RETURNING id", blocker_id, blocked_id)


async def unblock(conn: asyncpg.Connection, blocker_id: UUID, blocked_id: UUID) -> None:
    await conn.execute("DELETE FROM connections WHERE sender_id = $1 AND receiver_id = $2 AND status = 'blocked'",
                       blocker_id, blocked_id)


class AlreadyConnected(Exception):
    pass


async def request(conn: asyncpg.Connection, sender_id: UUID, receiver_id: UUID, message: str | None) -> UUID:
    try:
        # A savepoint: the caller goes on to look up the existing connection after a refusal.
        async with conn.transaction():
            return await conn.fetchval(
                "INSERT INTO connections (sender_id, receiver_id, message) VALUES ($1, $2, $3) RETURNING id",
                sender_id, receiver_id, message)
    except asyncpg.UniqueViolationError:
        raise AlreadyConnected from None


async def between(conn: asyncpg.Connection, one: UUID, other: UUID) -> asyncpg.Record | None:
    """The pair's connection, whichever of them asked (not a block: see `blocked`)."""
    return await conn.fetchrow(
        "SELECT id, sender_id, receiver_id, status FROM connections"
        " WHERE status <> 'blocked' AND LEAST(sender_id, receiver_id) = LEAST($1::uuid, $2::uuid)"
        " AND GREATEST(sender_id, receiver_id) = GREATEST($1::uuid, $2::uuid)", one, other)


async def lock(conn: asyncpg.Connection, connection_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM connections WHERE id = $1 FOR UPDATE", connection_id)


async def set_status(conn: asyncpg.Connection, connection_id: UUID, status: str) -> None:
    await conn.execute("UPDATE connections SET status = $2, updated_at = now() WHERE id = $1", connection_id, status)


async def notify(conn: asyncpg.Connection, *, user_id: UUID, kind: str, title: str, message: str,
                 related_user_id: UUID, related_connection_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO notifications (user_id, type, title, message, related_user_id, related_connection_id)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_NOTIFICATION}",
        user_id, kind, title, message, related_user_id, related_connection_id)


async def read_all_notifications(conn: asyncpg.Connection, user_id: UUID) -> int:
    status = await conn.execute("UPDATE notifications SET is_read = true WHERE user_id = $1 AND NOT is_read",
                                user_id)
    return int(status.split()[-1])


async def insert_message(conn: asyncpg.Connection, sender_id: UUID, receiver_id: UUID, text: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"INSERT INTO connection_messages (sender_id, receiver_id, message) VALUES ($1, $2, $3) RETURNING {_MESSAGE}",
        sender_id, receiver_id, text)


async def messages(conn: asyncpg.Connection, user_id: UUID, *, with_user_id: UUID | None,
                   after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Messages the user sent or received (with one person, when named), newest first."""
    p = Params(user_id)
    conditions = where("$1 IN (sender_id, receiver_id)", p.when(with_user_id, "{} IN (sender_id, receiver_id)"),
                       p.after("created_at", "id", after))
    return await conn.fetch(f"SELECT {_MESSAGE} FROM connection_messages WHERE {conditions}"
                            f" ORDER BY created_at DESC, id DESC LIMIT {p(limit)}", *p.values)


async def mark_message_read(conn: asyncpg.Connection, message_id: UUID, receiver_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"UPDATE connection_messages SET is_read = true, updated_at = now() WHERE id = $1 AND receiver_id = $2"
        f" RETURNING {_MESSAGE}", message_id, receiver_id)
