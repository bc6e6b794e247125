"""A small real HTTP server speaking the OpenAI chat completions API, for AI features' tests.

It echoes the last message (and reports 15 tokens used), or answers 503 when the last message is "fail"; it records
the Authorization header and body of every call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class FakeAi:
    url: str = ""
    calls: list[tuple[str | None, dict]] = field(default_factory=list)


@asynccontextmanager
async def fake_ai_server() -> AsyncIterator[FakeAi]:
    fake = FakeAi()

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        fake.calls.append((request.headers.get("Authorization"), body))
        last = body["messages"][-1]["content"]
        if last == "fail":
            return web.json_response({"error": {"message": "overloaded"}}, status=503)
        return web.json_response({"id": "cmpl-1", "object": "chat.completion", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": f"echo: {last}"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
