"""A small real HTTP server speaking the OpenAI chat completions and embeddings APIs, for AI features' tests.

Chat completions: it echoes the last message (and reports 15 tokens used), or answers 503 when the last message is
"fail"; it records the Authorization header and body of every call.

Embeddings: each input gets the vector of the first word of `vectors` it contains (`direction(...)` makes one), or
`OTHER` when it contains none; the first `embedding_failures` calls answer 500; while `embedding_gate` is set and
not open, answers wait for it. Every call's inputs are recorded in `embedding_calls`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

DIMENSIONS = 1536


def direction(*leading: float) -> list[float]:
    """A vector of DIMENSIONS numbers starting with these (the rest 0)."""
    return [*leading, *[0.0] * (DIMENSIONS - len(leading))]


OTHER = direction(*[0.0] * (DIMENSIONS - 1), 1.0)  # orthogonal to every direction of fewer numbers


@dataclass
class FakeAi:
    url: str = ""
    calls: list[tuple[str | None, dict]] = field(default_factory=list)
    vectors: dict[str, list[float]] = field(default_factory=dict)
    embedding_failures: int = 0
    embedding_gate: asyncio.Event | None = None
    embedding_calls: list[list[str]] = field(default_factory=list)
    embedding_asked: asyncio.Event = field(default_factory=asyncio.Event)  # set at the first embeddings call

    def vector_of(self, text: str) -> list[float]:
        return next((vector for word, vector in self.vectors.items() if word in text), OTHER)


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

    async def embeddings(request: web.Request) -> web.Response:
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        fake.embedding_calls.append(inputs)
        fake.embedding_asked.set()
        if fake.embedding_gate is not None:
            await fake.embedding_gate.wait()
        if fake.embedding_failures > 0:
            fake.embedding_failures -= 1
            return web.json_response({"error": {"message": "overloaded"}}, status=500)
        return web.json_response({"object": "list", "model": body["model"], "data": [
            {"object": "embedding", "index": i, "embedding": fake.vector_of(text)} for i, text in enumerate(inputs)],
            "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_post("/v1/embeddings", embeddings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
