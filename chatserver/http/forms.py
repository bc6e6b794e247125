"""Plain resources of the career platform: profiles, uploads and the three forms.

All of them are served by the generic registry; a sender sees their own rows,
platform admins see everyone's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from chatserver.actions import forms
from chatserver.actions.policies import Owned
from chatserver.http.api import Api
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.fields import Email, JsonList, LongText, Name, Phone, ShortText, Url, text

api = Api()
FORMS = "forms"
SUBMITTED = frozenset({"list", "get", "create", "delete"})
Tags = Annotated[list[text(100)], Field(max_length=20)]

user_profiles = mount(api, Resource(
    path="user-profiles", model="UserProfile", table="user_profiles", tag="profiles", key="user_id",
    name="user profile", policy=Owned(owner="user_id", can_delete=False),
    ops=frozenset({"list", "get", "update"}), touch="updated_at",
    description="The person behind an account (GrowCommunity's UserProfile and the career User's "
                "person fields). Only its owner and admins read it; public details are on /users/{id}.",
    columns=(
        server("user_id", UUID),
        Col("first_name", ShortText, nullable=True),
        Col("last_name", ShortText, nullable=True),
        Col("bio", LongText, nullable=True),
        Col("headline", ShortText, nullable=True),
        Col("company", ShortText, nullable=True),
        Col("location", ShortText, nullable=True),
        Col("gender", text(50), nullable=True),
        Col("phone_country_code", text(10), nullable=True),
        Col("phone_number", Phone, nullable=True),
        Col("organization_level", text(100), nullable=True),
        server("is_verified", bool, description="True after three accepted referrals."),
        server("invite_source_id", UUID, nullable=True, description="Whose invite link brought the user."),
        server("anonymous_name", str, description="Shown wherever the user is anonymous."),
        Col("anonymous_avatar", Url, nullable=True),
        Col("linkedin_info", LongText, nullable=True),
        Col("linkedin_url", Url, nullable=True),
        Col("facebook_url", Url, nullable=True),
        Col("goals", LongText, nullable=True),
        Col("profile_metrics", LongText, nullable=True),
        Col("strengths", LongText, nullable=True),
        Col("interests", LongText, nullable=True),
        Col("education", JsonList, nullable=True),
        Col("experience", JsonList, nullable=True),
        Col("professional_skills", JsonList, nullable=True),
        Col("certifications", JsonList, nullable=True),
        Col("profile_name", ShortText, nullable=True),
        Col("profile_visibility", Literal["public", "private", "connections"]),
        Col("hear_about_us", Tags, nullable=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))

uploads = mount(api, Resource(
    path="uploads", model="Upload", table="uploads", tag=FORMS, policy=Owned(), ops=SUBMITTED,
    on_create=forms.fill_upload_email,
    description="A CV or cover letter the user uploaded to file storage.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        server("user_email", str, nullable=True),
        Col("file_url", Url, required=True, update=False),
        Col("file_type", Literal["cv", "cover-letter"], required=True, update=False, filter=True),
        server("created_at", datetime),
    ),
))

premium_interests = mount(api, Resource(
    path="premium-interests", model="PremiumInterest", table="premium_interests", tag=FORMS,
    policy=Owned(), ops=SUBMITTED, description="The premium interest form (the seed's premuser).",
    columns=(
        server("id", UUID),
        server("user_id", UUID, nullable=True),
        Col("full_name", text(128, 1), required=True),
        Col("email_address", Email, required=True),
        Col("phone_number", Phone, nullable=True),
        Col("paragraph_interest", text(10000), nullable=True),
        server("created_at", datetime),
    ),
))

api_access_requests = mount(api, Resource(
    path="api-access-requests", model="ApiAccessRequest", table="api_access_requests", tag=FORMS,
    policy=Owned(), ops=SUBMITTED, description="The API access form (the seed's apiuser).",
    columns=(
        server("id", UUID),
        server("user_id", UUID, nullable=True),
        Col("full_name", text(128, 1), required=True),
        Col("email_address", Email, required=True),
        Col("phone_number", Phone, nullable=True),
        Col("org_name", ShortText, nullable=True),
        Col("work", text(10000), nullable=True),
        Col("benefits", text(10000), nullable=True),
        server("created_at", datetime),
    ),
))

archive_cards = mount(api, Resource(
    path="archive-cards", model="ArchiveCard", table="archive_cards", tag=FORMS, policy=Owned(),
    ops=SUBMITTED, description="An archived candidate card.",
    columns=(
        server("id", UUID),
        server("user_id", UUID, nullable=True),
        Col("name", Name, nullable=True),
        Col("phone", Phone, nullable=True),
        Col("match_percentage", text(16), nullable=True),
        Col("description", text(10000), nullable=True),
        Col("email", text(254), nullable=True),
        server("created_at", datetime),
    ),
))
