"""SmileFactory typed profiles: your own, someone's, and the directory."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import profiles
from chatserver.http.api import Api, Context, Handler
from chatserver.schemas.base import InputModel
from chatserver.schemas.profiles import (
    DETAILS,
    ProfileOut,
    ProfilePage,
    ProfileQuery,
    ProfileUpdateIn,
)

api = Api()
TAGS = ("typed profiles",)


@api.get("/me/profile", summary="Your SmileFactory profile, in any state", tags=TAGS, response=ProfileOut)
async def get_my_profile(ctx: Context) -> ProfileOut:
    return await profiles.get_mine(ctx.svc, ctx.user)


@api.patch("/me/profile", summary="Name your profile, choose who sees it, activate it or take it back to draft",
           tags=TAGS, body=ProfileUpdateIn, response=ProfileOut, errors=("conflict",))
async def update_my_profile(ctx: Context, body: ProfileUpdateIn) -> ProfileOut:
    return await profiles.update_mine(ctx.svc, ctx.user, body)


def _details_handler(profile_type: str) -> Handler:
    async def handler(ctx: Context, body: InputModel) -> ProfileOut:
        return await profiles.save_details(ctx.svc, ctx.user, profile_type, body)

    handler.__name__ = f"put_my_{profile_type}_profile"
    return handler


# One PUT per type, each with its own fields: it chooses the type and replaces its fields.
for _type, (_body, _) in DETAILS.items():
    api.put(f"/me/profile/{_type.replace('_', '-')}", body=_body, response=ProfileOut, errors=("conflict",), tags=TAGS,
            summary=f"Make yours a {_type.replace('_', ' ')} profile and set its fields (a type changes only "
                    "while the profile is a draft)")(_details_handler(_type))


@api.get("/profiles", summary="Profiles you may see, newest first, by type and text", tags=TAGS, query=ProfileQuery,
         response=ProfilePage)
async def list_profiles(ctx: Context, query: ProfileQuery) -> ProfilePage:
    return await profiles.list_profiles(ctx.svc, ctx.user, query)


@api.get("/profiles/{userId}", summary="Someone's profile, if it is active and meant for you", tags=TAGS,
         response=ProfileOut, errors=("not_found",))
async def get_profile(ctx: Context, userId: UUID) -> ProfileOut:  # noqa: N803
    return await profiles.get(ctx.svc, ctx.user, userId)
