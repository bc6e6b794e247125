"""Base classes for wire models and the one way input is parsed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Annotated, Any, Self, TypeVar, get_args

import orjson
from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

from chatserver.errors import ApiError, invalid


def iso_z(value: datetime) -> str:
    """ISO 8601 UTC with a Z and milliseconds, as the contract writes times. Every message and
    presence carries some, so orjson formats them (a fifth of strftime's time) and the text is cut
    to milliseconds: orjson writes "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", the fraction only when not zero."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = orjson.dumps(value, option=orjson.OPT_UTC_Z)
    return (text[1:24] + b"Z" if value.microsecond else text[1:20] + b".000Z").decode()


Timestamp = Annotated[datetime, PlainSerializer(iso_z, return_type=str, when_used="json")]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], **extra: Any) -> Self:
        """Build from a database row (snake_case keys), plus computed fields."""
        return cls.model_validate({**row, **extra})

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class InputModel(WireModel):
    """A request body or event payload: unknown fields are refused, not ignored, and values are
    taken as their JSON type only (no `"4"` for a number, no `0` for a boolean).

    `parse` validates in pydantic's JSON mode, where strict still reads UUIDs, times, dates and
    enum values from the JSON strings that carry them; query strings are parsed laxly (see
    `parse_query`), since every query value arrives as text.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False, strict=True,
    )


Model = TypeVar("Model", bound=BaseModel)

# Deeper input is refused before validation: no payload of this API nests past a few levels, and
# recursive walks (pydantic's included) must never meet the ~1,000 levels a JSON parser allows.
MAX_DEPTH = 64
NUL_PATTERN = r"^[^\x00]*$"  # what the OpenAPI document says of every string: no NUL character


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _join(path: str, part: Any) -> str:
    return f"{path}.{part}" if path else str(part)


def _input_problems(data: Any) -> dict[str, str]:
    """Where the input nests too deeply or hides a NUL character (PostgreSQL refuses NUL in text).

    An explicit stack rather than recursion, so that the walk itself cannot overflow. On the way,
    a float with an integral value becomes an int: JSON has one number type and `3.0` is the
    integer 3 as JSON Schema (and so the OpenAPI document) reads it, while strict validation
    would refuse a float where an int is due.
    """
    problems: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                problems[path or "body"] = "contains a NUL character"
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                problems[path or "body"] = f"nested more than {MAX_DEPTH} levels deep"
                continue
            items = list(value.items() if isinstance(value, dict) else enumerate(value))
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    problems[path or "body"] = "contains a NUL character"
                if isinstance(item, float) and item.is_integer() and abs(item) <= 2**53:
                    value[key] = int(item)
                stack.append((item, _join(path, key), depth + 1))
    return problems


def _checked(data: Any) -> dict:
    if not isinstance(data, dict):
        raise invalid({"body": "expected an object"}, "expected a JSON object")
    if problems := _input_problems(data):
        raise invalid(problems)
    return data


def _invalid(exc: ValidationError) -> ApiError:
    fields = {_field_path(err["loc"]): err["msg"] for err in exc.errors(include_url=False)}
    return invalid(fields)


@cache
def _temporal_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields documented as ISO 8601 dates or times."""
    return _fields_of(model, (date, time))  # datetime is a date


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?")


def _numeric_times(model: type[BaseModel], data: dict) -> dict[str, str]:
    """pydantic reads `"0"` as a date (a Unix time), even strictly; the document promises ISO 8601."""
    return {name: "expected an ISO 8601 date or time" for name in _temporal_fields(model)
            if isinstance(data.get(name), str) and _NUMBER.fullmatch(data[name])}


def parse(model: type[Model], data: Any) -> Model:
    """Validate decoded JSON (a body or an event payload) into `model`, or raise `invalid`
    naming every bad field. Field names are the camelCase ones of the wire only."""
    _checked(data)
    if problems := _numeric_times(model, data):
        raise invalid(problems)
    try:
        raw = orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):  # an integer past 64 bits, from a lenient JSON parser
        raise invalid({"body": "a number is out of range"}) from None
    try:
        return model.model_validate_json(raw, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _leaf_types(annotation: Any) -> set[type]:
    """The plain types an annotation is made of (through Optional, unions and Annotated)."""
    if isinstance(annotation, type):
        return {annotation}
    return {leaf for arg in get_args(annotation) for leaf in _leaf_types(arg)}


def _fields_of(model: type[BaseModel], kinds: tuple[type, ...]) -> frozenset[str]:
    """Wire names of the fields whose type is one of `kinds` (or a subclass)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items()
                     if any(issubclass(leaf, kinds) for leaf in _leaf_types(field.annotation)))


@cache
def _typed_query_fields(model: type[BaseModel]) -> frozenset[str]:
    """Query parameters whose documented type is a number or a boolean."""
    return _fields_of(model, (int, float, bool))


def _query_value(raw: str, typed: bool) -> Any:
    """A query value as the JSON value it spells, for parameters documented as numbers or booleans."""
    if typed:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
        if isinstance(value, int | float | bool):
            return value
    return raw


def parse_query(model: type[Model], query: Mapping[str, str]) -> Model:
    """Validate query parameters into `model`. Every query value arrives as text: those documented
    as numbers or booleans are read as the JSON they spell (`5`, `true`), the others stay strings,
    and then the same strict validation as a body applies (so `?since=0` is not a date)."""
    typed = _typed_query_fields(model)
    return parse(model, {name: _query_value(raw, name in typed) for name, raw in query.items()})
