"""A community's Discord bot configuration on the wire. The token goes in, never out: answers say only
whether one is set (`tokenSet`)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import MAX_SAFE_NUMBER, DiscordId, JsonObject, integer, text

# Discord bot tokens are three dot-separated base64url parts; the bounds are generous.
BotToken = Annotated[str, StringConstraints(min_length=20, max_length=200, pattern="^[A-Za-z0-9_.-]+$")]


class BotConfigIn(InputModel):
    """The whole configuration (absent fields take their defaults). `botToken`: absent keeps the stored
    token, a string replaces it, null removes it."""

    client_id: DiscordId = Field(description="The bot application's client id.")
    permissions: integer(0, MAX_SAFE_NUMBER) = Field(0, description="The permissions integer the bot is invited with.")
    prefix: text(10, 1) = "!"
    welcome_message: text(2000) | None = None
    farewell_message: text(2000) | None = None
    auto_role_assignment: bool = Field(True, description="Give subscribers their tier's Discord role.")
    payment_verification_channel: DiscordId | None = None
    admin_channel: DiscordId | None = None
    settings: JsonObject = Field(default_factory=dict)
    is_active: bool = True
    bot_token: BotToken | None = Field(None, description="The bot's token: stored encrypted, never returned.",
                                       json_schema_extra={"writeOnly": True})


class BotConfigOut(WireModel):
    """A community without a configuration reads as `configured: false` with PUT's defaults (no id,
    no client id, no times)."""

    id: UUID | None
    community_id: UUID
    configured: bool
    token_set: bool = Field(description="Whether a bot token is stored (the token itself is never returned).")
    client_id: str | None
    permissions: int
    prefix: str
    welcome_message: str | None
    farewell_message: str | None
    auto_role_assignment: bool
    payment_verification_channel: str | None
    admin_channel: str | None
    settings: dict[str, Any]
    is_active: bool
    last_online: Timestamp | None
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def unconfigured(cls, community_id: UUID) -> BotConfigOut:
        defaults = {name: field.get_default(call_default_factory=True) for name, field in BotConfigIn.model_fields.items()
                    if name not in ("client_id", "bot_token")}
        return cls(id=None, community_id=community_id, configured=False, token_set=False, client_id=None,
                   last_online=None, created_at=None, updated_at=None, **defaults)
