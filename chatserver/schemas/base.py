"""Base classes for wire models and the one way input is parsed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

from chatserver.errors import ApiError


def _iso_z(value: datetime) -> str:
    """ISO 8601 UTC with a Z and milliseconds, as the contract writes times."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[datetime, PlainSerializer(_iso_z, return_type=str, when_used="json")]


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
    """A request body or event payload: unknown fields are refused, not ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False,
    )


Model = TypeVar("Model", bound=BaseModel)


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """Where a NUL character hides in the input: PostgreSQL refuses it in text, so it is refused here."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in _nul_paths(key, path) + _nul_paths(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _nul_paths(item, f"{path}.{i}" if path else str(i))]
    return []


def parse(model: type[Model], data: Any) -> Model:
    """Validate `data` into `model`, or raise `invalid` naming every bad field."""
    if not isinstance(data, dict):
        raise ApiError("invalid", "expected a JSON object", {"fields": {"body": "expected an object"}})
    if nul := _nul_paths(data):
        raise ApiError("invalid", "invalid input", {"fields": {path: "contains a NUL character" for path in nul}})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {_field_path(err["loc"]): err["msg"] for err in exc.errors(include_url=False)}
        raise ApiError("invalid", "invalid input", {"fields": fields}) from None
