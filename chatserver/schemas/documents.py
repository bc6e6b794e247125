"""Documents and their versions on the wire."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import text
from chatserver.schemas.pagination import Page

Kind = Literal["text", "code", "image", "sheet"]


class DocumentIn(InputModel):
    title: text(200, 1)
    content: text(1_000_000) | None = None
    kind: Kind = "text"


class DocumentOut(WireModel):
    """One version of a document: (id, createdAt) names it."""

    id: UUID
    created_at: Timestamp = Field(description="When this version was made; with id, the version's key.")
    title: str
    content: str | None
    kind: Kind
    user_id: UUID
    version_count: int | None = None


class DocumentPage(Page[DocumentOut]):
    pass
