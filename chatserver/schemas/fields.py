"""Field types for the seed resources' wire models.

Each one refuses, with `invalid`, what PostgreSQL would refuse with an error: NUL
characters in text (text and jsonb cannot hold U+0000), integers past the column's
range, JSON too large or too deep. Bad input must never become a 500.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints


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
Url = text(2048, pattern=r"^https?://\S+$")
Email = Annotated[str, StringConstraints(max_length=128, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]
Phone = text(32)
Time = AwareDatetime
Count = integer(0, 1_000_000_000)


def _json_ok(value: Any, depth: int = 0) -> None:
    if depth > 20:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
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


JsonObject = Annotated[dict[str, Any], AfterValidator(_checked_json)]
JsonList = Annotated[list[Any], AfterValidator(_checked_json)]


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


TimeOfDay = Annotated[time, AfterValidator(_naive_time)]
