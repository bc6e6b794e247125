"""Which community and which user a transaction acts for, as row-level security sees them.

Tenant tables (community members, subscription tiers, subscriptions, payments, bot
configurations, analytics events...) carry policies keyed on two per-transaction settings,
`chat.community_id` and `chat.user_id`, read back in SQL by `chat_current_community()` and
`chat_current_user()` (sql/035_communityos_tenancy.sql). The server's pool connects as a role
that neither owns those tables nor bypasses RLS, so a query that forgets its WHERE clause still
sees only the scoped community's rows, and with nothing scoped it sees none and writes none.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def scope(conn: asyncpg.Connection, *, community_id: UUID | None = None, user_id: UUID | None = None) -> None:
    """Set (or clear, with None) the community and user for the rest of the open transaction.

    `set_config(..., true)` is transaction-local: it ends with the commit or rollback, so a pooled
    connection never carries one request's tenant into the next. Outside a transaction it would
    last only for the one statement, which is never what a caller means.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("tenancy.scope() needs an open transaction: the scope ends with it")
    await conn.execute(
        "SELECT set_config('chat.community_id', $1, true), set_config('chat.user_id', $2, true)",
        "" if community_id is None else str(community_id),
        "" if user_id is None else str(user_id),
    )
