"""Request id, errors as problem+json, access log and metrics, for every request."""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from chatserver import logs, metrics
from chatserver.errors import ApiError, internal, payload_too_large
from chatserver.http.api import PRINCIPAL
from chatserver.http.problem import problem_response

log = logging.getLogger("chatserver.http")

CLIENT_CLOSED_REQUEST = 499  # as nginx logs it: the client went away before the answer


class _ShortParserErrors(logging.Filter):
    """aiohttp answers a request its HTTP parser refuses (a NUL in a header, a bad request line)
    with a 400 before any middleware runs, and logs each with a full traceback. Such a request
    is the client's fault, not a server error: one short line says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BadHttpMessage):
            reason = (str(error.message).splitlines() or [""])[0][:160]  # the first line, without the raw bytes
            record.msg, record.args = "bad HTTP request refused (%s): %s", (error.code, reason)
            record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.INFO, "INFO"
        return True


# Installed when the HTTP layer is imported, since aiohttp's server logger is shared by every app.
logging.getLogger("aiohttp.server").addFilter(_ShortParserErrors())

_STATUS_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "invalid", 409: "conflict",
                 412: "version_conflict", 413: "payload_too_large", 415: "invalid", 422: "invalid",
                 429: "rate_limited", 503: "unavailable"}


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    rid = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    request_token = logs.request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await _answer(request, handler)
        status = response.status
        if not response.prepared:  # a websocket's 101 went out in its handler: naming it now would only be kept
            response.headers["X-Request-Id"] = rid
        return response
    finally:
        principal = request.get(PRINCIPAL)
        elapsed = time.perf_counter() - started
        metrics.HTTP_REQUESTS.labels(request.method, _route_label(request), str(status)).observe(elapsed)
        if not request.path.startswith(("/healthz", "/readyz", "/metrics", "/socket.io")):
            log.info("%s %s %s", request.method, request.path, status, extra={
                "status": status, "ms": round(elapsed * 1000, 1),
                "userId": str(principal.user_id) if principal else None,
            })
        logs.request_id.reset(request_token)


async def _answer(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return problem_response(error)
    except web.HTTPRequestEntityTooLarge:
        return problem_response(payload_too_large("request body is too large"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "invalid" if exc.status < 500 else "internal")
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return problem_response(ApiError(code, exc.reason or code), status=exc.status, headers=allow)
    except ConnectionResetError:
        if request.transport is not None and not request.transport.is_closing():
            log.exception("unhandled error in %s %s", request.method, request.path)
            return problem_response(internal())
        # The client hung up mid-request (a websocket handshake cut short, say): nobody to answer.
        return web.Response(status=CLIENT_CLOSED_REQUEST, reason="Client Closed Request")
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return problem_response(internal())
