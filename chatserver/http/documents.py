"""Documents (every save a version) and suggestions on one version."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from chatserver.actions import documents
from chatserver.actions.policies import Owned
from chatserver.http.api import Api, Context, Reply
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.documents import DocumentIn, DocumentOut, DocumentPage
from chatserver.schemas.fields import Time, text
from chatserver.schemas.pagination import PageQuery

api = Api()
TAGS = ("documents",)


@api.post("/documents", summary="Create a document (its first version)", tags=TAGS, body=DocumentIn,
          response=DocumentOut, status=201)
async def create_document(ctx: Context, body: DocumentIn) -> DocumentOut:
    return await documents.create(ctx.svc, ctx.user, body)


@api.get("/documents", summary="Your documents, each as its latest version", tags=TAGS, query=PageQuery,
         response=DocumentPage)
async def list_documents(ctx: Context, query: PageQuery) -> DocumentPage:
    return await documents.list_latest(ctx.svc, ctx.user, query)


@api.get("/documents/{id}", summary="A document's latest version", tags=TAGS, response=DocumentOut,
         errors=("not_found",))
async def get_document(ctx: Context, id: UUID) -> DocumentOut:
    return await documents.get_latest(ctx.svc, ctx.user, id)


@api.get("/documents/{id}/versions", summary="Every version of a document, newest first", tags=TAGS,
         response=DocumentPage, errors=("not_found",))
async def list_document_versions(ctx: Context, id: UUID) -> DocumentPage:
    return await documents.list_versions(ctx.svc, ctx.user, id)


@api.post("/documents/{id}/versions", summary="Save a new version of a document", tags=TAGS, body=DocumentIn,
          response=DocumentOut, status=201, errors=("not_found",))
async def save_document_version(ctx: Context, id: UUID, body: DocumentIn) -> DocumentOut:
    return await documents.save_version(ctx.svc, ctx.user, id, body)


@api.delete("/documents/{id}", summary="Delete a document, every version", tags=TAGS, status=204,
            errors=("not_found",))
async def delete_document(ctx: Context, id: UUID) -> Reply:
    await documents.delete(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


suggestions = mount(api, Resource(
    path="suggestions", model="Suggestion", table="suggestions", tag=TAGS[0], policy=Owned(),
    on_create=documents.check_suggestion_target,
    description="A suggested edit to one version of one of your documents, named by (documentId, "
                "documentCreatedAt).",
    columns=(
        server("id", UUID),
        Col("document_id", UUID, required=True, update=False, filter=True),
        Col("document_created_at", Time, required=True, update=False),
        Col("original_text", text(100000), required=True),
        Col("suggested_text", text(100000), required=True),
        Col("description", text(4000), nullable=True),
        Col("is_resolved", bool, default=False),
        server("user_id", UUID),
        server("created_at", datetime),
    ),
))
