"""Users and their profiles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params

# The user with the profile columns the wire shapes show.
_USER_COLUMNS = """
    u.id, u.email, u.username, u.display_name, u.avatar_url, u.role, u.locale,
    u.email_verified, u.is_active, u.is_banned, u.password_hash, u.created_at, u.last_login_at,
    p.bio, p.headline, p.first_name, p.last_name, p.company, p.location
"""
_FROM = "users u LEFT JOIN user_profiles p ON p.user_id = u.id"

USER_FIELDS = {"display_name", "avatar_url", "locale"}
PROFILE_FIELDS = {"bio", "headline", "first_name", "last_name", "company", "location"}


class UsernameTaken(Exception):
    pass


class EmailTaken(Exception):
    pass


async def create(conn: asyncpg.Connection, *, email: str, username: str, password_hash: str,
                 display_name: str | None) -> asyncpg.Record:
    try:
        user_id = await conn.fetchval(
            """INSERT INTO users (email, username, password_hash, display_name)
               VALUES ($1, $2, $3, $4) RETURNING id""",
            email, username, password_hash, display_name,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "users_username_key":
            raise UsernameTaken from None
        raise EmailTaken from None
    await conn.execute("INSERT INTO user_profiles (user_id) VALUES ($1)", user_id)
    return await by_id(conn, user_id)


async def by_id(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM {_FROM} WHERE u.id = $1", user_id)


async def by_login(conn: asyncpg.Connection, login: str) -> asyncpg.Record | None:
    """By email when `login` has an @, else by username; both case-insensitive."""
    column = "lower(u.email)" if "@" in login else "lower(u.username)"
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM {_FROM} WHERE {column} = lower($1)", login)


async def by_email(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM {_FROM} WHERE lower(u.email) = lower($1)", email)


async def update(conn: asyncpg.Connection, user_id: UUID, changes: dict[str, Any]) -> asyncpg.Record | None:
    """Apply `changes` (snake_case field -> value) to the user and the profile."""
    for table, key, allowed in (("users", "id", USER_FIELDS), ("user_profiles", "user_id", PROFILE_FIELDS)):
        p = Params(user_id)
        if assignments := p.assignments(changes, allowed):
            await conn.execute(f"UPDATE {table} SET {assignments}, updated_at = now() WHERE {key} = $1", *p.values)
    return await by_id(conn, user_id)


async def set_password(conn: asyncpg.Connection, user_id: UUID, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
                       user_id, password_hash)


async def touch_login(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute("UPDATE users SET last_login_at = now() WHERE id = $1", user_id)


async def set_role(conn: asyncpg.Connection, login: str, role: str) -> tuple[asyncpg.Record, str] | None:
    """(the user, their role before) after giving the user with this username or email `role`."""
    before = await conn.fetchrow("SELECT id, username, role FROM users WHERE lower(username) = lower($1) "
                                 "OR lower(email) = lower($1) FOR UPDATE", login)
    if before is None:
        return None
    await conn.execute("UPDATE users SET role = $2, updated_at = now() WHERE id = $1", before["id"], role)
    return before, before["role"]
