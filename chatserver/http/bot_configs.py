"""A community's Discord bot configuration (its admins and owner). The token is written, never read."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import bot_configs
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.bot_configs import BotConfigIn, BotConfigOut

api = Api()
TAGS = ("discord bots",)
ERRORS = ("not_found", "forbidden")


@api.get("/communities/{id}/bot", summary="The community's Discord bot configuration (configured, tokenSet; never the token)",
         tags=TAGS, response=BotConfigOut, errors=ERRORS)
async def get_bot_config(ctx: Context, id: UUID) -> BotConfigOut:
    return await bot_configs.get_config(ctx.svc, ctx.user, id)


@api.put("/communities/{id}/bot", summary="Create or replace the bot configuration; botToken is stored encrypted",
         tags=TAGS, body=BotConfigIn, response=BotConfigOut, errors=(*ERRORS, "unavailable"))
async def put_bot_config(ctx: Context, id: UUID, body: BotConfigIn) -> BotConfigOut:
    return await bot_configs.put_config(ctx.svc, ctx.user, id, body)


@api.delete("/communities/{id}/bot", summary="Remove the bot configuration and its token (again: no-op)", tags=TAGS,
            status=204,
            errors=ERRORS)
async def delete_bot_config(ctx: Context, id: UUID) -> Reply:
    await bot_configs.delete_config(ctx.svc, ctx.user, id)
    return Reply(None, status=204)
