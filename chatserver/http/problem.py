"""RFC 9457 problem+json responses built from the contract's error codes."""

from __future__ import annotations

from http import HTTPStatus

import orjson
from aiohttp import web

from chatserver.errors import ApiError
from chatserver.schemas.base import WireModel

PROBLEM_TYPE = "application/problem+json"


class Problem(WireModel):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, str] | None = None
    details: dict | None = None


def problem_response(error: ApiError, *, status: int | None = None,
                     headers: dict[str, str] | None = None) -> web.Response:
    """`status` overrides the code's usual status (a 405 is still code `invalid`)."""
    status = status or error.status
    body: dict = {
        "type": f"https://chatserver.dev/problems/{error.code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": error.message,
        "code": error.code,
    }
    if "fields" in error.details:
        body["errors"] = error.details["fields"]
    if error.details:
        body["details"] = error.details
    headers = dict(headers or {})
    if error.code in ("rate_limited", "unavailable") and "retryAfter" in error.details:
        headers["Retry-After"] = str(max(1, round(error.details["retryAfter"])))
    return web.Response(body=orjson.dumps(body), status=status, content_type=PROBLEM_TYPE,
                        headers=headers)
