"""SmileFactory AI preferences and chat ratings on the wire."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import integer

ResponseStyle = Literal["concise", "detailed", "balanced"]
ContextLevel = Literal["minimal", "moderate", "full"]


class AiPreferences(WireModel):
    ai_enabled: bool = True
    preferred_response_style: ResponseStyle = "balanced"
    context_awareness_level: ContextLevel = "full"
    quick_replies_enabled: bool = True
    profile_assistance_enabled: bool = True
    updated_at: Timestamp | None = None   # None until first saved: these are the defaults


class AiPreferencesIn(InputModel):
    """Only the fields given change."""

    ai_enabled: bool | None = None
    preferred_response_style: ResponseStyle | None = None
    context_awareness_level: ContextLevel | None = None
    quick_replies_enabled: bool | None = None
    profile_assistance_enabled: bool | None = None


class AiRatingIn(InputModel):
    rating: integer(1, 5)


class AiRating(WireModel):
    chat_id: UUID
    rating: int
    created_at: Timestamp
