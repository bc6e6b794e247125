"""Job applications and interview rounds: who sees them and who may change them.

An application is seen by its applicant and by the recruiter who posted the job (and
admins). The applicant applies and withdraws; the poster reviews it and runs its
interview rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions import resources
from chatserver.actions.context import Principal, Services
from chatserver.actions.policies import Policy
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.store import generic, jobs, users
from chatserver.store.generic import AnyOf, Through, UserIs

APPLICATION_SCOPE = AnyOf((UserIs("user_id"), Through("job_id", "jobs", UserIs("posted_by_user_id"))))


async def _require_poster(conn: asyncpg.Connection, principal: Principal, application_id: UUID, *,
                          creating: bool = False) -> asyncpg.Record:
    parties = await jobs.application_parties(conn, application_id, lock=True)
    if parties is None:
        # A new round naming no application is bad input, like any reference to nothing.
        if creating:
            raise invalid({"applicationId": "no such job application"})
        raise not_found("job application")
    if not principal.is_admin and parties["posted_by_user_id"] != principal.user_id:
        raise forbidden("only the recruiter who posted the job may do this")
    return parties


@dataclass(frozen=True)
class ApplicationPolicy(Policy):
    def member_scope(self, principal: Principal) -> Any:
        return APPLICATION_SCOPE


@dataclass(frozen=True)
class InterviewRoundPolicy(Policy):
    """Rounds are seen with their application and run by the job's poster."""

    def member_scope(self, principal: Principal) -> Any:
        return Through("application_id", "job_applications", APPLICATION_SCOPE)

    async def check_create(self, conn: asyncpg.Connection, principal: Principal, values: Mapping[str, Any]) -> None:
        parties = await _require_poster(conn, principal, values["application_id"], creating=True)
        if parties["withdrawn"]:
            raise conflict("the application was withdrawn")

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        await _require_poster(conn, principal, row["application_id"])


async def apply(svc: Services, principal: Principal, rules: resources.Rules,
                values: Mapping[str, Any]) -> asyncpg.Record:
    """Apply to a job; name and email default to the account's."""
    values = dict(values)
    try:
        async with svc.db.transaction("apply_to_job") as conn:
            exists, _ = await jobs.job_poster(conn, values["job_id"])
            if not exists:
                raise not_found("job")
            user = await users.by_id(conn, principal.user_id)
            values.setdefault("name", user["display_name"] or user["username"])
            values.setdefault("email", user["email"])
            if not values["email"]:
                raise invalid({"email": "required"}, "an email address is needed")
            values["user_id"] = principal.user_id
            return await generic.insert_row(conn, rules.table, values)
    except generic.DuplicateRow:
        raise conflict("you have applied to this job already") from None
    except generic.ConstraintError as error:
        raise resources.constraint_error(error, rules) from None


async def review(svc: Services, principal: Principal, rules: resources.Rules, application_id: UUID,
                 changes: Mapping[str, Any]) -> asyncpg.Record:
    """The job's poster sets the status and feedback."""
    async with svc.db.transaction("review_job_application") as conn:
        parties = await _require_poster(conn, principal, application_id)
        if parties["withdrawn"]:
            raise conflict("the application was withdrawn")
        return await generic.update_row(conn, rules.table, application_id, changes)


async def withdraw(svc: Services, principal: Principal, rules: resources.Rules,
                   application_id: UUID) -> asyncpg.Record:
    async with svc.db.transaction("withdraw_job_application") as conn:
        parties = await jobs.application_parties(conn, application_id, lock=True)
        if parties is None or (parties["user_id"] != principal.user_id and not principal.is_admin
                               and parties["posted_by_user_id"] != principal.user_id):
            raise not_found("job application")
        if parties["user_id"] != principal.user_id:
            raise forbidden("only the applicant may withdraw an application")
        if parties["withdrawn"]:
            raise conflict("the application was withdrawn already")
        return await generic.update_row(conn, rules.table, application_id,
                                        {"withdrawn": True, "withdrawn_at": datetime.now(UTC)})
