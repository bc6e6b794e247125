"""Taking a skill assessment: questions without their answers, attempts scored here."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions.context import Principal, Services
from chatserver.errors import conflict, invalid, not_found
from chatserver.schemas.skills import (
    AttemptIn,
    AttemptOut,
    BestScore,
    BestScorePage,
    TakerQuestion,
    TakerQuestionPage,
)
from chatserver.store import skills


async def questions_for_taker(svc: Services, principal: Principal, skill_id: UUID) -> TakerQuestionPage:
    async with svc.db.connection() as conn:
        if not await skills.skill_exists(conn, skill_id):
            raise not_found("skill")
        rows = await skills.questions(conn, skill_id)
    # TakerQuestion has no correctIndex: the answer never leaves the server.
    return TakerQuestionPage(items=[TakerQuestion.from_row(row) for row in rows])


async def submit_attempt(svc: Services, principal: Principal, skill_id: UUID, body: AttemptIn) -> AttemptOut:
    """Score the answers against every question of the skill; unanswered ones count as wrong."""
    chosen = {answer.question_id: answer.selected_index for answer in body.answers}
    if len(chosen) != len(body.answers):
        raise invalid({"answers": "a question is answered twice"})
    async with svc.db.transaction("submit_skill_attempt") as conn:
        if not await skills.skill_exists(conn, skill_id):
            raise not_found("skill")
        questions = await skills.questions(conn, skill_id)
        if not questions:
            raise conflict("this skill has no questions yet")
        known = {question["id"] for question in questions}
        strangers = [str(question_id) for question_id in chosen if question_id not in known]
        if strangers:
            raise invalid({"answers": f"not questions of this skill: {', '.join(strangers)}"})
        score = sum(1 for q in questions if chosen.get(q["id"]) == q["correct_index"])
        selected = [{"questionId": str(q["id"]), "selectedIndex": chosen.get(q["id"])} for q in questions]
        attempt = await skills.insert_attempt(conn, user_id=principal.user_id, skill_id=skill_id, score=score,
                                              total=len(questions), selected_answers=selected)
        best = max((row["best_score"] for row in await skills.best_scores(conn, principal.user_id)
                    if row["skill_id"] == skill_id), default=score)
    return AttemptOut.from_row(attempt, best_score=best)


async def best_scores(svc: Services, principal: Principal) -> BestScorePage:
    async with svc.db.connection() as conn:
        rows = await skills.best_scores(conn, principal.user_id)
    return BestScorePage(items=[BestScore.from_row(row) for row in rows])
