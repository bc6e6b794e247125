"""Everything the server holds about a user, table by table: the one registry that both the export
(GET /api/v1/me/export) and the erasure (DELETE /api/v1/me) read. docs/privacy.md explains it.

Each `Held` names the rows of one table that are about the user (`mine`, a condition on alias `t`
with `$1` the user's id) and what erasure does with them:

- DELETE: the rows go (their children follow by ON DELETE CASCADE).
- ANONYMISE: the rows stay for other people (messages in shared channels and direct conversations,
  comments, marketplace transactions) and keep naming the user's id, which from then on is a
  tombstone: the users row with every personal column cleared (the `users` entry, near the end).
- DETACH: the rows stay but stop naming the user: `retire` clears the reference (who invited whom,
  who pinned a message) or hands it on (a workspace's owner), or a foreign key's ON DELETE SET NULL
  does (payments). Others' rows that only mention the user are not exported.

`delete_only` narrows DELETE within an ANONYMISE or DETACH entry: those rows go, the rest stays.
Entries run in order; a table may have several, of which at most one is exported.

A table added to the schema that holds a user id must be added here: tests/http/test_privacy.py
searches every column of every table for an erased user and fails on what this registry missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.db import tenancy


class Erase(Enum):
    DELETE = "delete"
    ANONYMISE = "anonymise"
    DETACH = "detach"


@dataclass(frozen=True, slots=True)
class Held:
    table: str
    mine: str
    erase: Erase = Erase.DELETE
    delete_only: str | None = None  # of the rows, those that go; the others stay
    retire: str | None = None       # assignments for the rows that stay
    secret: tuple[str, ...] = ()    # columns never exported: hashes, tokens, storage paths
    export: bool = True
    tenant: bool = False            # under row-level security: run once per community of the user
    files: str | None = None        # column of stored files' keys, deleted with their rows


def _delete(table: str, mine: str, **options: Any) -> Held:
    return Held(table, mine, Erase.DELETE, **options)


def _keep(table: str, mine: str, **options: Any) -> Held:
    return Held(table, mine, Erase.ANONYMISE, **options)


def _detach(table: str, column: str) -> Held:
    return Held(table, f"t.{column} = $1", Erase.DETACH, retire=f"{column} = NULL", export=False)


_OWN = "t.user_id = $1"
# Who takes over a workspace of the user's (t a row of workspace_members): an admin before a member,
# the longest-standing first.
_SUCCESSOR = """(SELECT m.user_id FROM workspace_members m WHERE m.workspace_id = t.workspace_id AND m.user_id <> $1
    ORDER BY m.role = 'ADMIN' DESC, m.joined_at, m.id LIMIT 1)"""
_EITHER_SIDE = "$1 IN (t.{0}, t.{1})"
_AI_CHAT = "t.chat_id IN (SELECT id FROM ai_chats WHERE user_id = $1)"

# The tombstone: a fresh random username (the shape users.username demands), nothing else personal.
TOMBSTONE = """email = NULL, username = 'deleted-' || substr(md5(gen_random_uuid()::text), 1, 20),
    display_name = 'Deleted user', password_hash = NULL, avatar_url = NULL, provider = NULL, google_id = NULL,
    discord_id = NULL, discriminator = NULL, global_name = NULL, referral_code = NULL, locale = 'en-US',
    role = 'user', premium_type = 0, email_verified = false, is_active = false, daily_message_count = 0,
    last_message_reset_date = NULL, last_interview_date = NULL, interview_count = 0,
    flagged_chat_expires_at = NULL, last_login_at = NULL, deleted_at = now(), updated_at = now()"""

# In erasure order: rows that others' rows point at go after those, the account itself last.
REGISTRY: tuple[Held, ...] = (
    # Profiles of every kind
    _delete("user_profiles", _OWN),
    _detach("user_profiles", "invite_source_id"),
    _delete("innovator_profiles", _OWN),
    _delete("mentor_profiles", _OWN),
    _delete("business_investor_profiles", _OWN),
    # Sign-in and activity
    _delete("sessions", _OWN, secret=("access_token_hash", "refresh_token_hash")),
    _delete("password_reset_tokens", _OWN, secret=("token_hash",)),
    _delete("activity_sessions", _OWN, secret=("session_token",)),
    _delete("user_presence", _OWN),
    _delete("user_activity_logs", _OWN),
    _delete("page_views", _OWN),
    _delete("feature_usage", _OWN),
    # Workspaces, channels and messages. A workspace nobody else is in goes with its owner; one that
    # others are in passes to its longest-standing admin, or else member (no endpoint hands a
    # workspace over, and one without an owner could never be deleted or get new admins).
    Held("workspace_members", f"t.workspace_id IN (SELECT id FROM workspaces WHERE owner_id = $1) "
         f"AND t.user_id = {_SUCCESSOR}", Erase.DETACH, retire="role = 'OWNER'", export=False),
    Held("workspaces", "t.owner_id = $1", Erase.DETACH, delete_only="NOT EXISTS (SELECT 1 FROM workspace_members m "
         "WHERE m.workspace_id = t.id AND m.user_id <> $1)", retire="owner_id = (SELECT m.user_id FROM "
         "workspace_members m WHERE m.workspace_id = t.id AND m.role = 'OWNER' AND m.user_id <> $1)",
         secret=("invite_code",)),
    # A group nobody else is active in goes, with its workspace (as deleting a group does).
    _delete("workspaces", "t.id IN (SELECT g.workspace_id FROM groups g JOIN group_memberships m ON m.group_id = g.id "
            "WHERE m.user_id = $1 AND m.status = 'active' AND NOT EXISTS (SELECT 1 FROM group_memberships o "
            "WHERE o.group_id = g.id AND o.user_id <> $1 AND o.status = 'active'))", export=False),
    _delete("workspace_members", _OWN),
    _detach("channels", "created_by"),
    _delete("channel_members", _OWN),
    _keep("direct_conversations", _EITHER_SIDE.format("user_a_id", "user_b_id")),
    _keep("messages", _OWN),
    _detach("messages", "pinned_by"),
    _keep("message_edits", "t.edited_by = $1"),
    _delete("message_reactions", _OWN),
    _delete("message_mentions", _OWN),
    _keep("attachments", "t.uploader_id = $1", delete_only="t.message_id IS NULL", secret=("storage_key",),
          files="storage_key"),
    # Communities and groups. A community only the user is active in goes (one others are in is
    # handed over first: `blockers`).
    _delete("communities", "t.id IN (SELECT community_id FROM community_members WHERE user_id = $1 "
            "AND role = 'owner')", export=False),
    Held("communities", "t.created_by = $1", Erase.DETACH, retire="created_by = NULL"),
    # Tenant tables (row-level security, sql/035 and 036): per community. Payments stay for the
    # books; deleting the membership sets their member_id to null (sql/035), which unlinks them.
    Held("payments", "t.member_id IN (SELECT id FROM community_members WHERE user_id = $1)", Erase.DETACH,
         tenant=True),
    _delete("subscriptions", "t.member_id IN (SELECT id FROM community_members WHERE user_id = $1)",
            tenant=True),
    _delete("community_members", _OWN, tenant=True),
    # A community's counts stay; who did what does not.
    Held("analytics_events", _OWN, Erase.DETACH, tenant=True, retire="user_id = NULL, discord_user_id = NULL, "
         "session_id = NULL, ip_address = NULL, user_agent = NULL, properties = '{}'"),
    _delete("community_posts", _OWN),
    _keep("groups", "t.created_by = $1", secret=("invite_code",)),
    _delete("group_memberships", _OWN),
    _detach("group_memberships", "invited_by"),
    # Posts, comments, likes; events and RSVPs; the marketplace
    _delete("posts", "t.author_id = $1"),
    _keep("comments", "t.author_id = $1"),
    _delete("post_likes", _OWN),
    _delete("comment_likes", _OWN),
    _delete("anonymous_posts", _OWN),
    _keep("anonymous_comments", _OWN),
    _delete("anonymous_post_likes", _OWN),
    _delete("anonymous_comment_likes", _OWN),
    _delete("events", "t.organizer_id = $1"),
    _delete("event_attendees", _OWN),
    _detach("event_attendees", "invited_by"),
    _keep("marketplace_transactions", _EITHER_SIDE.format("seller_id", "buyer_id")),
    _keep("marketplace_listings", "t.seller_id = $1", retire="status = 'removed'", delete_only=(
          "NOT EXISTS (SELECT 1 FROM marketplace_transactions x WHERE x.listing_id = t.id)")),
    # Connections, notifications, referrals and invitations
    _delete("connections", _EITHER_SIDE.format("sender_id", "receiver_id")),
    _keep("connection_messages", _EITHER_SIDE.format("sender_id", "receiver_id")),
    _delete("notifications", _OWN),
    # Others' notifications about the user name them in their text.
    _delete("notifications", "t.related_user_id = $1", export=False),
    _delete("referrals", "t.sender_id = $1"),
    # Others' referrals of the user hold the user's email address.
    _delete("referrals", "t.recipient_user_id = $1 OR lower(t.recipient_email) = "
            "(SELECT lower(email) FROM users WHERE id = $1)", export=False),
    _delete("invite_links", "t.created_by = $1", secret=("code",)),
    _detach("invite_links", "used_by"),
    # GrowCommunity typed messages
    _keep("typed_conversations", _EITHER_SIDE.format("user_a_id", "user_b_id")),
    _keep("typed_messages", _EITHER_SIDE.format("sender_id", "receiver_id")),
    _delete("identity_revelations", _EITHER_SIDE.format("revealer_id", "revealed_to_id")),
    _delete("message_slot_bookings", _EITHER_SIDE.format("sender_id", "receiver_id")),
    _delete("custom_message_slots", _OWN),
    _delete("user_message_settings", _OWN),
    _delete("user_message_type_settings", _OWN),
    # AI chats and documents
    _delete("ai_chat_messages", _AI_CHAT),
    _delete("ai_chat_votes", _AI_CHAT),
    _delete("legacy_ai_chat_messages", _AI_CHAT),
    _delete("legacy_ai_chat_votes", _AI_CHAT),
    _delete("ai_ratings", _OWN),
    _delete("ai_chats", _OWN),
    _delete("ai_context_data", _OWN),
    _delete("ai_user_preferences", _OWN),
    _delete("suggestions", _OWN),
    _delete("documents", _OWN),
    # Careers: skills, jobs, interviews, calendar, forms
    _delete("skill_attempts", _OWN),
    _delete("interview_rounds", "t.application_id IN (SELECT id FROM job_applications WHERE user_id = $1)"),
    _delete("job_applications", _OWN),
    _detach("jobs", "posted_by_user_id"),
    _delete("interview_progress", _OWN),
    _delete("daily_interviews", _OWN),
    _delete("user_calendar_blocks", _OWN),
    _delete("api_access_requests", _OWN),
    _delete("premium_interests", _OWN),
    _delete("archive_cards", _OWN),
    _delete("uploads", _OWN),
    # The account: last, so that conditions above can still read its email.
    _keep("users", "t.id = $1", retire=TOMBSTONE, secret=("password_hash",)),
    # After it: the tombstone's new name marks the profile's embedding stale (sql/038's triggers).
    # Those of posts, events and AI messages went with them.
    _delete("content_embeddings", "t.content_type = 'profile' AND t.content_id = $1"),
)

ANONYMISED_TABLES = frozenset(held.table for held in REGISTRY if held.erase is Erase.ANONYMISE)


async def _communities(conn: asyncpg.Connection, user_id: UUID) -> list[UUID]:
    """The communities whose tenant tables hold rows of the user, which the policies show one
    community at a time (sql/037's function, which needs the user scoped)."""
    await tenancy.scope(conn, user_id=user_id)
    return [row[0] for row in await conn.fetch(
        "SELECT DISTINCT community_id FROM chat_communities_holding_user($1) AS community_id", user_id)]


def _mine(held: Held) -> str:
    """The table's rows about the user (alias t), within the scoped community for a tenant table
    (whose policies may also show the user's own rows of every community)."""
    return f"({held.mine}) AND t.community_id = chat_current_community()" if held.tenant else held.mine


async def _each_scope(conn: asyncpg.Connection, held: Held, user_id: UUID,
                      communities: list[UUID]) -> AsyncIterator[None]:
    """Once for a table (under the user's scope, which `_communities` set), or once per community,
    scoped to it, for a tenant table."""
    if not held.tenant:
        yield None
        return
    for community_id in communities:
        await tenancy.scope(conn, community_id=community_id, user_id=user_id)
        yield None
    await tenancy.scope(conn, user_id=user_id)


async def export(conn: asyncpg.Connection, user_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """Every exported table's rows about the user, by table name, secrets left out. Call inside a
    transaction (the tenant scope is set on it)."""
    communities = await _communities(conn, user_id)
    sections: dict[str, list[dict[str, Any]]] = {}
    for held in REGISTRY:
        if held.export:
            sections[held.table] = []
            async for _ in _each_scope(conn, held, user_id, communities):
                sections[held.table] += await conn.fetchval(
                    f"SELECT coalesce(jsonb_agg(to_jsonb(t) - $2::text[]), '[]') FROM {held.table} t WHERE {_mine(held)}",
                    user_id, list(held.secret))
    return sections


async def blockers(conn: asyncpg.Connection, user_id: UUID) -> dict[str, list[UUID]]:
    """What the user holds that others depend on and must hand over before erasure, as leaving it
    would ask: communities they own that others are active in, groups they are the last admin of."""
    communities = []
    for community_id in await _communities(conn, user_id):
        await tenancy.scope(conn, community_id=community_id, user_id=user_id)
        if await conn.fetchval(
                """SELECT true FROM community_members t
                   WHERE t.community_id = chat_current_community() AND t.user_id = $1 AND t.role = 'owner'
                     AND EXISTS (SELECT 1 FROM community_members o
                                 WHERE o.community_id = t.community_id AND o.user_id <> $1 AND o.status = 'active')""",
                user_id):
            communities.append(community_id)
    await tenancy.scope(conn, user_id=user_id)
    groups = [row["group_id"] for row in await conn.fetch(
        """SELECT m.group_id FROM group_memberships m
           WHERE m.user_id = $1 AND m.status = 'active' AND m.role = 'admin'
             AND NOT EXISTS (SELECT 1 FROM group_memberships a WHERE a.group_id = m.group_id AND a.user_id <> $1
                             AND a.status = 'active' AND a.role = 'admin')
             AND EXISTS (SELECT 1 FROM group_memberships o WHERE o.group_id = m.group_id AND o.user_id <> $1
                         AND o.status = 'active')
           ORDER BY m.group_id""", user_id)]
    return {name: ids for name, ids in (("communities", communities), ("groups", groups)) if ids}


async def lock_account(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    """The account, locked for its erasure; two erasures at once run one after the other."""
    return await conn.fetchrow("SELECT id, deleted_at FROM users WHERE id = $1 FOR UPDATE", user_id)


async def erase(conn: asyncpg.Connection, user_id: UUID) -> list[str]:
    """Erase the user as the registry says; the storage keys of the files whose rows went (the
    caller deletes the files once the transaction committed). Call inside a transaction."""
    communities = await _communities(conn, user_id)
    files: list[str] = []
    for held in REGISTRY:
        async for _ in _each_scope(conn, held, user_id, communities):
            files += await _erase(conn, held, user_id)
    return files


async def _erase(conn: asyncpg.Connection, held: Held, user_id: UUID) -> list[str]:
    deleted: list[asyncpg.Record] = []
    if held.erase is Erase.DELETE or held.delete_only:
        extra = f" AND ({held.delete_only})" if held.delete_only else ""
        returning = f" RETURNING t.{held.files}" if held.files else ""
        deleted = await conn.fetch(f"DELETE FROM {held.table} t WHERE {_mine(held)}{extra}{returning}", user_id)
    if held.retire:
        await conn.execute(f"UPDATE {held.table} t SET {held.retire} WHERE {_mine(held)}", user_id)
    return [row[0] for row in deleted] if held.files else []
