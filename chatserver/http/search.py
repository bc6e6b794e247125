"""Message search over HTTP."""

from __future__ import annotations

from chatserver.actions.search import search_messages
from chatserver.http.api import Api, Context
from chatserver.schemas.messages import SearchQuery, SearchResults

api = Api()


@api.get("/search/messages", summary="Full-text search over messages you may read", tags=("messages",),
         query=SearchQuery, response=SearchResults)
async def search(ctx: Context, query: SearchQuery) -> SearchResults:
    return await search_messages(ctx.svc, ctx.user, query)
