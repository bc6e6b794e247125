"""Invite links (single use, expiring) and referrals (three accepted make a user verified)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions import resources
from chatserver.actions.context import Principal, Services
from chatserver.actions.policies import Owned
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.schemas.invites import InviteLinkIn, Redeemed, RedeemIn
from chatserver.store import generic, invites, users
from chatserver.store.generic import AnyOf, EmailIsUsers, UserIs

REFERRALS_TO_VERIFY = 3


async def create_link(svc: Services, principal: Principal, rules: resources.Rules,
                      body: InviteLinkIn) -> asyncpg.Record:
    lifetime = timedelta(seconds=body.expires_in or svc.settings.invite_link_ttl)
    return await resources.create_row(svc, principal, rules, {"expires_at": datetime.now(UTC) + lifetime})


async def redeem(svc: Services, principal: Principal, body: RedeemIn) -> Redeemed:
    """Use someone's invite link: it is spent, and they become the caller's invite source."""
    async with svc.db.transaction("redeem_invite_link") as conn:
        link = await invites.link_by_code(conn, body.code, lock=True)
        if link is None:
            raise not_found("invite link")
        if link["is_used"]:
            raise conflict("this invite link has been used", reason="used")
        if link["expired"]:
            raise invalid({"code": "expired"}, "this invite link has expired", reason="expired")
        if link["created_by"] == principal.user_id:
            raise invalid({"code": "this is your own invite link"})
        profile = await invites.lock_profile(conn, principal.user_id)
        if profile["invite_source_id"] is not None:
            raise conflict("you joined through an invite already", reason="already_invited")
        await invites.use_link(conn, link["id"], principal.user_id)
        await invites.set_invite_source(conn, principal.user_id, link["created_by"])
    return Redeemed(invite_link_id=link["id"])


@dataclass(frozen=True)
class ReferralPolicy(Owned):
    """Seen by the sender and by the person it is addressed to (by email, or once answered)."""

    owner: str = "sender_id"

    def member_scope(self, principal: Principal) -> Any:
        return AnyOf((UserIs("sender_id"), UserIs("recipient_user_id"), EmailIsUsers("recipient_email")))


async def refer(svc: Services, principal: Principal, rules: resources.Rules,
                values: Mapping[str, Any]) -> asyncpg.Record:
    async with svc.db.connection() as conn:
        me = await users.by_id(conn, principal.user_id)
    if me["email"] and me["email"].lower() == values["recipient_email"].lower():
        raise invalid({"recipientEmail": "you cannot refer yourself"})
    return await resources.create_row(svc, principal, rules, values)


async def answer(svc: Services, principal: Principal, rules: resources.Rules, referral_id: UUID,
                 accept: bool) -> asyncpg.Record:
    """Accept or decline a referral addressed to the caller's email address."""
    async with svc.db.transaction("answer_referral") as conn:
        visible = await generic.get_row(conn, rules.table, ReferralPolicy().member_scope(principal),
                                        principal.user_id, referral_id)
        if visible is None:
            raise not_found("referral")
        referral = await invites.referral_for_update(conn, referral_id)
        me = await users.by_id(conn, principal.user_id)
        if not me["email"] or referral["recipient_email"].lower() != me["email"].lower():
            raise forbidden("only the person referred may answer a referral")
        if referral["status"] != "pending":
            raise conflict(f"this referral was {referral['status']} already")
        await invites.answer_referral(conn, referral_id, principal.user_id, "accepted" if accept else "declined")
        if accept:
            # The sender's profile lock makes concurrent acceptances count one after another.
            await invites.lock_profile(conn, referral["sender_id"])
            if await invites.accepted_referrals(conn, referral["sender_id"]) >= REFERRALS_TO_VERIFY:
                await invites.mark_verified(conn, referral["sender_id"])
        return await generic.get_row(conn, rules.table, generic.Everyone(), principal.user_id, referral_id)

