"""Attachments over HTTP: multipart upload, then download by whoever may read the message."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import Field

from chatserver.actions import attachments
from chatserver.errors import invalid, payload_too_large
from chatserver.http.api import Api, Context
from chatserver.schemas.base import InputModel
from chatserver.schemas.messages import AttachmentOut

api = Api()
TAGS = ("attachments",)


class UploadForm(InputModel):
    """multipart/form-data with one part named `file`."""

    file: bytes = Field(json_schema_extra={"format": "binary"})


async def _read_file_part(ctx: Context) -> tuple[str, str, bytes]:
    if not ctx.request.content_type.startswith("multipart/"):
        raise invalid({"file": "send multipart/form-data with a part named file"})
    limit = ctx.svc.settings.max_upload_bytes
    try:
        return await _first_file_part(ctx, limit)
    except (ValueError, AssertionError, aiohttp.ClientError, HttpProcessingError) as exc:  # malformed multipart
        raise invalid({"file": f"unreadable multipart body: {exc}"}) from None


async def _first_file_part(ctx: Context, limit: int) -> tuple[str, str, bytes]:
    reader = await ctx.request.multipart()
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader):
            continue
        if part.name != "file":
            continue
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data.extend(chunk)
            if len(data) > limit:
                raise payload_too_large(f"files are limited to {limit} bytes", limit=limit)
        return part.filename or "file", part.headers.get("Content-Type", ""), bytes(data)
    raise invalid({"file": "no part named file"})


def _content_disposition(file_name: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and the exact name, percent-encoded, in `filename*`."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in file_name)
    if ascii_name == file_name:
        return f'attachment; filename="{file_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


@api.post("/attachments", summary="Upload a file to attach to a message", tags=TAGS, body=UploadForm,
          body_kind="multipart", response=AttachmentOut, status=201, errors=("payload_too_large",))
async def upload(ctx: Context) -> AttachmentOut:
    file_name, mime_type, data = await _read_file_part(ctx)
    return AttachmentOut(attachment=await attachments.upload(ctx.svc, ctx.user, file_name=file_name,
                                                             mime_type=mime_type, data=data))


@api.get("/attachments/{attachmentId}", summary="Download a file (its bytes, not JSON)", tags=TAGS,
         errors=("not_found",))
async def download(ctx: Context, attachmentId: UUID) -> web.StreamResponse:  # noqa: N803
    attachment, path, file_name = await attachments.readable(ctx.svc, ctx.user, attachmentId)
    return web.FileResponse(path, headers={
        "Content-Type": attachment.mime_type,
        "Content-Disposition": _content_disposition(file_name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    })
