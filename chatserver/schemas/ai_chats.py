"""AI chat messages and votes on the wire."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import text
from chatserver.schemas.pagination import Page


class AiMessageIn(InputModel):
    content: text(20000, 1)


class AiMessageOut(WireModel):
    id: UUID
    chat_id: UUID
    role: Literal["user", "assistant", "system", "tool"]
    parts: list[dict[str, Any]]
    attachments: list[Any]
    tokens_used: int | None          # on a reply: what the AI endpoint reported using
    response_time_ms: int | None     # on a reply: how long the endpoint took to answer
    created_at: Timestamp


class AiExchange(WireModel):
    """The message sent and the assistant's reply."""

    message: AiMessageOut
    reply: AiMessageOut
    messages_left_today: int


class AiMessagePage(Page[AiMessageOut]):
    pass


class VoteIn(InputModel):
    is_upvoted: bool


class VoteOut(WireModel):
    chat_id: UUID
    message_id: UUID
    is_upvoted: bool


class VoteList(Page[VoteOut]):
    pass
