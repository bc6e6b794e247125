"""AI chats: a message goes to the configured model and the reply is stored, within a daily
quota (AI_DAILY_MESSAGES, 7 by default, per UTC day); votes on the replies."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chatserver import ai_client
from chatserver.actions.context import Principal, Services
from chatserver.actions.smilefactory_ai import prompt_for
from chatserver.errors import conflict, forbidden, limit_reached, not_found, unavailable
from chatserver.schemas.ai_chats import (
    AiExchange,
    AiMessageIn,
    AiMessageOut,
    AiMessagePage,
    VoteIn,
    VoteList,
    VoteOut,
)
from chatserver.schemas.pagination import PageQuery, fetch_page
from chatserver.store import ai_chats

CONTEXT_MESSAGES = 40


async def _chat(conn: asyncpg.Connection, principal: Principal, chat_id: UUID, *, to_change: bool) -> asyncpg.Record:
    """A chat the caller may read (theirs, or public); `to_change` also needs it to be theirs."""
    chat = await ai_chats.chat(conn, chat_id)
    mine = chat is not None and (chat["user_id"] == principal.user_id or principal.is_admin)
    if chat is None or not (mine or chat["visibility"] == "public"):
        raise not_found("chat")
    if to_change and chat["user_id"] != principal.user_id:
        raise forbidden("only the chat's owner may do this")
    return chat


def _text(message: asyncpg.Record) -> str:
    return "\n".join(part.get("text", "") for part in message["parts"] if isinstance(part, dict))


async def send(svc: Services, principal: Principal, chat_id: UUID, body: AiMessageIn) -> AiExchange:
    limit = svc.settings.ai_daily_messages
    async with svc.db.transaction("send_ai_message") as conn:
        # Whose chat it is comes before whether AI is available: a stranger learns nothing from a 503.
        chat = await _chat(conn, principal, chat_id, to_change=True)
        if not ai_client.configured(svc.settings):
            raise unavailable("AI chat is not available on this server")
        if chat["status"] != "active":
            raise conflict(f"this chat is {chat['status']}: only an active chat takes messages")
        ai_enabled, system_message = await prompt_for(conn, principal.user_id)
        if not ai_enabled:
            raise conflict("AI is turned off in your preferences")
        used = await ai_chats.take_daily_message(conn, principal.user_id, limit)
        if used is None:
            raise limit_reached(f"you have sent your {limit} AI messages for today",
                                limit=limit, resets="at 00:00 UTC")
        message = await ai_chats.insert_message(conn, chat_id, "user", [{"type": "text", "text": body.content}])
        context = await ai_chats.recent_messages(conn, chat_id, CONTEXT_MESSAGES)
    prompt = [system_message] if system_message else []
    prompt += [{"role": m["role"], "content": _text(m)} for m in context]
    # The model is called outside the transaction: no lock is held while it thinks.
    try:
        completion = await ai_client.complete(svc.settings, prompt)
    except ai_client.AiUnavailable as exc:
        async with svc.db.transaction("undo_ai_message") as conn:
            await ai_chats.delete_message(conn, message["id"])
            await ai_chats.give_back_daily_message(conn, principal.user_id)
        raise unavailable(str(exc)) from None
    async with svc.db.transaction("store_ai_reply") as conn:
        reply = await ai_chats.insert_message(conn, chat_id, "assistant", [{"type": "text", "text": completion.text}],
                                              tokens_used=completion.tokens_used,
                                              response_time_ms=completion.response_time_ms)
        await ai_chats.add_tokens(conn, chat_id, completion.tokens_used or 0)
    return AiExchange(message=AiMessageOut.from_row(message), reply=AiMessageOut.from_row(reply),
                      messages_left_today=max(limit - used, 0))


async def list_messages(svc: Services, principal: Principal, chat_id: UUID, query: PageQuery) -> AiMessagePage:
    async def messages(after: tuple | None, limit: int) -> list[asyncpg.Record]:
        async with svc.db.connection() as conn:
            await _chat(conn, principal, chat_id, to_change=False)
            return await ai_chats.messages(conn, chat_id, after=after, limit=limit)

    return AiMessagePage.of(await fetch_page(query, messages), AiMessageOut.from_row)


async def vote(svc: Services, principal: Principal, chat_id: UUID, message_id: UUID, body: VoteIn) -> VoteOut:
    async with svc.db.transaction("vote_ai_message") as conn:
        await _chat(conn, principal, chat_id, to_change=True)
        if not await ai_chats.message_in_chat(conn, chat_id, message_id):
            raise not_found("message")
        return VoteOut.from_row(await ai_chats.vote(conn, chat_id, message_id, body.is_upvoted))


async def unvote(svc: Services, principal: Principal, chat_id: UUID, message_id: UUID) -> None:
    async with svc.db.transaction("unvote_ai_message") as conn:
        await _chat(conn, principal, chat_id, to_change=True)
        if not await ai_chats.unvote(conn, chat_id, message_id):
            raise not_found("vote")


async def list_votes(svc: Services, principal: Principal, chat_id: UUID) -> VoteList:
    async with svc.db.connection() as conn:
        await _chat(conn, principal, chat_id, to_change=False)
        return VoteList(items=[VoteOut.from_row(row) for row in await ai_chats.votes(conn, chat_id)])
