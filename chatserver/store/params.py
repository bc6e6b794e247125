"""Building a query whose clauses depend on the call: values in, `$n` placeholders out.

The one way to write an optional filter: `p.when(value, "m.seq < {}")` is the condition with the
value's placeholder, or None when the value is None, and `where(...)` joins the conditions that
apply. A clause left out is left out of the SQL text, so each combination is planned for what
it asks (no `$n IS NULL OR ...` for the planner to see through).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


class Params:
    """Collects a query's values (the first ones given up front, as $1, $2, ...) and hands out the
    placeholder of each value added, so optional clauses never miscount."""

    def __init__(self, *values: Any) -> None:
        self.values: list[Any] = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def when(self, value: Any, condition: str) -> str | None:
        """`condition` with its `{}` standing for the value's placeholder; None when the value is None."""
        return None if value is None else condition.replace("{}", self(value))

    def assignments(self, changes: Mapping[str, Any], columns: Collection[str]) -> str:
        """`column = $n, ...` for the changes to these columns, the names taken only from `columns` (the
        store's own list, never the client's); empty when there are none."""
        return ", ".join(f"{name} = {self(value)}" for name, value in changes.items() if name in columns)

    def after(self, order: str, key: str, position: tuple[Any, Any] | None, *, ascending: bool = False) -> str | None:
        """The keyset condition for the rows past `position` in (order, key) order; None for the first page."""
        if position is None:
            return None
        return f"({order}, {key}) {'>' if ascending else '<'} ({self(position[0])}, {self(position[1])})"


def where(*conditions: str | None) -> str:
    """The conditions that apply (the None ones do not), joined by AND; TRUE when none does."""
    return " AND ".join(condition for condition in conditions if condition is not None) or "TRUE"
