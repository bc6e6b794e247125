"""A message over HTTP: read, edit (If-Match), delete, edit history, reactions, pin."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import messages
from chatserver.errors import invalid
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.messages import (
    DeletedOut,
    Emoji,
    MessageEditList,
    MessageOut,
    MessagePatchIn,
    ReactionsOut,
)

api = Api()
TAGS = ("messages",)
NOT_MINE = ("not_found", "forbidden")


def _etag(reply_body: MessageOut) -> dict[str, str]:
    return {"ETag": f'"{reply_body.message.version}"'}


@api.get("/messages/{messageId}", summary="A message; its version is the ETag", tags=TAGS, response=MessageOut,
         errors=("not_found",))
async def get_message(ctx: Context, messageId: UUID) -> Reply:  # noqa: N803
    body = MessageOut(message=await messages.get(ctx.svc, ctx.user, messageId))
    return Reply(body, headers=_etag(body))


@api.patch("/messages/{messageId}", summary="Edit your message; If-Match (or version) must be current",
           tags=TAGS, body=MessagePatchIn, response=MessageOut,
           errors=(*NOT_MINE, "version_conflict", "conflict", "payload_too_large", "rate_limited"))
async def edit_message(ctx: Context, messageId: UUID, body: MessagePatchIn) -> Reply:  # noqa: N803
    header_version = ctx.if_match_version()
    if header_version is not None and body.version is not None and header_version != body.version:
        raise invalid({"version": "differs from If-Match"})
    version = header_version if header_version is not None else body.version
    if version is None:
        version = (await messages.get(ctx.svc, ctx.user, messageId)).version
    result = MessageOut(message=await messages.edit(ctx.svc, ctx.user, messageId, version, body.content))
    return Reply(result, headers=_etag(result))


@api.delete("/messages/{messageId}", summary="Delete a message (author or moderator); If-Match optional",
            tags=TAGS, response=DeletedOut, errors=(*NOT_MINE, "version_conflict", "rate_limited"))
async def delete_message(ctx: Context, messageId: UUID) -> DeletedOut:  # noqa: N803
    return await messages.delete(ctx.svc, ctx.user, messageId, expected_version=ctx.if_match_version())


@api.get("/messages/{messageId}/edits", summary="Earlier contents of an edited message", tags=TAGS,
         response=MessageEditList, errors=("not_found",))
async def edit_history(ctx: Context, messageId: UUID) -> MessageEditList:  # noqa: N803
    return await messages.edit_history(ctx.svc, ctx.user, messageId)


@api.put("/messages/{messageId}/reactions/{emoji}", summary="Add your reaction", tags=TAGS,
         response=ReactionsOut, path_types={"emoji": Emoji}, errors=(*NOT_MINE, "conflict", "rate_limited"))
async def add_reaction(ctx: Context, messageId: UUID, emoji: str) -> ReactionsOut:  # noqa: N803
    return await messages.react(ctx.svc, ctx.user, messageId, emoji, add=True)


@api.delete("/messages/{messageId}/reactions/{emoji}", summary="Remove your reaction", tags=TAGS,
            response=ReactionsOut, path_types={"emoji": Emoji}, errors=(*NOT_MINE, "conflict", "rate_limited"))
async def remove_reaction(ctx: Context, messageId: UUID, emoji: str) -> ReactionsOut:  # noqa: N803
    return await messages.react(ctx.svc, ctx.user, messageId, emoji, add=False)


@api.put("/messages/{messageId}/pin", summary="Pin a message", tags=TAGS, response=MessageOut,
         errors=(*NOT_MINE, "conflict", "rate_limited"))
async def pin(ctx: Context, messageId: UUID) -> MessageOut:  # noqa: N803
    return MessageOut(message=await messages.pin(ctx.svc, ctx.user, messageId, True))


@api.delete("/messages/{messageId}/pin", summary="Unpin a message", tags=TAGS, response=MessageOut,
            errors=(*NOT_MINE, "conflict", "rate_limited"))
async def unpin(ctx: Context, messageId: UUID) -> MessageOut:  # noqa: N803
    return MessageOut(message=await messages.pin(ctx.svc, ctx.user, messageId, False))
