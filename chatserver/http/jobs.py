"""Jobs (general, remote, part-time), applications to them and their interview rounds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from chatserver.actions import jobs
from chatserver.actions.policies import Published
from chatserver.http.api import Api, Context
from chatserver.http.resources import ALL_OPS, READ_ONLY, Col, Resource, create_body, mount, server
from chatserver.schemas.base import InputModel, WireModel
from chatserver.schemas.fields import (
    Email,
    LongText,
    Name,
    ShortText,
    Time,
    Url,
    integer,
    text,
    unchanged,
)

api = Api()
JOBS = "jobs"
JobId = text(64, 1, pattern=r"^[A-Za-z0-9_=.:-]+$")
ApplicationStatus = Literal["pending", "reviewing", "interviewing", "offered", "hired", "rejected"]

job_postings = mount(api, Resource(
    path="jobs", model="Job", table="jobs", tag=JOBS, key_type=str, touch="updated_at",
    policy=Published(owner="posted_by_user_id", creator_roles=("recruiter",)),
    search=("job_title", "employer_name", "job_description"),
    description="A job posting. `kind` is general, remote or part_time (the seed's three job tables). "
                "Recruiters post and manage their own postings; ?q= searches title, employer and description.",
    columns=(
        Col("id", JobId, update=False, description="The job board's id, or generated."),
        Col("kind", Literal["general", "remote", "part_time"], default="general", filter=True),
        Col("job_title", ShortText, nullable=True),
        Col("employer_name", ShortText, nullable=True),
        Col("employer_logo", Url, nullable=True),
        Col("job_city", text(100), nullable=True, filter=True),
        Col("job_state", text(100), nullable=True),
        Col("job_country", text(100), nullable=True, filter=True),
        Col("job_posted_at_datetime_utc", Time, nullable=True),
        Col("job_apply_link", Url, nullable=True),
        Col("job_employment_type", text(50), nullable=True, filter=True),
        Col("job_description", text(50000), nullable=True),
        Col("job_is_remote", bool, nullable=True, filter=True),
        Col("job_min_salary", text(50), nullable=True),
        Col("job_max_salary", text(50), nullable=True),
        Col("job_salary_period", text(50), nullable=True),
        Col("searched_at", Time, nullable=True),
        Col("posted_by", Literal["alumni", "career_team", "external"], nullable=True, filter=True),
        server("posted_by_user_id", UUID, nullable=True, filter=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))

application = mount(api, Resource(
    path="job-applications", model="JobApplication", table="job_applications", tag=JOBS,
    policy=jobs.ApplicationPolicy(), ops=READ_ONLY, touch="updated_at",
    description="An application to a job, seen by the applicant and the recruiter who posted the job.",
    columns=(
        server("id", UUID),
        Col("job_id", JobId, required=True, filter=True),
        server("user_id", UUID, filter=True),
        Col("name", Name, description="Your display name when absent."),
        Col("email", Email, description="Your account's email when absent."),
        Col("cover_letter", text(20000), required=True),
        Col("cv_file_url", Url, nullable=True),
        server("status", ApplicationStatus, filter=True),
        server("feedback", str, nullable=True),
        server("withdrawn", bool),
        server("withdrawn_at", datetime, nullable=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))
# The applicant's create model: name and email are optional (they default to the account's).
application_create = create_body(application.resource)


class ApplicationReview(InputModel):
    status: ApplicationStatus = unchanged()
    feedback: LongText | None = None


@api.post("/job-applications", summary="Apply to a job", tags=(JOBS,), body=application_create,
          response=application.out, status=201, errors=("not_found", "conflict"))
async def apply_to_job(ctx: Context, body: InputModel) -> WireModel:
    return application.render(await jobs.apply(ctx.svc, ctx.user, application.rules,
                                               body.model_dump(exclude_unset=True)))


@api.patch("/job-applications/{id}", summary="Review an application (the job's poster)", tags=(JOBS,),
           body=ApplicationReview, response=application.out, errors=("not_found", "forbidden", "conflict"))
async def review_job_application(ctx: Context, id: UUID, body: ApplicationReview) -> WireModel:
    changes = body.model_dump(exclude_unset=True)
    return application.render(await jobs.review(ctx.svc, ctx.user, application.rules, id, changes))


@api.post("/job-applications/{id}/withdraw", summary="Withdraw your application", tags=(JOBS,),
          response=application.out, errors=("not_found", "forbidden", "conflict"))
async def withdraw_job_application(ctx: Context, id: UUID) -> WireModel:
    return application.render(await jobs.withdraw(ctx.svc, ctx.user, application.rules, id))


interview_rounds = mount(api, Resource(
    path="interview-rounds", model="InterviewRound", table="interview_rounds", tag=JOBS,
    policy=jobs.InterviewRoundPolicy(), ops=ALL_OPS, touch="updated_at",
    description="An interview round of an application, run by the recruiter who posted the job.",
    columns=(
        server("id", UUID),
        Col("application_id", UUID, required=True, update=False, filter=True),
        Col("round_number", integer(1, 100), required=True),
        Col("round_type", Literal["phone_screening", "job_assessment", "hr", "final"], required=True),
        Col("scheduled_date", Time, nullable=True),
        Col("completed_date", Time, nullable=True),
        Col("interviewer_name", text(255), nullable=True),
        Col("interviewer_email", Email, nullable=True),
        Col("notes", LongText, nullable=True),
        Col("status", Literal["scheduled", "completed", "cancelled", "rescheduled"], default="scheduled",
            filter=True),
        Col("feedback", LongText, nullable=True),
        Col("score", integer(1, 10), nullable=True, description="1 to 10."),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))
