"""Accounts, sessions and tokens on the wire."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import (
    EMAIL_PATTERN,
    NOT_BLANK,
    SPACE,
    ShortText,
    Url,
    text,
    unchanged,
)
from chatserver.schemas.pagination import Page

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
# Surrounding spaces are allowed and stripped after the checks, so that the document's limits
# (which count them) are exactly the server's.
LoginEmail = Annotated[
    str, StringConstraints(max_length=254, pattern=f"^[{SPACE}]*{EMAIL_PATTERN[1:-1]}[{SPACE}]*$"),
    AfterValidator(str.strip),
]
# Long enough to be worth hashing, short enough that argon2 is not a DoS lever.
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=NOT_BLANK), AfterValidator(str.strip)]
Bio = text(4000)


class PublicUser(WireModel):
    """What anyone signed in may see of a user."""

    id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    bio: str | None = None
    headline: str | None = None
    created_at: Timestamp


class Me(PublicUser):
    """The signed-in user's own account."""

    email: str | None
    role: str
    email_verified: bool
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    location: str | None = None
    locale: str
    last_login_at: Timestamp | None


class RegisterIn(InputModel):
    email: LoginEmail
    username: Username
    password: Password
    display_name: DisplayName | None = None


class LoginIn(InputModel):
    login: Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=NOT_BLANK),
                     AfterValidator(str.strip)] = Field(
        description="The email address or the username.")
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RefreshIn(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class TokensOut(WireModel):
    access_token: str
    refresh_token: str
    expires_at: Timestamp = Field(description="When the access token expires.")
    refresh_expires_at: Timestamp = Field(description="When the refresh token, and so the session, expires.")
    session_id: UUID
    user: Me


class UserOut(WireModel):
    user: PublicUser


class MeOut(WireModel):
    user: Me


class MeUpdateIn(InputModel):
    """Fields left out stay as they are; `null` clears a field, except `locale`, which always has a value."""

    display_name: DisplayName | None = None
    avatar_url: Url | None = None
    bio: Bio | None = None
    headline: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: ShortText | None = None
    location: ShortText | None = None
    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = unchanged()


class PasswordResetIn(InputModel):
    email: LoginEmail


class PasswordResetConfirmIn(InputModel):
    token: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    password: Password


class SessionOut(WireModel):
    id: UUID
    user_agent: str | None
    ip_address: str | None
    created_at: Timestamp
    last_active_at: Timestamp
    expires_at: Timestamp
    current: bool


class SessionList(Page[SessionOut]):
    pass


class Accepted(WireModel):
    """A request taken; nothing to report back."""

    ok: bool = True
