"""A small client for an OpenAI-compatible chat completions endpoint (AI_BASE_URL).

The API key goes only into the Authorization header: never into logs, errors or answers.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from chatserver.settings import Settings

log = logging.getLogger(__name__)


class AiUnavailable(Exception):
    """No endpoint configured, or it did not give a usable answer."""


def configured(settings: Settings) -> bool:
    return bool(settings.ai_base_url)


async def complete(settings: Settings, messages: list[dict[str, str]]) -> str:
    """The assistant's reply to `messages` ([{role, content}])."""
    if not settings.ai_base_url:
        raise AiUnavailable("no AI endpoint is configured")
    url = settings.ai_base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.ai_api_key}"} if settings.ai_api_key else {}
    payload: dict[str, Any] = {"model": settings.ai_model, "messages": messages}
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
    return reply
