"""Connections, notifications and connection messages on the wire."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import Content, text
from chatserver.schemas.pagination import Page, PageQuery

ConnectionStatus = Literal["pending", "accepted", "rejected", "blocked"]
NotificationType = Literal["connection_request", "connection_accepted", "connection_rejected"]


class ConnectionIn(InputModel):
    receiver_id: UUID
    message: text(2000) | None = None


class NotificationOut(WireModel):
    """A notification; also the payload of the `notification:new` socket event."""

    id: UUID
    user_id: UUID
    type: NotificationType
    title: str
    message: str
    related_user_id: UUID | None
    related_connection_id: UUID | None
    is_read: bool
    created_at: Timestamp


class ReadAllOut(WireModel):
    marked_read: int


class ConnectionMessageIn(InputModel):
    receiver_id: UUID
    message: Content


class ConnectionMessageOut(WireModel):
    id: UUID
    sender_id: UUID
    receiver_id: UUID
    message: str
    is_read: bool
    created_at: Timestamp
    updated_at: Timestamp


class ConnectionMessagePage(Page[ConnectionMessageOut]):
    pass


class ConnectionMessageQuery(PageQuery):
    with_user_id: UUID | None = Field(None, description="Only the messages between you and this user.")
