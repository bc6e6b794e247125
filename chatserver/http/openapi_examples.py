"""Example values for the OpenAPI document, made from its JSON schemas.

Every operation gets an example request body (and parameters) and an example response, so that the
API viewer shows something real and its "Try it out" starts from a body the server accepts. Values
come from, in order: the schema's own `examples`/`default`/`const`/`enum`, a table of field names
(`username` is "ada", `content` is a chat line), then the schema's type and format. A generated
string is checked against the schema's pattern and length, and another candidate is tried when it
does not fit; tests/http/test_api_docs.py validates every example against its schema.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# One id per kind of thing, so an example reads as a story (ada's message in ada's channel).
_IDS = {
    "user": "9e6bcb7f-4991-4692-ab4d-c6719b70495f",
    "workspace": "4b3508ab-dbed-4664-9387-65b2bbede530",
    "channel": "6196e01e-c055-401e-8db9-69f8b18d5432",
    "message": "78bfd08f-514a-4f64-aa82-a362a2911bfd",
    "conversation": "50e481bf-4e40-46d0-975b-46330bb14f33",
    "session": "41c16dab-1013-41a6-90c2-d58792480ab7",
    "attachment": "0d4f2a61-8c3e-4f57-9d7b-2f7f4c7f3a10",
}
_ANY_ID = "3f2b8c1e-5a6d-4e7f-8a9b-0c1d2e3f4a5b"

# Values by field name (camelCase, as on the wire); tried before the type's generic value.
_BY_NAME: dict[str, Any] = {
    "email": "ada@example.com",
    "login": "ada",
    "username": "ada",
    "password": "analytical engine",
    "displayName": "Ada Lovelace",
    "name": "general",
    "slug": "team-ada",
    "title": "Weekly sync",
    "content": "Hello, Bob! Standup in 5 @bob",
    "text": "Hello, Bob!",
    "message": "Hello, Bob!",
    "description": "Where the team talks",
    "topic": "Standups and release notes",
    "nonce": "c0ffee01",
    "emoji": "👍",
    "inviteCode": "Xk3vQ9aZ",
    "token": "b3BhcXVlLXRva2Vu",
    "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
    "refreshToken": "r1.c2Vzc2lvbi1yZWZyZXNoLXRva2Vu",
    "cursor": "",
    "nextCursor": None,
    "color": "#3366CC",
    "colorCode": "#3366CC",
    "url": "https://example.com/ada",
    "avatarUrl": "https://example.com/ada.png",
    "iconUrl": "https://example.com/team.png",
    "status": "ONLINE",
    "statusText": "in a meeting",
    "locale": "en",
    "language": "en",
    "q": "standup",
    "reason": "logout",
    "code": "not_found",
    "detail": "no such channel",
    "type": "TEXT",
    "role": "user",
    "bio": "Writes programs for the Analytical Engine",
    "headline": "Analyst and metaphysician",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "company": "Analytical Engines Ltd",
    "location": "London",
    "fileName": "notes.pdf",
    "mimeType": "application/pdf",
}

# Nullable fields an answer usually has null in (a channel message has no conversationId...).
_USUALLY_NULL = {"conversationId", "parentId", "editedAt", "deletedAt", "pinnedAt", "threadLastReplyAt",
                 "thumbnailUrl", "width", "height", "nextCursor", "inviteCode"}

_STRING_CANDIDATES = ("general", "ada", "Hello, Bob!", "en", "TEXT", "#3366CC", "09:30:00", "2026-11-22",
                      "https://example.com/ada", "ada@example.com", "team-ada", "👍", "a", "")


def _id_for(name: str) -> str:
    key = name[:-2] if name.endswith("Id") else name
    key = key.removesuffix("Out")
    for kind, value in _IDS.items():
        if key.lower().endswith(kind):
            return value
    if key in ("id", "createdBy", "ownerId", "senderId", "receiverId", "otherUserId", "relatedUserId"):
        return _IDS["user"] if key != "id" else _ANY_ID
    return _ANY_ID


@cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _fits(value: str, schema: dict) -> bool:
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
        return False
    pattern = schema.get("pattern")
    if pattern:
        regex = _regex(pattern)
        return regex is None or regex.search(value) is not None
    return True


def _string(name: str, schema: dict) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return _id_for(name)
    if fmt == "date-time":
        return "2026-11-22T09:30:00.000Z"
    if fmt == "date":
        return "2026-11-22"
    if fmt == "time":
        return "09:30:00"
    if fmt == "email":
        return "ada@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/ada"
    if fmt == "binary":
        return ""
    candidates = []
    if isinstance(_BY_NAME.get(name), str):
        candidates.append(_BY_NAME[name])
    lowered = name.lower()
    if lowered.endswith("url"):
        candidates.append("https://example.com/ada")
    if lowered.endswith(("at", "date")):
        candidates.append("2026-11-22T09:30:00.000Z")
    if lowered.endswith("time"):
        candidates.append("09:30:00")
    candidates += _STRING_CANDIDATES
    for candidate in candidates:
        if _fits(candidate, schema):
            return candidate
    low = schema.get("minLength", 1)
    return ("x" * max(low, 1))[: schema.get("maxLength", low or 1)]


def _number(schema: dict, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1 if integer else 1.5
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
    if "multipleOf" in schema:
        value = schema["multipleOf"]
    return int(value) if integer else value


class Examples:
    """Builds examples against one document's component schemas."""

    def __init__(self, components: dict[str, dict]) -> None:
        self.components = components

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: dict, name: str = "", *, request: bool = False, depth: int = 0) -> Any:
        if depth > 24:  # a recursive schema; JsonValue, the only one on the wire, is cut short above
            return None
        if "$ref" in schema:
            ref_name = schema["$ref"].rsplit("/", 1)[-1]
            if ref_name == "JsonValue":
                return {"theme": "dark"}
            return self.value(self.resolve(schema), name, request=request, depth=depth + 1)
        if schema.get("examples"):
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            preferred = _BY_NAME.get(name)
            return preferred if preferred in schema["enum"] else schema["enum"][0]
        if schema.get("default") not in (None, "", [], {}):
            return schema["default"]
        if "properties" in schema:  # an object, perhaps with alternatives of what it requires
            return self._object(schema, request=request, depth=depth)
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            real = [option for option in options if option.get("type") != "null"]
            if not real:
                return None
            if not request and name in _USUALLY_NULL:
                return None
            return self.value(real[0], name, request=request, depth=depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return self._object(schema, request=request, depth=depth)
        if kind == "array":
            item = self.value(schema.get("items", {}), name[:-1] if name.endswith("s") else name,
                              request=request, depth=depth + 1)
            return [item] * max(1, schema.get("minItems", 1))
        if kind == "string":
            return _string(name, schema)
        if kind == "integer":
            return _number(schema, True)
        if kind == "number":
            return _number(schema, False)
        if kind == "boolean":
            return name.startswith("is") and name in ("isPublic", "isActive")
        if kind == "null":
            return None
        return _BY_NAME.get(name, "value") if isinstance(_BY_NAME.get(name), str) else {}

    def _object(self, schema: dict, *, request: bool, depth: int) -> dict:
        properties: dict[str, dict] = schema.get("properties", {})
        required = schema.get("required", [])
        alternatives = schema.get("anyOf") or schema.get("oneOf") or []
        required = required + next((option["required"] for option in alternatives if option.get("required")), [])
        if request and required:
            names = list(dict.fromkeys(required))
        else:  # answers show every field; a body of optional fields only (a PATCH) shows them all too
            names = list(properties)
        result = {name: self.value(properties[name], name, request=request, depth=depth + 1)
                  for name in names if name in properties}
        if isinstance(result.get("id"), str) and properties["id"].get("format") == "uuid":
            result["id"] = _id_for(schema.get("title", "") + "Id")  # a Message's id is the message id
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and extra:
            result["key"] = self.value(extra, "key", request=request, depth=depth + 1)
        minimum = schema.get("minProperties", 0)
        for name in properties:
            if len(result) >= minimum:
                break
            result.setdefault(name, self.value(properties[name], name, request=request, depth=depth + 1))
        return result

    def parameter(self, parameter: dict) -> Any:
        return self.value(parameter["schema"], parameter["name"], request=True)


def problem_example(status: int, code: str, phrase: str) -> dict[str, Any]:
    """What an error answer with that code looks like (application/problem+json)."""
    example: dict[str, Any] = {"type": f"https://chatserver.dev/problems/{code}", "title": phrase,
                               "status": status, "detail": _DETAILS.get(code, phrase.lower()), "code": code}
    if code == "invalid":
        example["errors"] = {"name": "Field required"}
        example["details"] = {"fields": {"name": "Field required"}}
    if code == "rate_limited":
        example["details"] = {"retryAfter": 7}
    return example


_DETAILS = {
    "unauthorized": "missing bearer token",
    "forbidden": "you may not do this",
    "not_found": "no such thing, or one you may not see",
    "invalid": "invalid input",
    "conflict": "that name is taken",
    "version_conflict": "the message changed since that version",
    "rate_limited": "too many requests: retry after 7 s",
    "payload_too_large": "content is longer than 40000 characters",
    "limit_reached": "the daily limit is used up",
    "unavailable": "the database is not answering: try again shortly",
    "bad_signature": "no v1 signature matches",
    "internal": "internal error",
}
