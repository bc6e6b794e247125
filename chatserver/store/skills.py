"""Skill questions as a taker meets them, attempts, and best scores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def skill_exists(conn: asyncpg.Connection, skill_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM skills WHERE id = $1", skill_id))


async def questions(conn: asyncpg.Connection, skill_id: UUID) -> list[asyncpg.Record]:
    """Every question of the skill, in a fixed order, with the correct index (for scoring only)."""
    return await conn.fetch(
        "SELECT id, skill_id, question, options, correct_index FROM skill_questions"
        " WHERE skill_id = $1 ORDER BY created_at, id", skill_id)


async def insert_attempt(conn: asyncpg.Connection, *, user_id: UUID, skill_id: UUID, score: int, total: int,
                         selected_answers: list[dict[str, Any]]) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO skill_attempts (user_id, skill_id, score, total, selected_answers)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id, user_id, skill_id, score, total, selected_answers, created_at",
        user_id, skill_id, score, total, selected_answers)


async def best_scores(conn: asyncpg.Connection, user_id: UUID) -> list[asyncpg.Record]:
    """Per skill the user attempted: the best score (and its total), attempts, the last attempt."""
    return await conn.fetch(
        """SELECT DISTINCT ON (a.skill_id) a.skill_id, s.name AS skill_name, a.score AS best_score, a.total,
                  count(*) OVER (PARTITION BY a.skill_id) AS attempts,
                  max(a.created_at) OVER (PARTITION BY a.skill_id) AS last_attempt_at
             FROM skill_attempts a JOIN skills s ON s.id = a.skill_id
            WHERE a.user_id = $1
            ORDER BY a.skill_id, a.score DESC, a.created_at""", user_id)
