"""Connections, notifications and messages between connected people."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatserver.actions import connections, resources
from chatserver.actions.policies import Owned
from chatserver.http.api import Api, Context, Reply
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.base import WireModel
from chatserver.schemas.connections import (
    ConnectionIn,
    ConnectionMessageIn,
    ConnectionMessageOut,
    ConnectionMessagePage,
    ConnectionMessageQuery,
    ConnectionStatus,
    NotificationOut,
    NotificationType,
    ReadAllOut,
)

api = Api()
TAGS = ("connections",)

connection_rows = mount(api, Resource(
    path="connections", model="Connection", table="connections", tag=TAGS[0],
    policy=connections.ConnectionPolicy(), ops=frozenset({"list", "get", "delete"}),
    description="A connection between two people: pending until the receiver accepts or rejects it; or a block "
                "(status `blocked`, sender the blocker), which only the blocker sees.",
    columns=(
        server("id", UUID),
        server("sender_id", UUID, filter=True),
        server("receiver_id", UUID, filter=True),
        server("status", ConnectionStatus, filter=True),
        server("message", str, nullable=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))


async def _connection(ctx: Context, connection_id: UUID) -> WireModel:
    return connection_rows.render(await resources.get_row(ctx.svc, ctx.user, connection_rows.rules, connection_id))


@api.post("/connections", summary="Ask someone to connect; they are notified", tags=TAGS, body=ConnectionIn,
          response=connection_rows.out, status=201, errors=("not_found", "forbidden", "conflict"))
async def request_connection(ctx: Context, body: ConnectionIn) -> WireModel:
    return await _connection(ctx, await connections.request(ctx.svc, ctx.user, body))


@api.put("/users/{userId}/block", summary="Block someone (again changes nothing)", tags=TAGS,
         response=connection_rows.out, errors=("not_found",))
async def block_user(ctx: Context, userId: UUID) -> WireModel:  # noqa: N803 - the path's name
    """Their connection with you, if any, is removed. Until you unblock them, neither of you sees the other's
    profile, posts, comments or events, and connection requests and direct messages between you are refused
    both ways. The block is a connection with status `blocked` that only you see."""
    return await _connection(ctx, await connections.block(ctx.svc, ctx.user, userId))


@api.delete("/users/{userId}/block", summary="Unblock someone (restores nothing; unblocking twice is fine)",
            tags=TAGS, status=204)
async def unblock_user(ctx: Context, userId: UUID) -> Reply:  # noqa: N803 - the path's name
    await connections.unblock(ctx.svc, ctx.user, userId)
    return Reply(None, status=204)


@api.post("/connections/{id}/accept", summary="Accept a connection request", tags=TAGS,
          response=connection_rows.out, errors=("not_found", "forbidden", "conflict"))
async def accept_connection(ctx: Context, id: UUID) -> WireModel:
    return await _connection(ctx, await connections.answer(ctx.svc, ctx.user, id, accept=True))


@api.post("/connections/{id}/reject", summary="Reject a connection request", tags=TAGS,
          response=connection_rows.out, errors=("not_found", "forbidden", "conflict"))
async def reject_connection(ctx: Context, id: UUID) -> WireModel:
    return await _connection(ctx, await connections.answer(ctx.svc, ctx.user, id, accept=False))


notifications = mount(api, Resource(
    path="notifications", model="Notification", table="notifications", tag=TAGS[0], out=NotificationOut,
    policy=Owned(admin_sees_all=False), ops=frozenset({"list", "get", "update", "delete"}),
    description="Your notifications. New ones also arrive on your sockets as `notification:new`.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        server("type", NotificationType, filter=True),
        server("title", str),
        server("message", str),
        server("related_user_id", UUID, nullable=True),
        server("related_connection_id", UUID, nullable=True),
        Col("is_read", bool, create=False, filter=True),
        server("created_at", datetime),
    ),
))


@api.post("/notifications/read-all", summary="Mark all your notifications read", tags=TAGS, response=ReadAllOut)
async def read_all_notifications(ctx: Context) -> ReadAllOut:
    return await connections.read_all_notifications(ctx.svc, ctx.user)


connection_messages = mount(api, Resource(
    path="connection-messages", model="ConnectionMessage", table="connection_messages", tag=TAGS[0],
    out=ConnectionMessageOut, policy=connections.SenderDeletes(), ops=frozenset({"get", "delete"}),
    description="A direct message between two accepted connections.",
    columns=tuple(server(name, object) for name in
                  ("id", "sender_id", "receiver_id", "message", "is_read", "created_at", "updated_at")),
))


@api.post("/connection-messages", summary="Message one of your connections", tags=TAGS, body=ConnectionMessageIn,
          response=ConnectionMessageOut, status=201, errors=("forbidden",))
async def send_connection_message(ctx: Context, body: ConnectionMessageIn) -> ConnectionMessageOut:
    return await connections.send_message(ctx.svc, ctx.user, body)


@api.get("/connection-messages", summary="Messages you sent or received, newest first", tags=TAGS,
         query=ConnectionMessageQuery, response=ConnectionMessagePage)
async def list_connection_messages(ctx: Context, query: ConnectionMessageQuery) -> ConnectionMessagePage:
    return await connections.list_messages(ctx.svc, ctx.user, query)


@api.post("/connection-messages/{id}/read", summary="Mark a message you received as read", tags=TAGS,
          response=ConnectionMessageOut, errors=("not_found",))
async def read_connection_message(ctx: Context, id: UUID) -> ConnectionMessageOut:
    return await connections.mark_message_read(ctx.svc, ctx.user, id)
