"""SmileFactory typed profiles (033): the profile part of `user_profiles` (type, name, state,
visibility, completion) and one table per profile type.

Each type is declared once, in PROFILE_TYPES: its table and its fields, every one of which counts
toward the completion percentage. The percentage is computed in SQL from the stored row
(`ProfileType.completion`), returned with every read and kept in `user_profiles.profile_completion` by
every write of the details.

Every read of someone's profile takes the viewer as `$1` and is limited by VISIBLE_PROFILE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store import embeddings
from chatserver.store.connections import blocked, connected
from chatserver.store.params import Params, where

# How a field counts as filled.
TEXT = "text"    # not null and not blank
LIST = "list"    # at least one item
VALUE = "value"  # not null


@dataclass(frozen=True)
class ProfileType:
    table: str
    fields: Mapping[str, str]  # column -> how it counts as filled; each one counts toward completion

    @property
    def alias(self) -> str:
        return "t_" + self.table.removesuffix("_profiles")

    def filled(self, column: str) -> str:
        value = f"{self.alias}.{column}"
        kind = self.fields[column]
        if kind == TEXT:
            return f"coalesce(btrim({value}) <> '', false)"
        if kind == LIST:
            return f"coalesce(cardinality({value}) > 0, false)"
        return f"({value} IS NOT NULL)"

    def completion(self) -> str:
        """Whole percent of the fields filled, rounded down: 100 only when every one is."""
        filled = " + ".join(f"{self.filled(column)}::int" for column in self.fields)
        return f"(100 * ({filled}) / {len(self.fields)})"

    def missing(self) -> str:
        """The columns not filled yet, in declaration order."""
        items = ", ".join(f"CASE WHEN {self.filled(column)} THEN NULL ELSE '{column}' END" for column in self.fields)
        return f"array_remove(ARRAY[{items}]::text[], NULL)"

    def searchable(self) -> str:
        """The type's words (its text and list fields) as one text."""
        parts = [f"array_to_string({self.alias}.{column}, ' ')" if kind == LIST else f"{self.alias}.{column}"
                 for column, kind in self.fields.items() if kind != VALUE]
        return f"concat_ws(' ', {', '.join(parts)})"


# The seed's three typed tables, all their columns but the key and the times.
PROFILE_TYPES: dict[str, ProfileType] = {
    "innovator": ProfileType("innovator_profiles", {
        "industry_focus": TEXT, "innovation_stage": TEXT, "startup_name": TEXT, "startup_description": TEXT,
        "funding_amount_needed": VALUE, "team_size": VALUE, "business_model": TEXT, "target_market": TEXT,
        "competitive_advantage": TEXT,
    }),
    "business_investor": ProfileType("business_investor_profiles", {
        "investment_focus": LIST, "investment_stage_preference": LIST, "ticket_size_min": VALUE,
        "ticket_size_max": VALUE, "geographic_focus": LIST, "portfolio_companies": LIST,
        "investment_criteria": TEXT, "due_diligence_process": TEXT,
    }),
    "mentor": ProfileType("mentor_profiles", {
        "expertise_areas": LIST, "mentoring_experience_years": VALUE, "mentoring_approach": TEXT,
        "availability_hours_per_month": VALUE, "preferred_communication_methods": LIST, "success_stories": TEXT,
        "mentoring_philosophy": TEXT,
    }),
}

# Who may see a profile ($1 the viewer): its owner always; others an active profile of an active
# account, if it is public, or `connections` and they are accepted connections, and no block stands
# between the two either way.
VISIBLE_PROFILE = f"""(p.user_id = $1
    OR (p.profile_state = 'active' AND u.is_active AND NOT {blocked('$1::uuid', 'p.user_id')}
        AND (p.profile_visibility = 'public'
             OR (p.profile_visibility = 'connections' AND {connected('$1::uuid', 'p.user_id')}))))"""

ENVELOPE_FIELDS = frozenset({"profile_name", "profile_visibility", "profile_state"})


def _by_type(part: str, otherwise: str) -> str:
    cases = " ".join(f"WHEN '{name}' THEN {getattr(kind, part)()}" for name, kind in PROFILE_TYPES.items())
    return f"CASE p.profile_type {cases} ELSE {otherwise} END"


_DETAIL_COLUMNS = ", ".join(f"{kind.alias}.{column} AS {name}__{column}"
                            for name, kind in PROFILE_TYPES.items() for column in kind.fields)
_JOINS = " ".join(f"LEFT JOIN {kind.table} {kind.alias} ON {kind.alias}.user_id = p.user_id"
                  for kind in PROFILE_TYPES.values())
_SELECT = f"""SELECT p.user_id, u.username, u.display_name, u.avatar_url, p.first_name, p.last_name, p.bio,
                     p.profile_name, p.profile_type, p.profile_state, p.profile_visibility, p.created_at,
                     greatest(p.updated_at, {', '.join(f'{k.alias}.updated_at' for k in PROFILE_TYPES.values())})
                         AS updated_at,
                     {_by_type('completion', '0')} AS profile_completion,
                     {_by_type('missing', "'{}'::text[]")} AS missing_fields,
                     {_DETAIL_COLUMNS}
                FROM user_profiles p JOIN users u ON u.id = p.user_id {_JOINS}"""


def details(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The typed fields of a profile row, by column; None while no type is chosen."""
    name = row["profile_type"]
    if name is None:
        return None
    return {column: row[f"{name}__{column}"] for column in PROFILE_TYPES[name].fields}


async def ensure(conn: asyncpg.Connection, user_id: UUID) -> None:
    """The user's profile row (accounts made outside registration may lack one)."""
    await conn.execute("INSERT INTO user_profiles (user_id) VALUES ($1) ON CONFLICT DO NOTHING", user_id)


async def lock(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record:
    """The profile's type and state, locked until the transaction ends."""
    return await conn.fetchrow("SELECT profile_type, profile_state FROM user_profiles WHERE user_id = $1 FOR UPDATE",
                               user_id)


async def profile(conn: asyncpg.Connection, viewer_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    """The profile if the viewer may see it."""
    return await conn.fetchrow(f"{_SELECT} WHERE p.user_id = $2 AND {VISIBLE_PROFILE}", viewer_id, user_id)


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_SEARCHED = ("concat_ws(' ', u.username, u.display_name, p.first_name, p.last_name, p.profile_name, p.bio, "
             + _by_type("searchable", "''") + ")")


async def page(conn: asyncpg.Connection, viewer_id: UUID, *, profile_type: str | None, text: str | None,
               after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Profiles the viewer may see that have a type, newest account first; `text` is looked for, in any
    case, in the names, the bio and the typed fields."""
    p = Params(viewer_id)
    conditions = where(VISIBLE_PROFILE, "p.profile_type IS NOT NULL", p.when(profile_type, "p.profile_type = {}"),
                       p.when(None if text is None else _pattern(text), f"{_SEARCHED} ILIKE {{}}"),
                       p.after("p.created_at", "p.user_id", after))
    return await conn.fetch(f"{_SELECT} WHERE {conditions} ORDER BY p.created_at DESC, p.user_id DESC"
                            f" LIMIT {p(limit)}", *p.values)


async def embedding_texts(conn: asyncpg.Connection, user_ids: list[UUID]) -> list[asyncpg.Record]:
    """(id, text): what each of these profiles says, its type and the searched words, for its embedding (038)."""
    return await conn.fetch(
        f"SELECT p.user_id AS id, concat_ws(' ', p.profile_type, {_SEARCHED}) AS text"
        f" FROM user_profiles p JOIN users u ON u.id = p.user_id {_JOINS} WHERE p.user_id = ANY($1::uuid[])", user_ids)


async def similar(conn: asyncpg.Connection, viewer_id: UUID, user_id: UUID, vector: str, model: str, *,
                  limit: int) -> list[asyncpg.Record]:
    """Typed profiles the viewer may see, other than theirs and `user_id`'s, nearest to `vector` first;
    each with its cosine `distance`."""
    p = Params(viewer_id)
    join, distance = embeddings.nearest(p, "profile", "p.user_id", vector, model)
    conditions = where(VISIBLE_PROFILE, "p.profile_type IS NOT NULL", "p.user_id <> $1", f"p.user_id <> {p(user_id)}")
    return await conn.fetch(f"{_SELECT.replace('SELECT ', f'SELECT {distance} AS distance, ', 1)} {join}"
                            f" WHERE {conditions} ORDER BY {distance} LIMIT {p(limit)}", *p.values)


async def change_type(conn: asyncpg.Connection, user_id: UUID, old: str | None, new: str) -> None:
    """Make `new` the user's type, dropping the old type's details (the caller holds the lock)."""
    if old is not None:
        await conn.execute(f"DELETE FROM {PROFILE_TYPES[old].table} WHERE user_id = $1", user_id)
    await conn.execute("UPDATE user_profiles SET profile_type = $2, updated_at = now() WHERE user_id = $1",
                       user_id, new)


async def save_details(conn: asyncpg.Connection, user_id: UUID, profile_type: str, values: Mapping[str, Any]) -> None:
    """Replace the typed fields (those absent from `values` are cleared) and store the completion."""
    kind = PROFILE_TYPES[profile_type]
    columns = list(kind.fields)
    p = Params(user_id)
    # Lists are never NULL: an absent one is empty.
    placeholders = ", ".join(p([] if values.get(column) is None and kind.fields[column] == LIST else values.get(column))
                             for column in columns)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns)
    await conn.execute(
        f"INSERT INTO {kind.table} (user_id, {', '.join(columns)}) VALUES ($1, {placeholders})"
        f" ON CONFLICT (user_id) DO UPDATE SET {updates}, updated_at = now()", *p.values)
    await conn.execute(
        f"UPDATE user_profiles p SET profile_completion = {kind.completion()}"
        f" FROM {kind.table} {kind.alias} WHERE p.user_id = $1 AND {kind.alias}.user_id = $1", user_id)


async def update(conn: asyncpg.Connection, user_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(user_id)
    if assignments := p.assignments(changes, ENVELOPE_FIELDS):
        await conn.execute(f"UPDATE user_profiles SET {assignments}, updated_at = now() WHERE user_id = $1", *p.values)
