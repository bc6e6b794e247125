"""The error codes of the client contract, shared by HTTP and Socket.IO."""

from __future__ import annotations

from typing import Any

HTTP_STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid": 422,
    "conflict": 409,
    "version_conflict": 412,
    "rate_limited": 429,
    "payload_too_large": 413,
    "limit_reached": 429,
    "unavailable": 503,
    "bad_signature": 400,
    "internal": 500,
}


class ApiError(Exception):
    """An answer the client is meant to see: a code from the contract, a message, details."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        assert code in HTTP_STATUS, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def as_ack(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"ok": False, "error": error}


# One helper a code: raise `not_found("channel")`, never `ApiError("not_found", ...)` by hand.
# Keyword details go on the wire as given, so they are written in camelCase (`retryAfter=`).

def unauthorized(message: str = "authentication required") -> ApiError:
    return ApiError("unauthorized", message)


def forbidden(message: str = "not allowed") -> ApiError:
    return ApiError("forbidden", message)


def not_found(what: str) -> ApiError:
    return ApiError("not_found", f"{what} not found")


def invalid(fields: dict[str, str] | None, message: str = "invalid input", **details: Any) -> ApiError:
    """`fields` maps a field name (dotted for nesting) to what is wrong with it."""
    return ApiError("invalid", message, ({"fields": fields} if fields is not None else {}) | details)


def conflict(message: str, **details: Any) -> ApiError:
    return ApiError("conflict", message, details or None)


def version_conflict(message: str, **details: Any) -> ApiError:
    return ApiError("version_conflict", message, details or None)


def rate_limited(message: str, *, retry_after: float) -> ApiError:
    return ApiError("rate_limited", message, {"retryAfter": retry_after})


def payload_too_large(message: str, **details: Any) -> ApiError:
    return ApiError("payload_too_large", message, details or None)


def limit_reached(message: str, **details: Any) -> ApiError:
    return ApiError("limit_reached", message, details or None)


def unavailable(message: str, **details: Any) -> ApiError:
    return ApiError("unavailable", message, details or None)


def bad_signature(message: str) -> ApiError:
    """A signed request (Stripe's webhook) whose signature does not verify."""
    return ApiError("bad_signature", message)


def internal(message: str = "internal error") -> ApiError:
    return ApiError("internal", message)
