"""A small client for an OpenAI-compatible endpoint (AI_BASE_URL): chat completions and embeddings.

The API key goes only into the Authorization header: never into logs, errors or answers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from chatserver.settings import Settings

log = logging.getLogger(__name__)


class AiUnavailable(Exception):
    """No endpoint configured, or it did not give a usable answer."""


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_used: int | None   # the endpoint's usage.total_tokens, when it says
    response_time_ms: int


# The width of the stored vectors (sql/038): the model named by AI_EMBEDDING_MODEL must give these.
EMBEDDING_DIMENSIONS = 1536


def configured(settings: Settings) -> bool:
    return bool(settings.ai_base_url)


def embeddings_configured(settings: Settings) -> bool:
    return bool(settings.ai_base_url and settings.ai_embedding_model)


async def _post(settings: Settings, path: str, payload: dict[str, Any]) -> Any:
    """The endpoint's JSON answer to `payload` posted at `path`; AiUnavailable for anything but a 200."""
    if not settings.ai_base_url:
        raise AiUnavailable("no AI endpoint is configured")
    url = settings.ai_base_url.rstrip("/") + path
    headers = {"Authorization": f"Bearer {settings.ai_api_key}"} if settings.ai_api_key else {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.ai_timeout)) as session:
            async with session.post(url, json=payload, headers=headers) as response:
                if response.status != 200:
                    log.warning("AI endpoint answered %s", response.status)
                    raise AiUnavailable(f"the AI endpoint answered {response.status}")
                return await response.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        log.warning("AI endpoint failed: %s", type(exc).__name__)
        raise AiUnavailable("the AI endpoint did not answer") from None


async def complete(settings: Settings, messages: list[dict[str, str]]) -> Completion:
    """The assistant's reply to `messages` ([{role, content}]), with its cost and how long it took."""
    payload: dict[str, Any] = {"model": settings.ai_model, "messages": messages}
    started = time.monotonic()
    body = await _post(settings, "/chat/completions", payload)
    try:
        reply = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        log.warning("AI endpoint failed: %s", type(exc).__name__)
        raise AiUnavailable("the AI endpoint did not answer") from None
    if not isinstance(reply, str):
        raise AiUnavailable("the AI endpoint gave no text")
    usage = body.get("usage")
    tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
    return Completion(text=reply, tokens_used=tokens if isinstance(tokens, int) and tokens >= 0 else None,
                      response_time_ms=round((time.monotonic() - started) * 1000))


async def embed(settings: Settings, texts: list[str]) -> list[list[float]]:
    """One vector of EMBEDDING_DIMENSIONS numbers for each text, in their order, from the AI_EMBEDDING_MODEL."""
    if not settings.ai_embedding_model:
        raise AiUnavailable("no embeddings model is configured")
    body = await _post(settings, "/embeddings", {"model": settings.ai_embedding_model, "input": texts})
    try:
        ordered = sorted(body["data"], key=lambda item: item["index"])
        vectors = [[float(number) for number in item["embedding"]] for item in ordered]
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("AI embeddings endpoint failed: %s", type(exc).__name__)
        raise AiUnavailable("the AI endpoint gave no embeddings") from None
    if len(vectors) != len(texts) or any(len(vector) != EMBEDDING_DIMENSIONS for vector in vectors):
        log.warning("AI embeddings endpoint gave %d vectors of %s numbers for %d texts; %d numbers are stored",
                    len(vectors), sorted({len(vector) for vector in vectors}), len(texts), EMBEDDING_DIMENSIONS)
        raise AiUnavailable("the AI endpoint gave embeddings of another shape")
    return vectors
