"""Attachments: upload first (size and type checked), then reference by id in a message."""

from __future__ import annotations

import uuid
from pathlib import Path
from uuid import UUID

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import attachment_view
from chatserver.errors import invalid, not_found, payload_too_large
from chatserver.schemas.messages import Attachment
from chatserver.store import attachments

# Declared type -> how the file must begin, where the format has a signature.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (),  # 'RIFF' <size> 'WEBP', checked below
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/ogg": (b"OggS",),
    "video/webm": (b"\x1aE\xdf\xa3",),
    "video/mp4": (),  # 'ftyp' at offset 4, checked below
    "text/plain": (),
    "text/markdown": (),
    "text/csv": (),
    "application/json": (),
}


def _looks_like(mime_type: str, data: bytes) -> bool:
    if mime_type == "video/mp4":
        return data[4:8] == b"ftyp"
    if mime_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if mime_type.startswith("text/") or mime_type == "application/json":
        try:
            data[:4096].decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start > 4090  # a multi-byte character cut at the sample's end is fine
        return b"\x00" not in data[:4096]
    return any(data.startswith(signature) for signature in SIGNATURES[mime_type])


def _image_size(mime_type: str, data: bytes) -> tuple[int | None, int | None]:
    if mime_type == "image/png" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if mime_type == "image/gif" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None, None


def _clean_name(file_name: str) -> str:
    name = Path(file_name.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "file"


async def upload(svc: Services, principal: Principal, *, file_name: str, mime_type: str, data: bytes) -> Attachment:
    if len(data) > svc.settings.max_upload_bytes:
        raise payload_too_large(f"files are limited to {svc.settings.max_upload_bytes} bytes",
                                limit=svc.settings.max_upload_bytes)
    if not data:
        raise invalid({"file": "the file is empty"})
    mime_type = mime_type.split(";")[0].strip().lower()
    if mime_type not in SIGNATURES:
        raise invalid({"file": f"files of type {mime_type or 'unknown'} are not accepted"},
                      "unsupported file type")
    if not _looks_like(mime_type, data):
        raise invalid({"file": f"the content is not {mime_type}"}, "file content does not match its type")
    width, height = _image_size(mime_type, data)
    attachment_id = uuid.uuid4()
    storage_key = attachment_id.hex
    await svc.files.save(storage_key, data)
    try:
        async with svc.db.transaction("create_attachment") as conn:
            row = await attachments.create(conn, attachment_id=attachment_id, uploader_id=principal.user_id,
                                           file_name=_clean_name(file_name), storage_key=storage_key,
                                           file_size=len(data), mime_type=mime_type, width=width, height=height)
    except BaseException:
        await svc.files.delete(storage_key)
        raise
    return attachment_view(row)


async def readable(svc: Services, principal: Principal, attachment_id: UUID) -> tuple[Attachment, Path, str]:
    """The attachment, where its bytes are, and its file name: for its uploader, and for whoever may read
    the message it is attached to."""
    async with svc.db.connection() as conn:
        row = await attachments.by_id(conn, attachment_id)
        if row is None:
            raise not_found("attachment")
        if row["uploader_id"] != principal.user_id:
            if row["message_id"] is None:
                raise not_found("attachment")
            await access.message_in_stream(conn, row["message_id"], principal)
    path = svc.files.path(row["storage_key"])
    if path is None:
        raise not_found("attachment")
    return attachment_view(row), path, row["file_name"]
