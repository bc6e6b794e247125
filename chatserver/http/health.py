"""Liveness, readiness and metrics: outside /api/v1 and without authentication."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from chatserver import metrics
from chatserver.http.api import SERVICES


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    svc = request.app[SERVICES]
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(svc.db.ping(), timeout=3)
        checks["postgres"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["postgres"] = f"failing: {type(exc.__cause__ or exc).__name__}"  # not ApiError: what is behind it
    if svc.redis is not None:
        try:
            await asyncio.wait_for(svc.redis.ping(), timeout=2)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"failing: {type(exc).__name__}"
    checks["fanout"] = "ok" if svc.broker.healthy() else "failing: subscriber disconnected"
    ready = all(value == "ok" for value in checks.values())
    return web.json_response({"status": "ok" if ready else "unavailable", "checks": checks},
                             status=200 if ready else 503)


async def metrics_page(request: web.Request) -> web.Response:
    return web.Response(body=metrics.render(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
