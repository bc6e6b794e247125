"""Data retention policies (platform admins); the worker applies them."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import retention
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.pagination import PageQuery
from chatserver.schemas.retention import (
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionPolicyPage,
    RetentionPolicyUpdateIn,
)

api = Api()
TAGS = ("data retention",)


@api.post("/retention-policies", summary="Keep rows of an allow-listed table only so many days", tags=TAGS,
          body=RetentionPolicyIn, response=RetentionPolicyOut, status=201, errors=("forbidden",))
async def create_retention_policy(ctx: Context, body: RetentionPolicyIn) -> RetentionPolicyOut:
    return await retention.create_policy(ctx.svc, ctx.user, body)


@api.get("/retention-policies", summary="Retention policies, newest first", tags=TAGS, query=PageQuery,
         response=RetentionPolicyPage, errors=("forbidden",))
async def list_retention_policies(ctx: Context, query: PageQuery) -> RetentionPolicyPage:
    return await retention.list_policies(ctx.svc, ctx.user, query)


@api.get("/retention-policies/{id}", summary="A retention policy, with its last cleanup", tags=TAGS,
         response=RetentionPolicyOut, errors=("forbidden", "not_found"))
async def get_retention_policy(ctx: Context, id: UUID) -> RetentionPolicyOut:
    return await retention.get_policy(ctx.svc, ctx.user, id)


@api.patch("/retention-policies/{id}", summary="Change a policy's days or criteria", tags=TAGS,
           body=RetentionPolicyUpdateIn, response=RetentionPolicyOut, errors=("forbidden", "not_found"))
async def update_retention_policy(ctx: Context, id: UUID, body: RetentionPolicyUpdateIn) -> RetentionPolicyOut:
    return await retention.update_policy(ctx.svc, ctx.user, id, body)


@api.delete("/retention-policies/{id}", summary="Remove a retention policy", tags=TAGS, status=204,
            errors=("forbidden", "not_found"))
async def delete_retention_policy(ctx: Context, id: UUID) -> Reply:
    await retention.delete_policy(ctx.svc, ctx.user, id)
    return Reply(None, status=204)
