"""Times on the wire: ISO 8601 in UTC, milliseconds, a Z, whatever zone or precision they come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chatserver.schemas.base import iso_z


@pytest.mark.parametrize(("value", "wire"), [
    (datetime(2026, 11, 27, 8, 37, 17, 461234, tzinfo=UTC), "2026-11-27T08:37:17.461Z"),
    (datetime(2026, 11, 27, 8, 37, 17, tzinfo=UTC), "2026-11-27T08:37:17.000Z"),
    (datetime(2026, 11, 27, 8, 37, 17, 999, tzinfo=UTC), "2026-11-27T08:37:17.000Z"),  # cut, never rounded up
    (datetime(2026, 11, 27, 8, 37, 17, 999999, tzinfo=UTC), "2026-11-27T08:37:17.999Z"),
    (datetime(2026, 11, 27, 10, 37, 17, 5000, tzinfo=timezone(timedelta(hours=2))), "2026-11-27T08:37:17.005Z"),
    (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "2025-12-31T23:30:00.000Z"),
    (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
    (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
])
def test_times_go_out_in_utc_with_milliseconds_and_a_z(value, wire):
    assert iso_z(value) == wire
