"""Every server-to-client event, declared once: its Socket.IO name, the wire model of its payload,
what it means and who gets it.

An action publishes `EVENT.to(rooms, payload)`, which dumps the payload once, whatever the number
of recipients; scripts/asyncapi documents exactly what is declared here, and tests/http/test_asyncapi.py
fails when an event is emitted that is not. The client-to-server events are in realtime/events.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import ConfigDict, Field

from chatserver.broker import Event, Position
from chatserver.errors import HTTP_STATUS
from chatserver.schemas.base import WireModel
from chatserver.schemas.connections import ConnectionMessageOut, NotificationOut
from chatserver.schemas.conversations import ChannelReadOut, Presence, Ready
from chatserver.schemas.marketplace import TransactionChangedEvent
from chatserver.schemas.messages import MessageOut, Reaction
from chatserver.schemas.smilefactory_events import EventChangedEvent, EventPromotedEvent
from chatserver.schemas.typed_messages import TypedMessageOut
from chatserver.schemas.workspaces import Channel, Member, Workspace

# Payloads that have no model of their own elsewhere.


def _exactly_one_stream(schema: dict[str, Any]) -> None:
    """Channel messages name their channelId, direct messages their conversationId: one of the two."""
    for key, what in (("channelId", "a channel message"), ("conversationId", "a direct message")):
        schema["properties"][key] = {"type": "string", "format": "uuid", "description": f"Set for {what}."}
    schema["oneOf"] = [{"required": ["channelId"]}, {"required": ["conversationId"]}]


def _absent(value: Any) -> bool:
    return value is None


class StreamEvent(WireModel):
    """Names its stream by the one key that applies; the other is left out, not null."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_stream)

    channel_id: UUID | None = Field(None, exclude_if=_absent)
    conversation_id: UUID | None = Field(None, exclude_if=_absent)


class MessageDeletedEvent(StreamEvent):
    """A deleted message keeps its seq; its content is gone."""

    message_id: UUID
    seq: int
    change_seq: int


class ReactionUpdatedEvent(StreamEvent):
    message_id: UUID
    change_seq: int
    reactions: list[Reaction]


class TypingEvent(StreamEvent):
    user_id: UUID
    typing: bool = Field(description="`true` lasts 6 s unless repeated; `false` when stopped or a message was sent.")


class ChannelMemberEvent(WireModel):
    channel_id: UUID
    user_id: UUID


class ChannelRefEvent(WireModel):
    channel_id: UUID


class ChannelEvent(WireModel):
    channel: Channel = Field(description="`isMember` is always false here: the same event goes to many people.")

    @classmethod
    def of(cls, channel: Channel) -> ChannelEvent:
        return cls(channel=channel.model_copy(update={"is_member": False}))


class DmReadEvent(WireModel):
    conversation_id: UUID
    user_id: UUID = Field(description="Who read.")
    last_read_seq: int


class NotificationEvent(WireModel):
    notification: NotificationOut


class SessionRevokedEvent(WireModel):
    """The socket is disconnected right after this event."""

    session_id: UUID
    reason: str = Field(description="Such as `logout`, `revoked by user`, `password reset`, `refresh token reused`, "
                                    "`account deleted`.")


class WorkspaceForEveryone(Workspace):
    """A workspace as broadcast to all its members: nothing in it is about one of them."""

    role: None = Field(description="Always null here; your own role is in GET /api/v1/workspaces/{id}.")
    invite_code: None = Field(None, description="Always null here.")


class WorkspaceEvent(WireModel):
    workspace: WorkspaceForEveryone

    @classmethod
    def of(cls, workspace: Workspace) -> WorkspaceEvent:
        return cls(workspace=WorkspaceForEveryone.model_validate(
            workspace.model_dump() | {"role": None, "invite_code": None}))


class WorkspaceRefEvent(WireModel):
    workspace_id: UUID


class WorkspaceMemberEvent(WireModel):
    workspace_id: UUID
    user_id: UUID


class WorkspaceMemberUpdatedEvent(WireModel):
    workspace_id: UUID
    member: Member


class TypedMessageEvent(WireModel):
    message: TypedMessageOut


class ConversationRefEvent(WireModel):
    conversation_id: UUID


class IdentityRevealedEvent(WireModel):
    message_type_id: UUID


class ConnectionMessageEvent(WireModel):
    message: ConnectionMessageOut


ErrorCode = Literal[tuple(HTTP_STATUS)]  # type: ignore[valid-type]


class AckError(WireModel):
    code: ErrorCode
    message: str = Field(description="For people, not for programs: match on `code`.")
    details: dict[str, Any] = Field(default_factory=dict, exclude_if=lambda details: not details,
                                    description="Present for some codes; see the code's description.")


class ErrorEvent(AckError):
    """The error of an event the client sent without an ack callback."""

    event: str = Field(description="The event that failed, such as `message:send`.")


class ConnectErrorData(WireModel):
    code: Literal["unauthorized", "invalid", "unavailable"]
    message: str


class ConnectError(WireModel):
    """The Socket.IO CONNECT_ERROR packet; socket.io-client raises it as `connect_error` with `err.data`."""

    message: str
    data: ConnectErrorData


# The registry.

P = TypeVar("P", bound=WireModel)


@dataclass(frozen=True, slots=True)
class ServerEvent(Generic[P]):
    name: str
    payload: type[P]
    summary: str
    audience: str  # who gets it, for the documentation
    disconnects: bool = False  # the receiving sockets are closed once it is sent

    def to(self, rooms: tuple[str, ...], payload: P, *, skip_sid: str | None = None, skip_user: str | None = None,
           position: Position | None = None) -> Event:
        """The broker event carrying `payload` to the sockets in `rooms`, dumped here once for all of them."""
        return Event(self.name, self.data(payload), rooms=rooms, skip_sid=skip_sid, skip_user=skip_user,
                     disconnect=self.disconnects, position=position)

    def data(self, payload: P) -> dict[str, Any]:
        """The payload as it goes on the wire; for what the socket layer sends one socket itself."""
        assert type(payload) is self.payload, f"{self.name} carries {self.payload.__name__}"
        return payload.wire()


SERVER_EVENTS: dict[str, ServerEvent[Any]] = {}


def _declare(name: str, payload: type[P], summary: str, audience: str, *, disconnects: bool = False) -> ServerEvent[P]:
    assert name not in SERVER_EVENTS, name
    SERVER_EVENTS[name] = event = ServerEvent(name, payload, summary, audience, disconnects)
    return event


STREAM_AUDIENCE = "the channel's members or the conversation's two people"
CHANNEL_AUDIENCE = "the workspace for a public channel; the members for a private one"

READY = _declare("ready", Ready, "Sent once after every (re)connection: who you are, your channels and "
                 "conversations with their counters, and the presence of people around you.", "the new socket")
MESSAGE_NEW = _declare("message:new", MessageOut, "A new message in a channel (also when posted over HTTP).",
                       "the channel's members")
MESSAGE_UPDATED = _declare("message:updated", MessageOut, "A message changed: edited, pinned or unpinned, or a "
                           "thread root whose reply count changed.", STREAM_AUDIENCE)
MESSAGE_DELETED = _declare("message:deleted", MessageDeletedEvent, "A message was deleted.", STREAM_AUDIENCE)
REACTION_UPDATED = _declare("reaction:updated", ReactionUpdatedEvent, "The reactions of a message changed.",
                            STREAM_AUDIENCE)
TYPING = _declare("typing", TypingEvent, "Someone started or stopped typing.",
                  "the others in the channel or conversation")
CHANNEL_READ = _declare("channel:read", ChannelReadOut, "Your read marker moved on another device.",
                        "your other sockets")
CHANNEL_MEMBER_JOINED = _declare("channel:member_joined", ChannelMemberEvent,
                                 "Someone joined or was added to a channel.", "the channel's members")
CHANNEL_MEMBER_LEFT = _declare("channel:member_left", ChannelMemberEvent, "Someone left or was removed from a "
                               "channel (also when they left the workspace).",
                               "the channel's members, the one who left included")
CHANNEL_CREATED = _declare("channel:created", ChannelEvent, "A channel was created.", CHANNEL_AUDIENCE)
CHANNEL_UPDATED = _declare("channel:updated", ChannelEvent, "A channel's name, topic, description or position "
                           "changed.", CHANNEL_AUDIENCE)
CHANNEL_ARCHIVED = _declare("channel:archived", ChannelRefEvent, "A channel was archived and is read-only from "
                            "now on.", CHANNEL_AUDIENCE)
DM_NEW = _declare("dm:new", MessageOut, "A new direct message; the message has `conversationId`, not "
                  "`channelId`.", "both people's sockets, the sender's included")
DM_READ = _declare("dm:read", DmReadEvent, "Someone moved their read marker in a direct conversation.",
                   "both people's sockets")
PRESENCE = _declare("presence", Presence, "Someone's presence changed.",
                    "everyone sharing a workspace with them, and their own sockets")
NOTIFICATION_NEW = _declare("notification:new", NotificationEvent, "A new notification (connection requests "
                            "and answers).", "the notified user's sockets")
SESSION_REVOKED = _declare("session:revoked", SessionRevokedEvent, "This device's session was revoked; the server "
                           "disconnects the socket right after. Sign in again.", "the session's sockets",
                           disconnects=True)
WORKSPACE_UPDATED = _declare("workspace:updated", WorkspaceEvent, "A workspace's name, description, icon or "
                             "visibility changed.", "the workspace's members")
WORKSPACE_DELETED = _declare("workspace:deleted", WorkspaceRefEvent, "A workspace was deleted.",
                             "the workspace's members")
WORKSPACE_MEMBER_JOINED = _declare("workspace:member_joined", WorkspaceMemberEvent, "Someone joined a workspace "
                                   "by invite code.", "the workspace's members")
WORKSPACE_MEMBER_LEFT = _declare("workspace:member_left", WorkspaceMemberEvent, "Someone left or was removed "
                                 "from a workspace.", "the workspace's members, the one who left included")
WORKSPACE_MEMBER_UPDATED = _declare("workspace:member_updated", WorkspaceMemberUpdatedEvent,
                                    "A member's role changed.", "the workspace's members")
TYPED_MESSAGE_NEW = _declare("typed_message:new", TypedMessageEvent, "GrowCommunity: a new typed message for "
                             "you.", "the receiver's sockets")
TYPED_CONVERSATION_READ = _declare("typed_conversation:read", ConversationRefEvent, "GrowCommunity: the other "
                                   "person read the typed messages you sent in a conversation.",
                                   "the sender's sockets")
IDENTITY_REVEALED = _declare("identity:revealed", IdentityRevealedEvent, "GrowCommunity: someone revealed their "
                             "identity to you for a message type.", "the user it was revealed to")
CONNECTION_MESSAGE_NEW = _declare("connection_message:new", ConnectionMessageEvent, "A message between two "
                                  "connected people.", "both people's sockets")
ERROR = _declare("error", ErrorEvent, "The error of an event sent without an ack callback (with a callback, "
                 "the error is the ack).", "the socket that sent the event")

# A new message's event, by the kind of its stream.
NEW_MESSAGE = {"channel": MESSAGE_NEW, "conversation": DM_NEW}

# SmileFactory events (actions/smilefactory_events.py).
EVENT_AUDIENCE = "the event's organiser and everyone with an RSVP that is not `declined`"
EVENT_UPDATED = _declare("event:updated", EventChangedEvent, "SmileFactory: an event you organise or RSVPed to "
                         "changed (its time, place, capacity or anything else); `changed` names the fields.",
                         EVENT_AUDIENCE)
EVENT_CANCELLED = _declare("event:cancelled", EventChangedEvent, "SmileFactory: an event you organise or RSVPed to "
                           "was cancelled.", EVENT_AUDIENCE)
EVENT_PROMOTED = _declare("event:promoted", EventPromotedEvent, "SmileFactory: a place freed up and you moved "
                          "from the waitlist to `confirmed`.", "the promoted person's sockets")

# SmileFactory marketplace (actions/marketplace.py).
MARKETPLACE_TRANSACTION = _declare("marketplace:transaction", TransactionChangedEvent, "SmileFactory: a "
                                   "marketplace transaction you are party to was started or moved a step, "
                                   "including its cancellation when the listing sold, expired or was removed.",
                                   "the buyer's and the seller's sockets")
