"""Invite links and referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from chatserver.actions import invites
from chatserver.actions.policies import Owned
from chatserver.http.api import Api, Context
from chatserver.http.resources import READ_ONLY, Col, Resource, create_body, mount, server
from chatserver.schemas.base import InputModel, WireModel
from chatserver.schemas.fields import Email
from chatserver.schemas.invites import InviteLinkIn, Redeemed, RedeemIn

api = Api()
TAGS = ("invites",)

invite_links = mount(api, Resource(
    path="invite-links", model="InviteLink", table="invite_links", tag=TAGS[0],
    policy=Owned(owner="created_by"), ops=frozenset({"list", "get", "delete"}),
    description="A single-use invite link that expires. Whoever redeems it records you as their invite source.",
    columns=(
        server("id", UUID),
        server("code", UUID),
        server("created_by", UUID),
        server("used_by", UUID, nullable=True),
        server("is_used", bool),
        server("used_at", datetime, nullable=True),
        server("created_at", datetime),
        server("expires_at", datetime),
    ),
))


@api.post("/invite-links", summary="Create an invite link", tags=TAGS, body=InviteLinkIn,
          response=invite_links.out, status=201)
async def create_invite_link(ctx: Context, body: InviteLinkIn) -> WireModel:
    return invite_links.render(await invites.create_link(ctx.svc, ctx.user, invite_links.rules, body))


@api.post("/invite-links/redeem", summary="Redeem an invite link", tags=TAGS, body=RedeemIn, response=Redeemed,
          errors=("not_found", "conflict"))
async def redeem_invite_link(ctx: Context, body: RedeemIn) -> Redeemed:
    """Unknown codes are 404; used ones 409; expired ones 422 with reason `expired`."""
    return await invites.redeem(ctx.svc, ctx.user, body)


referrals = mount(api, Resource(
    path="referrals", model="Referral", table="referrals", tag=TAGS[0], policy=invites.ReferralPolicy(),
    ops=READ_ONLY,
    description="A referral of someone by email. The sender becomes verified when three are accepted.",
    columns=(
        server("id", UUID),
        server("sender_id", UUID, filter=True),
        Col("recipient_email", Email, required=True),
        server("recipient_user_id", UUID, nullable=True),
        server("status", Literal["pending", "accepted", "declined"], filter=True),
        server("created_at", datetime),
        server("responded_at", datetime, nullable=True),
    ),
))
referral_body = create_body(referrals.resource)


@api.post("/referrals", summary="Refer someone by email", tags=TAGS, body=referral_body, response=referrals.out,
          status=201, errors=("conflict",))
async def create_referral(ctx: Context, body: InputModel) -> WireModel:
    return referrals.render(await invites.refer(ctx.svc, ctx.user, referrals.rules, body.model_dump()))


@api.post("/referrals/{id}/accept", summary="Accept a referral addressed to you", tags=TAGS,
          response=referrals.out, errors=("not_found", "forbidden", "conflict"))
async def accept_referral(ctx: Context, id: UUID) -> WireModel:
    return referrals.render(await invites.answer(ctx.svc, ctx.user, referrals.rules, id, accept=True))


@api.post("/referrals/{id}/decline", summary="Decline a referral addressed to you", tags=TAGS,
          response=referrals.out, errors=("not_found", "forbidden", "conflict"))
async def decline_referral(ctx: Context, id: UUID) -> WireModel:
    return referrals.render(await invites.answer(ctx.svc, ctx.user, referrals.rules, id, accept=False))
