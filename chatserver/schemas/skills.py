"""Skill assessments on the wire, as the taker sees them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.pagination import Page


class TakerQuestion(WireModel):
    """A question as a taker sees it: no correct answer."""

    id: UUID
    skill_id: UUID
    question: str
    options: list[str]


class TakerQuestionPage(Page[TakerQuestion]):
    pass


class Answer(InputModel):
    question_id: UUID
    selected_index: Annotated[int, Field(ge=0, le=3)]


class AttemptIn(InputModel):
    answers: Annotated[list[Answer], Field(max_length=500)]


class AttemptOut(WireModel):
    """A scored attempt; which answers were right is not told."""

    id: UUID
    skill_id: UUID
    score: int
    total: int
    best_score: int
    created_at: Timestamp


class BestScore(WireModel):
    skill_id: UUID
    skill_name: str
    best_score: int
    total: int
    attempts: int
    last_attempt_at: Timestamp


class BestScorePage(Page[BestScore]):
    pass
