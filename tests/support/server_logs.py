"""What a server logged that nobody expected: tracebacks, errors and "failed" warnings.

Every test is checked (tests/conftest.py): the records of the in-process server and
the log files of the server processes it started. A test that provokes such a line
on purpose says so with `@pytest.mark.expect_log(r"regex", ...)`; any line matching
one of its patterns is allowed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import orjson

# Log files of server processes started during the current test (tests/support/cluster.py adds them).
PROCESS_LOGS: list[Path] = []

# Loggers of the test's own clients: what they say is not the server's doing.
_CLIENT_LOGGERS = re.compile(r"(^|\.)client$|^tests(\.|$)|^hypothesis|^schemathesis|^asyncio$")


def _is_problem(level: str, message: str, has_traceback: bool) -> bool:
    level = level.lower()
    if has_traceback or level in {"error", "critical"}:
        return True
    return level == "warning" and "failed" in message.lower()


def _allowed(line: str, expected: Iterable[re.Pattern[str]]) -> bool:
    return any(pattern.search(line) for pattern in expected)


class RecordCollector(logging.Handler):
    """Keeps the in-process server's warnings and errors for the end-of-test check."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not _CLIENT_LOGGERS.search(record.name):
            self.records.append(record)

    def problems(self, expected: list[re.Pattern[str]]) -> list[str]:
        found = []
        for record in self.records:
            line = f"{record.levelname} {record.name}: {record.getMessage()}"
            traceback = record.exc_info is not None and record.exc_info[0] is not None
            if traceback:
                line += f" [{record.exc_info[0].__name__}: {record.exc_info[1]}]"
            if _is_problem(record.levelname, record.getMessage(), traceback) and not _allowed(line, expected):
                found.append(line)
        return found


def problems_in_file(path: Path, expected: list[re.Pattern[str]]) -> list[str]:
    """Lines of a server process's log (JSON lines as shipped, or plain text) that are problems."""
    found = []
    text = path.read_text(errors="replace") if path.exists() else ""
    for raw in text.splitlines():
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            entry = None
        if isinstance(entry, dict):
            line = f"{entry.get('level')} {entry.get('logger')}: {entry.get('msg')}"
            if "exc" in entry:
                line += " [" + str(entry["exc"]).strip().splitlines()[-1] + "]"
            problem = _is_problem(str(entry.get("level", "")), str(entry.get("msg", "")), "exc" in entry)
        else:  # not from our logging: a bare traceback or an interpreter message
            line = raw
            problem = raw.startswith("Traceback") or bool(re.match(r"\S+ (ERROR|CRITICAL) ", raw))
        if problem and not _allowed(line, expected):
            found.append(f"{path.name}: {line}")
    return found
