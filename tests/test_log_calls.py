"""Logging calls that would raise when their record is built.

`extra={"process": ...}` overwrites a LogRecord attribute, and logging raises KeyError
the moment the record is built, that is only at a level where the call is enabled: a
reaper that worked at WARNING died at INFO. Every `extra` key in the source is checked here.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


LOGGING_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}


def _extra_keys(tree: ast.AST):
    """(line, key) of every `extra` key of a logging call (`<something>.info(..., extra={...})`)."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOGGING_METHODS):
            continue
        for keyword in node.keywords:
            if keyword.arg != "extra":
                continue
            if not isinstance(keyword.value, ast.Dict):
                yield node.lineno, None  # built elsewhere: cannot be checked, so not allowed
                continue
            for key in keyword.value.keys:
                yield node.lineno, key.value if isinstance(key, ast.Constant) else None


def test_no_logging_extra_key_clashes_with_a_log_record_attribute():
    clashes = []
    for path in [*(ROOT / "chatserver").rglob("*.py"), *(ROOT / "loadtest").rglob("*.py")]:
        for line, key in _extra_keys(ast.parse(path.read_text(), str(path))):
            if key is None or key in RESERVED or not isinstance(key, str):
                clashes.append(f"{path.relative_to(ROOT)}:{line}: extra key {key!r}")
    assert not clashes, "extra= keys must be literal strings that are not LogRecord attributes:\n" + \
        "\n".join(clashes)


def test_the_check_catches_the_clash_that_killed_the_reaper_and_only_in_logging_calls():
    source = 'log.info("reaped", extra={"process": process, "sockets": 3})\nConfigDict(extra="forbid")'
    assert [key for _, key in _extra_keys(ast.parse(source)) if key in RESERVED] == ["process"]
