"""Documents: each save is a new version; suggestions point at one version."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import forbidden, invalid, not_found
from chatserver.schemas.documents import DocumentIn, DocumentOut, DocumentPage
from chatserver.schemas.pagination import PageQuery, fetch_page
from chatserver.store import documents


async def create(svc: Services, principal: Principal, body: DocumentIn) -> DocumentOut:
    async with svc.db.transaction("create_document") as conn:
        row = await documents.insert_version(conn, document_id=None, user_id=principal.user_id, **body.model_dump())
    return DocumentOut.from_row(row, version_count=1)


async def save_version(svc: Services, principal: Principal, document_id: UUID, body: DocumentIn) -> DocumentOut:
    async with svc.db.transaction("save_document_version") as conn:
        owner = await documents.owner_of(conn, document_id)
        if owner is None or (owner != principal.user_id and not principal.is_admin):
            raise not_found("document")
        row = await documents.insert_version(conn, document_id=document_id, user_id=owner, **body.model_dump())
    return DocumentOut.from_row(row)


async def get_latest(svc: Services, principal: Principal, document_id: UUID) -> DocumentOut:
    async with svc.db.connection() as conn:
        row = await documents.latest(conn, document_id, principal.user_id, is_admin=principal.is_admin)
    if row is None:
        raise not_found("document")
    return DocumentOut.from_row(row)


async def list_latest(svc: Services, principal: Principal, query: PageQuery) -> DocumentPage:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: documents.latest_page(
            conn, principal.user_id, is_admin=principal.is_admin, after=after, limit=limit))
    return DocumentPage.of(window, DocumentOut.from_row)


async def list_versions(svc: Services, principal: Principal, document_id: UUID) -> DocumentPage:
    async with svc.db.connection() as conn:
        rows = await documents.versions(conn, document_id, principal.user_id, is_admin=principal.is_admin)
    if not rows:
        raise not_found("document")
    return DocumentPage(items=[DocumentOut.from_row(row) for row in rows])


async def delete(svc: Services, principal: Principal, document_id: UUID) -> None:
    """Every version goes, and the suggestions with them."""
    async with svc.db.transaction("delete_document") as conn:
        owner = await documents.owner_of(conn, document_id)
        if owner is None or (owner != principal.user_id and not principal.is_admin):
            raise not_found("document")
        await documents.delete(conn, document_id)


async def check_suggestion_target(conn: asyncpg.Connection, principal: Principal, values: dict[str, Any]) -> None:
    """A suggestion is made on one version of one of the caller's own documents."""
    owner = await documents.version_owner(conn, values["document_id"], values["document_created_at"])
    if owner is None:
        raise invalid({"documentCreatedAt": "no such version of this document"})
    if owner != principal.user_id and not principal.is_admin:
        raise forbidden("suggestions are made on your own documents")
