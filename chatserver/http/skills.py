"""Skills, their questions (admins write them), attempts scored by the server, best scores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from chatserver.actions import skills
from chatserver.actions.policies import AdminManaged, Owned
from chatserver.http.api import Api, Context
from chatserver.http.resources import READ_ONLY, Col, Resource, mount, server
from chatserver.schemas.fields import Name, integer, text
from chatserver.schemas.skills import AttemptIn, AttemptOut, BestScorePage, TakerQuestionPage

api = Api()
SKILLS = "skills"
Options = Annotated[list[text(1000, 1)], Field(min_length=4, max_length=4)]

skill_catalogue = mount(api, Resource(
    path="skills", model="Skill", table="skills", tag=SKILLS, policy=AdminManaged(),
    description="A skill that can be assessed. Admins manage the catalogue.",
    columns=(
        server("id", UUID),
        Col("name", Name, required=True),
        server("created_at", datetime),
    ),
))

skill_questions = mount(api, Resource(
    path="skill-questions", model="SkillQuestion", table="skill_questions", tag=SKILLS,
    policy=AdminManaged(read_by_all=False),
    description="A question with its correct answer: admins only. Takers use /skills/{id}/questions.",
    columns=(
        server("id", UUID),
        Col("skill_id", UUID, required=True, update=False, filter=True),
        Col("question", text(4000, 1), required=True),
        Col("options", Options, required=True),
        Col("correct_index", integer(0, 3), required=True),
        server("created_at", datetime),
    ),
))

skill_attempts = mount(api, Resource(
    path="skill-attempts", model="SkillAttempt", table="skill_attempts", tag=SKILLS,
    policy=Owned(), ops=READ_ONLY, description="A scored attempt at a skill's questions.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        server("skill_id", UUID, filter=True),
        server("score", int),
        server("total", int),
        server("selected_answers", list[dict[str, Any]]),
        server("created_at", datetime),
    ),
))


@api.get("/skills/{id}/questions", summary="A skill's questions, without their answers", tags=(SKILLS,),
         response=TakerQuestionPage, errors=("not_found",))
async def list_questions_for_taker(ctx: Context, id: UUID) -> TakerQuestionPage:
    return await skills.questions_for_taker(ctx.svc, ctx.user, id)


@api.post("/skills/{id}/attempts", summary="Answer a skill's questions; the server scores them",
          tags=(SKILLS,), body=AttemptIn, response=AttemptOut, status=201, errors=("not_found", "conflict"))
async def submit_skill_attempt(ctx: Context, id: UUID, body: AttemptIn) -> AttemptOut:
    return await skills.submit_attempt(ctx.svc, ctx.user, id, body)


@api.get("/skill-best-scores", summary="Your best score per skill", tags=(SKILLS,), response=BestScorePage)
async def list_skill_best_scores(ctx: Context) -> BestScorePage:
    return await skills.best_scores(ctx.svc, ctx.user)
