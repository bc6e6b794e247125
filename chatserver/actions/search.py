"""Message search over PostgreSQL full-text search, limited to what the caller may read."""

from __future__ import annotations

from chatserver.actions.context import Principal, Services
from chatserver.actions.views import message_views
from chatserver.schemas.messages import SearchQuery, SearchResults
from chatserver.schemas.pagination import fetch_page
from chatserver.store import messages


async def search_messages(svc: Services, principal: Principal, query: SearchQuery) -> SearchResults:
    async with svc.db.connection() as conn:
        rows, next_cursor = await fetch_page(query, lambda after, limit: messages.search(
            conn, principal.user_id, query.q, workspace_id=query.workspace_id, channel_id=query.channel_id,
            before=after, limit=limit))
        return SearchResults(items=await message_views(conn, rows), next_cursor=next_cursor)
