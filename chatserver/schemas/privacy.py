"""The personal data export and the account erasure on the wire (docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel


class PersonalDataExport(WireModel):
    """Everything the server holds about the signed-in user."""

    user_id: UUID
    exported_at: Timestamp
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="By table name, the rows about you, with the database's column names (docs/schema.md). "
                    "Password hashes, token digests and other secrets are left out.")


class AccountDeleteIn(InputModel):
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="Your current password: erasing the account asks for it again, so that a stolen "
                    "token alone cannot erase it.")
