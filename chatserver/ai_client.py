"""A small client for an OpenAI-compatible chat completions endpoint (AI_BASE_URL).

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


def configured(settings: Settings) -> bool:
    return bool(settings.ai_base_url)


async def complete(settings: Settings, messages: list[dict[str, str]]) -> Completion:
    """The assistant's reply to `messages` ([{role, content}]), with its cost and how long it took."""
    if not settings.ai_base_url:
        raise AiUnavailable("no AI endpoint is configured")
    url = settings.ai_base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.ai_api_key}"} if settings.ai_api_key else {}
    payload: dict[str, Any] = {"model": settings.ai_model, "messages": messages}
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.ai_timeout)) as session:
            async with session.post(url, json=payload, headers=headers) as response:
                if response.status != 200:
                    log.warning("AI endpoint answered %s", response.status)
                    raise AiUnavailable(f"the AI endpoint answered {response.status}")
                body = await response.json(content_type=None)
        reply = body["choices"][0]["message"]["content"]
    except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("AI endpoint failed: %s", type(exc).__name__)
        raise AiUnavailable("the AI endpoint did not answer") from None
    if not isinstance(reply, str):
        raise AiUnavailable("the AI endpoint gave no text")
    usage = body.get("usage")
    tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
    return Completion(text=reply, tokens_used=tokens if isinstance(tokens, int) and tokens >= 0 else None,
                      response_time_ms=round((time.monotonic() - started) * 1000))
