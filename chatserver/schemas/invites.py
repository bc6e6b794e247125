"""Invite links on the wire (referrals and the links themselves are registry resources)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, WireModel


class InviteLinkIn(InputModel):
    expires_in: int | None = Field(None, ge=60, le=365 * 86400,
                                   description="Seconds until it expires; the server's default when absent.")


class RedeemIn(InputModel):
    code: UUID


class Redeemed(WireModel):
    invite_link_id: UUID
