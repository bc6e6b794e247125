"""GrowCommunity's typed messages: message types, settings, slots, conversations, revelations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatserver.actions import identities, typed_messages
from chatserver.actions.policies import AdminManaged, Owned
from chatserver.http.api import Api, Context, Reply
from chatserver.http.resources import READ_ONLY, Col, Resource, mount, server
from chatserver.schemas.fields import integer, text
from chatserver.schemas.pagination import PageQuery
from chatserver.schemas.typed_messages import (
    FirstMessageIn,
    MessageSettings,
    MessageSettingsIn,
    ReadOut,
    ReplyIn,
    RevelationIn,
    RevelationOut,
    RevelationPage,
    TypedConversationOut,
    TypedConversationPage,
    TypedMessageOut,
    TypedMessagePage,
)

api = Api()
TAGS = ("typed messages",)

message_types = mount(api, Resource(
    path="message-types", model="MessageType", table="message_types", tag=TAGS[0], policy=AdminManaged(),
    description="A kind of message (coffee chat, mentorship, ...) with its color. Admins manage them.",
    columns=(
        server("id", UUID),
        Col("name", text(50, 1, pattern=r"^[a-z][a-z0-9_]*$"), required=True),
        Col("description", text(1000), nullable=True),
        Col("is_active", bool, default=True),
        Col("color_code", text(7, pattern=r"^#[0-9A-Fa-f]{6}$"), default="#616161"),
        server("created_at", datetime),
    ),
))

custom_slots = mount(api, Resource(
    path="custom-message-slots", model="CustomMessageSlot", table="custom_message_slots", tag=TAGS[0],
    policy=Owned(), touch="updated_at",
    description="Your own limit on how many people may hold a slot of one message type at once "
                "(used when your message settings say useCustomSlots). One active limit per type.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("message_type_id", UUID, required=True, update=False, filter=True),
        Col("name", text(100, 1), required=True),
        Col("slot_limit", integer(0, 1000), required=True),
        Col("is_active", bool, default=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))

slot_bookings = mount(api, Resource(
    path="message-slot-bookings", model="MessageSlotBooking", table="message_slot_bookings", tag=TAGS[0],
    policy=Owned(owner="sender_id", can_delete=False), ops=READ_ONLY,
    description="A slot your message holds with its receiver until it expires. The receiver is not "
                "named: you may not know who they are.",
    columns=(
        server("id", UUID),
        server("sender_id", UUID),
        server("message_type_id", UUID, filter=True),
        server("message_id", UUID, nullable=True),
        server("created_at", datetime),
        server("expires_at", datetime),
    ),
))


@api.get("/me/message-settings", summary="Your message settings and the types you accept", tags=TAGS,
         response=MessageSettings)
async def get_message_settings(ctx: Context) -> MessageSettings:
    return await typed_messages.get_settings(ctx.svc, ctx.user)


@api.patch("/me/message-settings", summary="Change your message settings; turn types on or off", tags=TAGS,
           body=MessageSettingsIn, response=MessageSettings)
async def update_message_settings(ctx: Context, body: MessageSettingsIn) -> MessageSettings:
    return await typed_messages.update_settings(ctx.svc, ctx.user, body)


@api.post("/typed-messages", summary="Message someone; books one of their slots of the type", tags=TAGS,
          body=FirstMessageIn, response=TypedMessageOut, status=201,
          errors=("not_found", "forbidden", "limit_reached"))
async def send_typed_message(ctx: Context, body: FirstMessageIn) -> TypedMessageOut:
    return await typed_messages.send_first(ctx.svc, ctx.user, body)


@api.get("/typed-conversations", summary="Your typed conversations", tags=TAGS, query=PageQuery,
         response=TypedConversationPage)
async def list_typed_conversations(ctx: Context, query: PageQuery) -> TypedConversationPage:
    return await typed_messages.list_conversations(ctx.svc, ctx.user, query)


@api.get("/typed-conversations/{id}", summary="A typed conversation", tags=TAGS, response=TypedConversationOut,
         errors=("not_found",))
async def get_typed_conversation(ctx: Context, id: UUID) -> TypedConversationOut:
    return await typed_messages.get_conversation(ctx.svc, ctx.user, id)


@api.get("/typed-conversations/{id}/messages", summary="Messages of a conversation, newest first", tags=TAGS,
         query=PageQuery, response=TypedMessagePage, errors=("not_found",))
async def list_typed_messages(ctx: Context, id: UUID, query: PageQuery) -> TypedMessagePage:
    return await typed_messages.list_messages(ctx.svc, ctx.user, id, query)


@api.post("/typed-conversations/{id}/messages", summary="Reply in a conversation", tags=TAGS, body=ReplyIn,
          response=TypedMessageOut, status=201, errors=("not_found", "forbidden", "limit_reached"))
async def reply_typed_message(ctx: Context, id: UUID, body: ReplyIn) -> TypedMessageOut:
    return await typed_messages.reply(ctx.svc, ctx.user, id, body)


@api.post("/typed-conversations/{id}/read", summary="Mark what you received in a conversation as read",
          tags=TAGS, response=ReadOut, errors=("not_found",))
async def read_typed_conversation(ctx: Context, id: UUID) -> ReadOut:
    return await typed_messages.mark_read(ctx.svc, ctx.user, id)


@api.post("/identity-revelations", summary="Let someone see your real name on one message type", tags=TAGS,
          body=RevelationIn, response=RevelationOut, status=201, errors=("not_found",))
async def reveal_identity(ctx: Context, body: RevelationIn) -> Reply:
    """Revealing again to the same person for the same type answers 200 with the existing revelation."""
    revelation, created = await identities.reveal(ctx.svc, ctx.user, body)
    return Reply(revelation, status=201 if created else 200)


@api.get("/identity-revelations", summary="Whom you revealed yourself to", tags=TAGS, query=PageQuery,
         response=RevelationPage)
async def list_identity_revelations(ctx: Context, query: PageQuery) -> RevelationPage:
    return await identities.list_revelations(ctx.svc, ctx.user, query)
