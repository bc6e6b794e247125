"""Sign-up, sign-in, token refresh, sign-out, password reset, and the token check."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.broker import Event, rooms
from chatserver.errors import conflict, invalid, not_found, unauthorized
from chatserver.schemas.accounts import (
    LoginIn,
    Me,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokensOut,
)
from chatserver.schemas.conversations import ReadyUser
from chatserver.schemas.events import SESSION_REVOKED, SessionRevokedEvent
from chatserver.security.tokens import new_token, token_hash
from chatserver.store import memberships, password_resets, sessions, users
from chatserver.store.memberships import Memberships

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "wrong login or password"


async def register(svc: Services, body: RegisterIn) -> Me:
    password_hash = await svc.passwords.hash(body.password)
    try:
        async with svc.db.transaction("register_user") as conn:
            user = await users.create(conn, email=body.email, username=body.username,
                                      password_hash=password_hash, display_name=body.display_name)
    except users.UsernameTaken:
        raise conflict("username is taken", field="username") from None
    except users.EmailTaken:
        raise conflict("email is already registered", field="email") from None
    return Me.from_row(user)


async def login(svc: Services, body: LoginIn, *, user_agent: str | None, ip_address: str | None) -> TokensOut:
    async with svc.db.connection() as conn:
        user = await users.by_login(conn, body.login)
    # The password is checked even without a user, so both failures take the same time.
    password_ok = await svc.passwords.verify(user["password_hash"] if user else None, body.password)
    if user is None or not password_ok or not user["is_active"] or user["is_banned"]:
        raise unauthorized(WRONG_CREDENTIALS)
    # A hash made at an older cost is replaced now, while the password is at hand.
    rehashed = await svc.passwords.hash(body.password) if svc.passwords.needs_rehash(user["password_hash"]) else None
    access, refresh = new_token(), new_token()
    now = datetime.now(UTC)
    async with svc.db.transaction("login") as conn:
        session = await sessions.create(
            conn, user_id=user["id"], access_hash=token_hash(access), refresh_hash=token_hash(refresh),
            access_expires_at=now + timedelta(seconds=svc.settings.access_token_ttl),
            expires_at=now + timedelta(seconds=svc.settings.refresh_token_ttl),
            user_agent=(user_agent or "")[:512] or None, ip_address=ip_address,
        )
        await users.touch_login(conn, user["id"])
        if rehashed is not None:
            await users.set_password(conn, user["id"], rehashed)
        user = await users.by_id(conn, user["id"])
    return _tokens(access, refresh, session, user)


def _tokens(access: str, refresh: str, session, user) -> TokensOut:
    return TokensOut(
        access_token=access, refresh_token=refresh, expires_at=session["access_expires_at"],
        refresh_expires_at=session["expires_at"], session_id=session["id"], user=Me.from_row(user),
    )


async def refresh(svc: Services, body: RefreshIn) -> TokensOut:
    presented = token_hash(body.refresh_token)
    access, refresh_token = new_token(), new_token()
    reused_session: UUID | None = None
    async with svc.db.transaction("refresh_session") as conn:
        session = await sessions.lock_by_refresh_token(conn, presented)
        if session is None:
            reused_session = await sessions.session_of_used_refresh_token(conn, presented)
            if reused_session is not None:
                # A rotated-away token came back: someone holds a copy. End the session for both.
                await sessions.revoke(conn, reused_session, "refresh token reused")
                svc.publish_after_commit(session_revoked_event(reused_session, "refresh token reused"))
        elif session["revoked_at"] is None and session["expires_at"] > datetime.now(UTC):
            session = await sessions.rotate(
                conn, session["id"], old_refresh_hash=presented, access_hash=token_hash(access),
                refresh_hash=token_hash(refresh_token),
                access_expires_at=datetime.now(UTC) + timedelta(seconds=svc.settings.access_token_ttl),
            )
            user = await users.by_id(conn, session["user_id"])
            if user["is_active"] and not user["is_banned"]:
                return _tokens(access, refresh_token, session, user)
    if reused_session is not None:
        log.warning("refresh token reuse; session revoked", extra={"session_id": str(reused_session)})
    raise unauthorized("refresh token is invalid, expired or revoked")


def session_revoked_event(session_id: UUID, reason: str) -> Event:
    return SESSION_REVOKED.to((rooms.session(session_id),), SessionRevokedEvent(session_id=session_id, reason=reason))


async def authenticate(svc: Services, access_token: str | None) -> Principal:
    """The caller behind an access token, or `unauthorized`."""
    if not access_token or len(access_token) > 256:
        raise unauthorized()
    async with svc.db.connection() as conn:
        return _principal(await sessions.by_access_token(conn, token_hash(access_token)))


async def authenticate_socket(svc: Services, access_token: str | None) -> tuple[Principal, ReadyUser, Memberships]:
    """For a new socket: the caller, who they are as `ready` shows it, and everything they take part in
    (the rooms it joins), in one statement."""
    if not access_token or len(access_token) > 256:
        raise unauthorized()
    async with svc.db.connection() as conn:
        session = await sessions.by_access_token(conn, token_hash(access_token), with_memberships=True)
    principal = _principal(session)
    return principal, ReadyUser.from_row(session, id=principal.user_id), memberships.from_row(session)


def _principal(session: asyncpg.Record | None) -> Principal:
    if session is None:
        raise unauthorized("access token is invalid, expired or revoked")
    if not session["is_active"] or session["is_banned"]:
        raise unauthorized("account is disabled")
    return Principal(user_id=session["user_id"], session_id=session["id"], role=session["role"])


async def logout(svc: Services, principal: Principal) -> None:
    await revoke_session(svc, principal, principal.session_id, reason="logout")


async def revoke_session(svc: Services, principal: Principal, session_id: UUID, *, reason: str) -> None:
    async with svc.db.transaction("revoke_session") as conn:
        session = await sessions.by_id(conn, session_id)
        if session is None or session["user_id"] != principal.user_id:
            raise not_found("session")
        revoked = await sessions.revoke(conn, session_id, reason)
        if revoked:
            svc.publish_after_commit(session_revoked_event(session_id, reason))


async def request_password_reset(svc: Services, body: PasswordResetIn) -> None:
    """Mails a reset link when the address is known; answers the same either way."""
    token = new_token()
    async with svc.db.transaction("request_password_reset") as conn:
        user = await users.by_email(conn, body.email)
        if user is None or not user["is_active"] or user["is_banned"]:
            return
        expires_at = datetime.now(UTC) + timedelta(seconds=svc.settings.password_reset_ttl)
        await password_resets.create(conn, user["id"], token_hash(token), expires_at)
    minutes = svc.settings.password_reset_ttl // 60
    await svc.mailer.send(
        user["email"], "Reset your password",
        f"Someone asked to reset the password of {user['username']}.\n\n"
        f"Reset it here within {minutes} minutes:\n"
        f"{svc.settings.public_url.rstrip('/')}/reset-password?token={token}\n\n"
        f"Or send this token to POST /api/v1/auth/password-reset/confirm:\n{token}\n\n"
        "If it was not you, ignore this mail: nothing changes.\n",
    )


async def confirm_password_reset(svc: Services, body: PasswordResetConfirmIn) -> None:
    """Sets the new password and signs every device out."""
    password_hash = await svc.passwords.hash(body.password)
    async with svc.db.transaction("confirm_password_reset") as conn:
        user_id = await password_resets.consume(conn, token_hash(body.token))
        if user_id is None:
            raise invalid({"token": "invalid"}, "reset token is invalid, used or expired")
        await users.set_password(conn, user_id, password_hash)
        await password_resets.void_for_user(conn, user_id)
        revoked = await sessions.revoke_all_for_user(conn, user_id, "password reset")
        svc.publish_after_commit(*(session_revoked_event(session_id, "password reset") for session_id in revoked))
