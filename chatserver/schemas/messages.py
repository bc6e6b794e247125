"""Messages, reactions, attachments and edits on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, PrivateAttr, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import NOT_BLANK, SPACE
from chatserver.schemas.pagination import Page, PageQuery

MessageType = Literal["TEXT", "IMAGE", "FILE", "VIDEO", "AUDIO"]
Nonce = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Emoji = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=f"^[^{SPACE}/\\x00]+$")]
Seq = Annotated[int, Field(ge=0, le=2**63 - 1)]  # a PostgreSQL bigint
# The content limit is checked by the action, so that too long is `payload_too_large`, not `invalid`.
MessageContent = str
AttachmentIds = Annotated[list[UUID], Field(max_length=10)]


class Reaction(WireModel):
    emoji: str
    count: int
    user_ids: list[UUID]


class Attachment(WireModel):
    id: UUID
    file_name: str
    file_size: int
    mime_type: str
    url: str
    thumbnail_url: str | None
    width: int | None
    height: int | None
    uploader_id: UUID
    message_id: UUID | None
    created_at: Timestamp


class AttachmentOut(WireModel):
    attachment: Attachment


class Message(WireModel):
    id: UUID
    channel_id: UUID | None
    conversation_id: UUID | None = Field(description="Set for direct messages, instead of channelId.")
    seq: int
    change_seq: int
    user_id: UUID
    content: str
    type: str
    parent_id: UUID | None
    thread_reply_count: int
    thread_last_reply_at: Timestamp | None
    version: int
    is_edited: bool
    edited_at: Timestamp | None
    is_deleted: bool
    deleted_at: Timestamp | None
    is_pinned: bool
    pinned_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    reactions: list[Reaction]
    attachments: list[Attachment]
    mentions: list[UUID]
    nonce: str


class MessageOut(WireModel):
    message: Message
    # A new message goes out in its sender's ack and in the broadcast: dumped once for both.
    _wired: dict[str, Any] | None = PrivateAttr(default=None)

    def wire(self) -> dict[str, Any]:
        if self._wired is None:
            self._wired = super().wire()
        return self._wired


class MessagePage(WireModel):
    messages: list[Message]
    has_more: bool


class MessageEdit(WireModel):
    version: int = Field(description="The version this content had.")
    content: str
    edited_by: UUID | None
    edited_at: Timestamp


class MessageEditList(WireModel):
    items: list[MessageEdit]


class PinList(WireModel):
    items: list[Message]


class ReactionsOut(WireModel):
    message_id: UUID
    reactions: list[Reaction]


class SearchQuery(PageQuery.sorted_by(default_limit=20)):
    q: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(str.strip)]
    workspace_id: UUID | None = None
    channel_id: UUID | None = None


class SearchResults(Page[Message]):
    pass


class HistoryQuery(InputModel):
    before_seq: Seq | None = None
    after_seq: Seq | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    parent_id: UUID | None = None


# The document's form of "a message needs content or an attachment".
CONTENT_OR_ATTACHMENT = {"anyOf": [
    {"required": ["content"], "properties": {"content": {"pattern": NOT_BLANK}}},
    {"required": ["attachmentIds"], "properties": {"attachmentIds": {"minItems": 1}}},
]}


class PostIn(InputModel):
    """A message posted over HTTP to a channel or conversation named in the path."""

    model_config = InputModel.model_config | {"json_schema_extra": CONTENT_OR_ATTACHMENT}

    content: MessageContent = ""
    nonce: Nonce
    type: MessageType = "TEXT"
    parent_id: UUID | None = None
    attachment_ids: AttachmentIds = []


class MessagePatchIn(InputModel):
    content: MessageContent
    version: Annotated[int, Field(ge=1)] | None = Field(None, description="Or send the version as If-Match.")


# Socket.IO payloads


class ChannelHistoryIn(HistoryQuery):
    channel_id: UUID


class DmHistoryIn(InputModel):
    conversation_id: UUID
    before_seq: Seq | None = None
    after_seq: Seq | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50

    def as_query(self) -> HistoryQuery:
        """The page wanted, as the history of any stream is asked for (direct conversations have no threads)."""
        return HistoryQuery.model_construct(before_seq=self.before_seq, after_seq=self.after_seq, limit=self.limit,
                                            parent_id=None)


class MessageSendIn(PostIn):
    channel_id: UUID


class DmSendIn(InputModel):
    conversation_id: UUID
    content: MessageContent = ""
    nonce: Nonce
    type: MessageType = "TEXT"
    attachment_ids: AttachmentIds = []

    def as_post(self) -> PostIn:
        """The message, as a post to any stream is made (a direct message sent over the socket starts no thread)."""
        return PostIn.model_construct(content=self.content, nonce=self.nonce, type=self.type, parent_id=None,
                                      attachment_ids=self.attachment_ids)


class MessageEditIn(InputModel):
    message_id: UUID
    version: Annotated[int, Field(ge=1)]
    content: MessageContent


class MessageRefIn(InputModel):
    message_id: UUID


class MessagePinIn(InputModel):
    message_id: UUID
    pinned: bool = True


class ReactionIn(InputModel):
    message_id: UUID
    emoji: Emoji


class DeletedOut(WireModel):
    message_id: UUID
