"""Building a query whose clauses depend on the call: values in, `$n` placeholders out."""

from __future__ import annotations

from typing import Any


class Params:
    """Collects a query's values (the first ones given up front, as $1, $2, ...) and hands out the
    placeholder of each value added, so optional clauses never miscount."""

    def __init__(self, *values: Any) -> None:
        self.values: list[Any] = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def after(self, order: str, key: str, position: tuple[Any, Any], *, ascending: bool = False) -> str:
        """The keyset condition for the rows past `position` in (order, key) order."""
        return f"({order}, {key}) {'>' if ascending else '<'} ({self(position[0])}, {self(position[1])})"
