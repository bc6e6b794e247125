"""Accounts over HTTP: thin handlers over actions.auth and actions.me."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import auth, me
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.accounts import (
    Accepted,
    LoginIn,
    MeOut,
    MeUpdateIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    SessionList,
    TokensOut,
    UserOut,
)

api = Api()
AUTH = ("auth",)
ACCOUNT = ("account",)


@api.post("/auth/register", summary="Create an account", tags=AUTH, auth=False, body=RegisterIn,
          response=MeOut, status=201, errors=("conflict", "rate_limited"))
async def register(ctx: Context, body: RegisterIn) -> MeOut:
    await ctx.svc.limit("auth", ctx.client_ip, ctx.svc.settings.rate_auth)
    return MeOut(user=await auth.register(ctx.svc, body))


@api.post("/auth/login", summary="Sign in with email or username", tags=AUTH, auth=False, body=LoginIn,
          response=TokensOut, errors=("unauthorized", "rate_limited"))
async def login(ctx: Context, body: LoginIn) -> TokensOut:
    # Per address and account: guessing one account's password is slow, a shared NAT is not locked out.
    await ctx.svc.limit("auth", f"{ctx.client_ip}|{body.login.lower()}", ctx.svc.settings.rate_auth)
    return await auth.login(ctx.svc, body, user_agent=ctx.header("User-Agent"), ip_address=ctx.client_ip)


@api.post("/auth/refresh", summary="Rotate the refresh token for new tokens", tags=AUTH, auth=False,
          body=RefreshIn, response=TokensOut, errors=("unauthorized",))
async def refresh(ctx: Context, body: RefreshIn) -> TokensOut:
    return await auth.refresh(ctx.svc, body)


@api.post("/auth/logout", summary="Revoke this session and disconnect its sockets", tags=AUTH, status=204)
async def logout(ctx: Context) -> Reply:
    await auth.logout(ctx.svc, ctx.user)
    return Reply(None, status=204)


@api.post("/auth/password-reset", summary="Mail a password reset token", tags=AUTH, auth=False,
          body=PasswordResetIn, response=Accepted, status=202, errors=("rate_limited",))
async def password_reset(ctx: Context, body: PasswordResetIn) -> Accepted:
    await ctx.svc.limit("auth", ctx.client_ip, ctx.svc.settings.rate_auth)
    await auth.request_password_reset(ctx.svc, body)
    return Accepted()


@api.post("/auth/password-reset/confirm", summary="Set a new password with a reset token", tags=AUTH,
          auth=False, body=PasswordResetConfirmIn, response=Accepted)
async def password_reset_confirm(ctx: Context, body: PasswordResetConfirmIn) -> Accepted:
    await auth.confirm_password_reset(ctx.svc, body)
    return Accepted()


@api.get("/me", summary="The signed-in account", tags=ACCOUNT, response=MeOut)
async def get_me(ctx: Context) -> MeOut:
    return MeOut(user=await me.get_me(ctx.svc, ctx.user))


@api.patch("/me", summary="Change the signed-in account", tags=ACCOUNT, body=MeUpdateIn, response=MeOut)
async def patch_me(ctx: Context, body: MeUpdateIn) -> MeOut:
    return MeOut(user=await me.update_me(ctx.svc, ctx.user, body))


@api.get("/me/sessions", summary="Signed-in devices", tags=ACCOUNT, response=SessionList)
async def list_sessions(ctx: Context) -> SessionList:
    return await me.list_sessions(ctx.svc, ctx.user)


@api.delete("/me/sessions/{sessionId}", summary="Sign a device out", tags=ACCOUNT, status=204,
            errors=("not_found",))
async def revoke_session(ctx: Context, sessionId: UUID) -> Reply:  # noqa: N803 - the path's name
    await auth.revoke_session(ctx.svc, ctx.user, sessionId, reason="revoked by user")
    return Reply(None, status=204)


@api.get("/users/{userId}", summary="A user's public profile", tags=ACCOUNT, response=UserOut,
         errors=("not_found",))
async def get_user(ctx: Context, userId: UUID) -> UserOut:  # noqa: N803
    return UserOut(user=await me.get_user(ctx.svc, ctx.user, userId))
