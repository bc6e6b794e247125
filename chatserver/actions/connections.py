"""Connections (pending, accepted, rejected; one per pair), their notifications, delivered
live as `notification:new`, and direct messages, allowed only between accepted connections.

Blocks (SmileFactory): a person blocks another, replacing the pair's connection; a block between two
people hides each one's profile, posts, comments and events from the other and refuses connection
requests and direct messages (connection messages and the realtime core's conversations) both
ways. Unblocking removes the block and restores nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.actions.policies import Policy
from chatserver.broker import Event, rooms
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.schemas.connections import (
    ConnectionIn,
    ConnectionMessageIn,
    ConnectionMessageOut,
    ConnectionMessagePage,
    ConnectionMessageQuery,
    NotificationOut,
    ReadAllOut,
)
from chatserver.schemas.events import (
    CONNECTION_MESSAGE_NEW,
    NOTIFICATION_NEW,
    ConnectionMessageEvent,
    NotificationEvent,
)
from chatserver.schemas.pagination import fetch_page
from chatserver.store import connections, users
from chatserver.store.generic import AnyOf, UserIs

PARTIES = AnyOf((UserIs("sender_id"), UserIs("receiver_id")))


async def refuse_if_blocked(conn: asyncpg.Connection, one: UUID, other: UUID, what: str) -> None:
    """`forbidden` when either person has blocked the other; `what` names what the block refuses."""
    if await connections.is_blocked(conn, one, other):
        raise forbidden(f"{what} refused: one of you has blocked the other")


@dataclass(frozen=True)
class ConnectionPolicy(Policy):
    """Seen by both people; either may remove it, except that a rejection stays until the
    person who rejected removes it (so it cannot be asked again at once). A block is seen by its
    blocker only and removed by unblocking."""

    admin_sees_all: bool = False

    def member_scope(self, principal: Principal) -> Any:
        return connections.VisibleConnection()

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        if op != "delete":
            raise forbidden("use accept or reject")
        if row["status"] == "blocked":
            raise forbidden("a block is removed with DELETE /api/v1/users/{id}/block")
        if row["status"] == "rejected" and row["receiver_id"] != principal.user_id and not principal.is_admin:
            raise forbidden("a rejected request is removed by the person who rejected it")


@dataclass(frozen=True)
class SenderDeletes(Policy):
    """Direct messages: both people read them, the sender deletes them."""

    admin_sees_all: bool = False

    def member_scope(self, principal: Principal) -> Any:
        return PARTIES

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        if row["sender_id"] != principal.user_id:
            raise forbidden(f"only the sender may {op} a message")


def _name(user: Mapping[str, Any]) -> str:
    return user["display_name"] or user["username"]


def _notification_event(row: asyncpg.Record) -> Event:
    notification = NotificationEvent(notification=NotificationOut.from_row(row))
    return NOTIFICATION_NEW.to((rooms.user(row["user_id"]),), notification)


async def request(svc: Services, principal: Principal, body: ConnectionIn) -> UUID:
    if body.receiver_id == principal.user_id:
        raise invalid({"receiverId": "you cannot connect to yourself"})
    async with svc.db.transaction("request_connection") as conn:
        await access.active_user(conn, body.receiver_id)
        await connections.lock_pair(conn, principal.user_id, body.receiver_id)
        await refuse_if_blocked(conn, principal.user_id, body.receiver_id, "connection requests")
        try:
            connection_id = await connections.request(conn, principal.user_id, body.receiver_id, body.message)
        except connections.AlreadyConnected:
            existing = await connections.between(conn, principal.user_id, body.receiver_id)
            raise conflict("you two have a connection or a request already",
                           connectionId=str(existing["id"]) if existing else None,
                           status=existing["status"] if existing else None) from None
        sender = await users.by_id(conn, principal.user_id)
        notification = await connections.notify(
            conn, user_id=body.receiver_id, kind="connection_request", title="New connection request",
            message=f"{_name(sender)} wants to connect", related_user_id=principal.user_id,
            related_connection_id=connection_id)
        svc.publish_after_commit(_notification_event(notification))
    return connection_id


async def answer(svc: Services, principal: Principal, connection_id: UUID, accept: bool) -> UUID:
    """The receiver accepts or rejects a pending request; the sender is notified."""
    status = "accepted" if accept else "rejected"
    async with svc.db.transaction("answer_connection") as conn:
        row = await connections.lock(conn, connection_id)
        if row is None or principal.user_id not in (row["sender_id"], row["receiver_id"]) or (
                row["status"] == "blocked" and row["sender_id"] != principal.user_id):
            raise not_found("connection")
        if row["receiver_id"] != principal.user_id:
            raise forbidden("only the person asked may answer a request")
        if row["status"] != "pending":
            raise conflict(f"this request was {row['status']} already")
        await connections.set_status(conn, connection_id, status)
        me = await users.by_id(conn, principal.user_id)
        notification = await connections.notify(
            conn, user_id=row["sender_id"], kind=f"connection_{status}",
            title=f"Connection request {status}", message=f"{_name(me)} {status} your request",
            related_user_id=principal.user_id, related_connection_id=connection_id)
        svc.publish_after_commit(_notification_event(notification))
    return connection_id


async def read_all_notifications(svc: Services, principal: Principal) -> ReadAllOut:
    async with svc.db.transaction("read_all_notifications") as conn:
        return ReadAllOut(marked_read=await connections.read_all_notifications(conn, principal.user_id))


async def send_message(svc: Services, principal: Principal, body: ConnectionMessageIn) -> ConnectionMessageOut:
    async with svc.db.transaction("send_connection_message") as conn:
        await refuse_if_blocked(conn, principal.user_id, body.receiver_id, "messages")
        connection = await connections.between(conn, principal.user_id, body.receiver_id)
        if connection is None or connection["status"] != "accepted" or body.receiver_id == principal.user_id:
            raise forbidden("you can only message people you are connected with")
        message = ConnectionMessageOut.from_row(
            await connections.insert_message(conn, principal.user_id, body.receiver_id, body.message))
        svc.publish_after_commit(CONNECTION_MESSAGE_NEW.to((rooms.user(body.receiver_id), rooms.user(principal.user_id)),
                                                           ConnectionMessageEvent(message=message)))
    return message


async def list_messages(svc: Services, principal: Principal, query: ConnectionMessageQuery) -> ConnectionMessagePage:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: connections.messages(
            conn, principal.user_id, with_user_id=query.with_user_id, after=after, limit=limit))
    return ConnectionMessagePage.of(window, ConnectionMessageOut.from_row)


async def mark_message_read(svc: Services, principal: Principal, message_id: UUID) -> ConnectionMessageOut:
    async with svc.db.transaction("read_connection_message") as conn:
        row = await connections.mark_message_read(conn, message_id, principal.user_id)
    if row is None:
        raise not_found("message")
    return ConnectionMessageOut.from_row(row)


async def block(svc: Services, principal: Principal, user_id: UUID) -> UUID:
    """Block someone: their connection with the caller, if any, goes; blocking twice is blocking once."""
    if user_id == principal.user_id:
        raise invalid({"userId": "you cannot block yourself"})
    async with svc.db.transaction("block_user") as conn:
        await access.active_user(conn, user_id)
        await connections.lock_pair(conn, principal.user_id, user_id)
        return (await connections.block(conn, principal.user_id, user_id))["id"]


async def unblock(svc: Services, principal: Principal, user_id: UUID) -> None:
    """Remove the caller's block of someone (if there is one); their own block of the caller stays."""
    async with svc.db.transaction("unblock_user") as conn:
        await connections.unblock(conn, principal.user_id, user_id)
