"""A user's own data over HTTP: export it, erase the account (docs/privacy.md)."""

from __future__ import annotations

from chatserver.actions import privacy
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.privacy import AccountDeleteIn, PersonalDataExport

api = Api()
ACCOUNT = ("account",)


@api.get("/me/export", summary="Everything the server holds about you, as JSON", tags=ACCOUNT,
         response=PersonalDataExport)
async def export(ctx: Context) -> PersonalDataExport:
    return await privacy.export(ctx.svc, ctx.user)


@api.delete("/me", summary="Erase your account (asks for your password)", tags=ACCOUNT, body=AccountDeleteIn,
            status=204, errors=("forbidden", "conflict", "rate_limited"))
async def delete_account(ctx: Context, body: AccountDeleteIn) -> Reply:
    # Like signing in: guessing the password through a stolen token is slow.
    await ctx.svc.limit("auth", f"{ctx.client_ip}|{ctx.user.user_id}", ctx.svc.settings.rate_auth)
    await privacy.delete_account(ctx.svc, ctx.user, body)
    return Reply(None, status=204)
