"""Field types for the seed resources' wire models.

Each one refuses, with `invalid`, what PostgreSQL would refuse with an error: NUL
characters in text (text and jsonb cannot hold U+0000), integers past the column's
range, JSON too large or too deep. Bad input must never become a 500.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

# Patterns are written so that Python, PostgreSQL-bound validation and the OpenAPI document's
# readers (ECMA-262 regexes) agree: no \s or \S, whose meaning differs between regex dialects.
# SPACE is what Python counts as whitespace (str.isspace, and so strip).
SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"[^{SPACE}]"  # somewhere a character that is not a space (patterns search, unanchored)
URL_PATTERN = f"^https?://[^{SPACE}\\x00]+$"
EMAIL_PATTERN = f"^[^@{SPACE}\\x00]+@[^@{SPACE}\\x00]+\\.[^@{SPACE}\\x00]+$"
JSON_VALUE_REF = "#/components/schemas/JsonValue"  # defined by chatserver.http.openapi


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:
    """A string of at most `max_length` characters, with no NUL."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern),
                     AfterValidator(_no_nul)]


def integer(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high)]


Name = text(200, 1)
ShortText = text(200)
LongText = text(20000)
Content = text(40000, 1)
Url = text(2048, pattern=URL_PATTERN)
Email = Annotated[str, StringConstraints(max_length=128, pattern=EMAIL_PATTERN)]
Phone = text(32)
Time = AwareDatetime
Count = integer(0, 1_000_000_000)
ChannelTopic = text(250)  # a channel's free-text topic line
PostTopic = Literal["company_culture", "workplace_issues", "career_advice", "general"]  # the anonymous feed's


MAX_SAFE_NUMBER = 2**53


def _json_ok(value: Any, depth: int = 0) -> None:
    if depth > 20:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_SAFE_NUMBER:
        raise ValueError("numbers must fit in a double exactly")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _json_ok(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json_ok(item, depth + 1)


def _checked_json(value: Any) -> Any:
    _json_ok(value)
    return value


# What the document says of free-form JSON: any JSON value built of NUL-free strings and
# numbers within a double's exact range (JsonValue; the nesting limit is not expressible).
JsonObject = Annotated[dict[str, Any], AfterValidator(_checked_json), WithJsonSchema({
    "type": "object", "propertyNames": {"pattern": "^[^\\x00]*$"}, "additionalProperties": {"$ref": JSON_VALUE_REF}})]
JsonList = Annotated[list[Any], AfterValidator(_checked_json), WithJsonSchema({
    "type": "array", "items": {"$ref": JSON_VALUE_REF}})]
JSON_VALUE_SCHEMA = {
    "description": "A JSON value: strings without NUL characters, numbers within ±2^53, nested at most 20 deep.",
    "anyOf": [
        {"type": "null"}, {"type": "boolean"},
        {"type": "number", "minimum": -MAX_SAFE_NUMBER, "maximum": MAX_SAFE_NUMBER},
        {"type": "string", "pattern": "^[^\\x00]*$"},
        {"type": "array", "items": {"$ref": JSON_VALUE_REF}},
        {"type": "object", "propertyNames": {"pattern": "^[^\\x00]*$"}, "additionalProperties": {"$ref": JSON_VALUE_REF}},
    ],
}


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unchanged(description: str | None = None) -> Any:
    """The default of an update field whose column cannot be NULL: absent leaves it as it is,
    an explicit null is refused by the field's type."""
    return Field(None, description=description, json_schema_extra=_drop_default)


def _naive_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a time of day without a UTC offset")
    return value


# A time of day without an offset ("09:30", "09:30:00.5"): not JSON Schema's `time` format, which needs one.
TIME_OF_DAY_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?$"


def _time_text(value: Any) -> Any:
    """Read the text here: after a before-validator, strict validation no longer takes a string."""
    if not isinstance(value, str):
        return value
    if not re.fullmatch(TIME_OF_DAY_PATTERN, value):
        raise ValueError("give a time of day as HH:MM or HH:MM:SS, without a UTC offset")
    return time.fromisoformat(value)


TimeOfDay = Annotated[time, BeforeValidator(_time_text), AfterValidator(_naive_time), WithJsonSchema({
    "type": "string", "pattern": TIME_OF_DAY_PATTERN,
    "description": "A time of day, HH:MM or HH:MM:SS[.ffffff], without a UTC offset."})]


def money(precision: int) -> Any:
    """An amount of at least 0 as a decimal string with at most two decimals, as numeric(precision, 2)
    holds it (a JSON number would be rounded on the way)."""
    return Annotated[str, Field(pattern=f"^(0|[1-9][0-9]{{0,{precision - 3}}})(\\.[0-9]{{1,2}})?$",
                                max_length=precision + 1, examples=["25.00"],
                                description="A decimal amount of at least 0 with at most two decimals, such as "
                                            "`\"25.00\"`.")]


Currency = Annotated[str, Field(pattern="^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code, such as `USD`.")]
# Discord's ids (snowflakes) as text: guilds, users, roles, channels, bot applications (CommunityOS).
DiscordId = Annotated[str, Field(pattern="^[0-9]{1,20}$", examples=["1187654321098765432"],
                                 description="A Discord id (a snowflake): up to 20 digits, as text.")]
