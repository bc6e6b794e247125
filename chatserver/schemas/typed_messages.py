"""GrowCommunity's typed messages, settings and identity revelations on the wire."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, model_validator

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import Content, unchanged
from chatserver.schemas.pagination import Page


class Identity(WireModel):
    """A person as the viewer may see them: always the anonymous name; the real one only
    when they revealed themselves to the viewer."""

    anonymous_name: str
    revealed: bool
    user_id: UUID | None = None
    username: str | None = None
    display_name: str | None = None

    @classmethod
    def of(cls, row: Any, prefix: str) -> Identity:
        revealed = bool(row[f"{prefix}_revealed"])
        if not revealed:
            return cls(anonymous_name=row[f"{prefix}_anonymous_name"], revealed=False)
        return cls(anonymous_name=row[f"{prefix}_anonymous_name"], revealed=True, user_id=row[f"{prefix}_user_id"],
                   username=row[f"{prefix}_username"], display_name=row[f"{prefix}_display_name"])


class TypeSetting(WireModel):
    message_type_id: UUID
    name: str
    color_code: str
    is_active: bool
    is_enabled: bool


class MessageSettings(WireModel):
    use_custom_slots: bool
    email_notifications: bool
    auto_accept_from_admins: bool
    message_types: list[TypeSetting]


class TypeSwitch(InputModel):
    message_type_id: UUID
    is_enabled: bool


class MessageSettingsIn(InputModel):
    use_custom_slots: bool = unchanged("Limit slots by your custom message slots.")
    email_notifications: bool = unchanged()
    auto_accept_from_admins: bool = unchanged("Messages from platform admins need no slot.")
    message_types: Annotated[list[TypeSwitch], Field(max_length=100)] = unchanged(
        "Turn message types on or off; types not named stay as they are.")


class FirstMessageIn(InputModel):
    receiver_id: UUID
    message_type_id: UUID
    content: Content


class ReplyIn(InputModel):
    message_type_id: UUID
    content: Content


class TypedMessageOut(WireModel):
    id: UUID
    conversation_id: UUID
    message_type_id: UUID
    content: str
    is_mine: bool
    sender: Identity
    is_read: bool
    read_at: Timestamp | None
    created_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> TypedMessageOut:
        return cls.from_row(row, sender=Identity.of(row, "sender"))


class TypedMessagePage(Page[TypedMessageOut]):
    pass


class TypedConversationOut(WireModel):
    id: UUID
    other: Identity = Field(description="The other participant, by name once they revealed themselves to you.")
    is_active: bool
    unread_count: int
    last_message_at: Timestamp | None
    created_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> TypedConversationOut:
        return cls.from_row(row, other=Identity.of(row, "other"))


class TypedConversationPage(Page[TypedConversationOut]):
    pass


class ReadOut(WireModel):
    conversation_id: UUID
    marked_read: int


class RevelationIn(InputModel):
    """Reveal yourself to someone, named by id or by the conversation you share."""

    model_config = InputModel.model_config | {"json_schema_extra": {"oneOf": [
        {"required": ["revealedToId"], "properties": {"revealedToId": {"type": "string"}}},
        {"required": ["conversationId"], "properties": {"conversationId": {"type": "string"}}},
    ]}}

    message_type_id: UUID
    revealed_to_id: UUID | None = None
    conversation_id: UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RevelationIn:
        if (self.revealed_to_id is None) == (self.conversation_id is None):
            raise ValueError("give exactly one of revealedToId and conversationId")
        return self


class RevelationOut(WireModel):
    id: UUID
    message_type_id: UUID
    revealed_to: Identity
    revealed_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> RevelationOut:
        return cls.from_row(row, revealed_to=Identity.of(row, "to"))


class RevelationPage(Page[RevelationOut]):
    pass
