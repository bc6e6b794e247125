"""SmileFactory typed profiles: the owner chooses a type and fills its fields, names the profile,
picks who sees it and activates it; others see it only when it is active and meant for them
(`store.profiles.VISIBLE_PROFILE`, the one place that decides it).

Changing type: allowed while the profile is a draft, and it drops the old type's fields (the
database keeps one typed row per user, of the user's type). An active profile keeps its type:
`conflict` with `reason: profile_active` (take it back to draft first).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import conflict, not_found
from chatserver.schemas.base import InputModel
from chatserver.schemas.pagination import by_columns, fetch_page
from chatserver.schemas.profiles import ProfileOut, ProfilePage, ProfileQuery, ProfileUpdateIn
from chatserver.store import profiles as store

# Wire fields that hold amounts, stored as numeric.
_AMOUNTS = {"funding_amount_needed", "ticket_size_min", "ticket_size_max"}


def _render(row: asyncpg.Record, principal: Principal) -> ProfileOut:
    return ProfileOut.render(row, store.details(row), viewer_id=principal.user_id)


async def _mine(conn: asyncpg.Connection, principal: Principal) -> ProfileOut:
    return _render(await store.profile(conn, principal.user_id, principal.user_id), principal)


async def get_mine(svc: Services, principal: Principal) -> ProfileOut:
    async with svc.db.connection() as conn:
        row = await store.profile(conn, principal.user_id, principal.user_id)
    if row is None:  # an account without a profile row yet
        async with svc.db.transaction("create_profile") as conn:
            await store.ensure(conn, principal.user_id)
            return await _mine(conn, principal)
    return _render(row, principal)


async def save_details(svc: Services, principal: Principal, profile_type: str, body: InputModel) -> ProfileOut:
    """Choose `profile_type` (or keep it) and replace its fields with the body's."""
    values: dict[str, Any] = body.model_dump()
    for name in _AMOUNTS & values.keys():
        if values[name] is not None:
            values[name] = Decimal(values[name])
    async with svc.db.transaction("save_profile") as conn:
        await store.ensure(conn, principal.user_id)
        current = await store.lock(conn, principal.user_id)
        if current["profile_type"] != profile_type:
            if current["profile_state"] == "active":
                raise conflict("an active profile keeps its type: take it back to draft first",
                               reason="profile_active")
            await store.change_type(conn, principal.user_id, current["profile_type"], profile_type)
        await store.save_details(conn, principal.user_id, profile_type, values)
        return await _mine(conn, principal)


async def update_mine(svc: Services, principal: Principal, body: ProfileUpdateIn) -> ProfileOut:
    changes = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_profile") as conn:
        await store.ensure(conn, principal.user_id)
        current = await store.lock(conn, principal.user_id)
        if changes.get("profile_state") == "active" and current["profile_type"] is None:
            raise conflict("choose a profile type before activating the profile", reason="no_profile_type")
        await store.update(conn, principal.user_id, changes)
        return await _mine(conn, principal)


async def get(svc: Services, principal: Principal, user_id: UUID) -> ProfileOut:
    async with svc.db.connection() as conn:
        row = await store.profile(conn, principal.user_id, user_id)
    if row is None:
        raise not_found("profile")
    return _render(row, principal)


async def list_profiles(svc: Services, principal: Principal, query: ProfileQuery) -> ProfilePage:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page(
            conn, principal.user_id, profile_type=query.type, text=query.q, after=after, limit=limit),
            by_columns("created_at", "user_id"))
    return ProfilePage.of(window, lambda row: _render(row, principal))
