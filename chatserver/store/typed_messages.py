"""GrowCommunity's typed messages: settings, slot bookings, conversations and messages.

A person is shown by anonymous name unless they revealed themselves to the viewer;
the queries here compute that flag per row (`*_revealed`) and the action decides what
of the person goes on the wire.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

SETTINGS_FIELDS = frozenset({"use_custom_slots", "email_notifications", "auto_accept_from_admins"})

# The sender of message `m` as the viewer ($2) may see them.
_SENDER = """
    coalesce(sp.anonymous_name, 'Anonymous') AS sender_anonymous_name, su.id AS sender_user_id,
    su.username AS sender_username, su.display_name AS sender_display_name,
    (m.sender_id = $2 OR EXISTS (SELECT 1 FROM identity_revelations r WHERE r.revealer_id = m.sender_id
        AND r.revealed_to_id = $2 AND r.message_type_id = m.message_type_id)) AS sender_revealed
"""
_MESSAGE = f"""
    m.id, m.conversation_id, m.message_type_id, m.content, m.created_at, m.is_read, m.read_at,
    m.sender_id = $2 AS is_mine, {_SENDER}
"""
_MESSAGE_FROM = ("typed_messages m JOIN users su ON su.id = m.sender_id"
                 " LEFT JOIN user_profiles sp ON sp.user_id = m.sender_id")


async def ensure_profiles(conn: asyncpg.Connection, *user_ids: UUID) -> None:
    """Give everyone involved a profile, and so an anonymous name (accounts made outside
    registration may have none)."""
    await conn.execute("INSERT INTO user_profiles (user_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING",
                       list(user_ids))


async def message_type(conn: asyncpg.Connection, type_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, name, is_active, color_code FROM message_types WHERE id = $1", type_id)


async def lock_settings(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record:
    """The user's settings row, created with the defaults if missing, locked: bookings against
    one receiver take turns, so their slot limit holds under concurrency."""
    await conn.execute("INSERT INTO user_message_settings (user_id) VALUES ($1) ON CONFLICT DO NOTHING", user_id)
    return await conn.fetchrow("SELECT * FROM user_message_settings WHERE user_id = $1 FOR UPDATE", user_id)


async def settings_of(conn: asyncpg.Connection, user_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM user_message_settings WHERE user_id = $1", user_id)
    if row is not None:
        return dict(row)
    return {"use_custom_slots": False, "email_notifications": True, "auto_accept_from_admins": False}


async def type_settings(conn: asyncpg.Connection, user_id: UUID) -> list[asyncpg.Record]:
    """Every message type with whether the user accepts it (on unless turned off)."""
    return await conn.fetch(
        """SELECT t.id AS message_type_id, t.name, t.color_code, t.is_active,
                  coalesce(s.is_enabled, true) AS is_enabled
             FROM message_types t
             LEFT JOIN user_message_type_settings s ON s.message_type_id = t.id AND s.user_id = $1
            ORDER BY t.created_at, t.name""", user_id)


async def update_settings(conn: asyncpg.Connection, user_id: UUID, changes: dict[str, Any]) -> None:
    p = Params(user_id)
    if not (assignments := p.assignments(changes, SETTINGS_FIELDS)):
        return
    await lock_settings(conn, user_id)
    await conn.execute(f"UPDATE user_message_settings SET {assignments}, updated_at = now() WHERE user_id = $1",
                       *p.values)


async def set_type_enabled(conn: asyncpg.Connection, user_id: UUID, type_id: UUID, enabled: bool) -> None:
    await conn.execute(
        """INSERT INTO user_message_type_settings (user_id, message_type_id, is_enabled) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, message_type_id) DO UPDATE SET is_enabled = $3, updated_at = now()""",
        user_id, type_id, enabled)


async def type_enabled(conn: asyncpg.Connection, user_id: UUID, type_id: UUID) -> bool:
    enabled = await conn.fetchval(
        "SELECT is_enabled FROM user_message_type_settings WHERE user_id = $1 AND message_type_id = $2",
        user_id, type_id)
    return enabled is not False


async def custom_limit(conn: asyncpg.Connection, user_id: UUID, type_id: UUID) -> int | None:
    return await conn.fetchval(
        "SELECT slot_limit FROM custom_message_slots WHERE user_id = $1 AND message_type_id = $2 AND is_active",
        user_id, type_id)


async def held_booking(conn: asyncpg.Connection, sender_id: UUID, receiver_id: UUID, type_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM message_slot_bookings WHERE sender_id = $1 AND receiver_id = $2"
        " AND message_type_id = $3 AND expires_at > now() LIMIT 1", sender_id, receiver_id, type_id))


async def booked_slots(conn: asyncpg.Connection, receiver_id: UUID, type_id: UUID) -> tuple[int, datetime | None]:
    """(slots of this type held now, when the first of them frees up)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS held, min(expires_at) AS first_free FROM message_slot_bookings"
        " WHERE receiver_id = $1 AND message_type_id = $2 AND expires_at > now()", receiver_id, type_id)
    return row["held"], row["first_free"]


async def book_slot(conn: asyncpg.Connection, *, sender_id: UUID, receiver_id: UUID, type_id: UUID,
                    message_id: UUID, ttl_seconds: int) -> None:
    await conn.execute(
        "INSERT INTO message_slot_bookings (sender_id, receiver_id, message_type_id, message_id, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        sender_id, receiver_id, type_id, message_id, ttl_seconds)


async def conversation_for_pair(conn: asyncpg.Connection, one: UUID, other: UUID) -> UUID:
    """Find or create the pair's conversation; the pair is stored in a fixed order."""
    low, high = sorted((one, other))
    return await conn.fetchval(
        """INSERT INTO typed_conversations (user_a_id, user_b_id) VALUES ($1, $2)
           ON CONFLICT (user_a_id, user_b_id) DO UPDATE SET is_active = true RETURNING id""", low, high)


async def conversation_of(conn: asyncpg.Connection, conversation_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    """The conversation if the user takes part in it, with the other participant's id."""
    return await conn.fetchrow(
        "SELECT id, CASE WHEN user_a_id = $2 THEN user_b_id ELSE user_a_id END AS other_id FROM typed_conversations"
        " WHERE id = $1 AND $2 IN (user_a_id, user_b_id)", conversation_id, user_id)


async def insert_message(conn: asyncpg.Connection, *, conversation_id: UUID, sender_id: UUID, receiver_id: UUID,
                         type_id: UUID, content: str) -> UUID:
    message_id = await conn.fetchval(
        "INSERT INTO typed_messages (conversation_id, sender_id, receiver_id, message_type_id, content)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id", conversation_id, sender_id, receiver_id, type_id, content)
    await conn.execute("UPDATE typed_conversations SET last_message_at = now() WHERE id = $1", conversation_id)
    return message_id


async def message_for(conn: asyncpg.Connection, message_id: UUID, viewer_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow(f"SELECT {_MESSAGE} FROM {_MESSAGE_FROM} WHERE m.id = $1", message_id, viewer_id)


async def messages(conn: asyncpg.Connection, conversation_id: UUID, viewer_id: UUID, *,
                   after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params(conversation_id, viewer_id)
    conditions = where("m.conversation_id = $1", p.after("m.created_at", "m.id", after))
    return await conn.fetch(f"SELECT {_MESSAGE} FROM {_MESSAGE_FROM} WHERE {conditions}"
                            f" ORDER BY m.created_at DESC, m.id DESC LIMIT {p(limit)}", *p.values)


async def conversations(conn: asyncpg.Connection, user_id: UUID, *, after: tuple[datetime, UUID] | None,
                        limit: int, conversation_id: UUID | None = None) -> list[asyncpg.Record]:
    """The user's conversations, the other participant as the user may see them, unread counts.
    Ordered by creation (a stable cursor); `last_message_at` tells what is recent."""
    p = Params(user_id)
    conditions = where("$1 IN (c.user_a_id, c.user_b_id)", p.when(conversation_id, "c.id = {}"),
                       p.after("c.created_at", "c.id", after))
    return await conn.fetch(
        f"""SELECT c.id, c.is_active, c.last_message_at, c.created_at,
                   coalesce(op.anonymous_name, 'Anonymous') AS other_anonymous_name, ou.id AS other_user_id,
                   ou.username AS other_username, ou.display_name AS other_display_name,
                   EXISTS (SELECT 1 FROM identity_revelations r WHERE r.revealer_id = ou.id
                           AND r.revealed_to_id = $1) AS other_revealed,
                   (SELECT count(*) FROM typed_messages m WHERE m.conversation_id = c.id
                           AND m.receiver_id = $1 AND NOT m.is_read) AS unread_count
              FROM typed_conversations c
              JOIN users ou ON ou.id = CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END
              LEFT JOIN user_profiles op ON op.user_id = ou.id
             WHERE {conditions}
             ORDER BY c.created_at DESC, c.id DESC LIMIT {p(limit)}""", *p.values)


async def mark_read(conn: asyncpg.Connection, conversation_id: UUID, user_id: UUID) -> int:
    status = await conn.execute(
        "UPDATE typed_messages SET is_read = true, read_at = now()"
        " WHERE conversation_id = $1 AND receiver_id = $2 AND NOT is_read", conversation_id, user_id)
    return int(status.split()[-1])
