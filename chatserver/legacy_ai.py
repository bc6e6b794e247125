"""`chatserver migrate-legacy-ai`: move the career platform's deprecated AI chat rows
(Message, Vote), loaded into legacy_ai_chat_messages / legacy_ai_chat_votes, into the
current tables. Safe to run again: moved rows leave the staging tables."""

from __future__ import annotations

import asyncio

import asyncpg

from chatserver.settings import Settings
from chatserver.store import ai_chats


async def move(url: str) -> tuple[int, int]:
    """(messages moved, votes moved)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            row = await ai_chats.move_legacy_messages(conn)
    finally:
        await conn.close()
    return row["messages_moved"], row["votes_moved"]


def run(settings: Settings) -> None:
    from chatserver.services import database_url

    async def main() -> tuple[int, int]:
        url, embedded = await database_url(settings)
        try:
            return await move(url)
        finally:
            if embedded is not None:
                embedded.stop()

    messages, votes = asyncio.run(main())
    print(f"moved {messages} legacy AI chat messages and {votes} votes")
