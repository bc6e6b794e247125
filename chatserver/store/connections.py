"""Connections between people, their notifications, and messages between connected people."""

from __future__ import annotations

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
    """The pair's connection, whichever of them asked."""
    return await conn.fetchrow(
        "SELECT id, sender_id, receiver_id, status FROM connections"
        " WHERE LEAST(sender_id, receiver_id) = LEAST($1::uuid, $2::uuid)"
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
