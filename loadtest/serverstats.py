"""What the server process costs, read from /proc: resident memory and CPU time.

CPU counts the given processes and all their descendants (an embedded PostgreSQL, worker
processes), so "deliveries per server CPU-second" includes everything the server needs; the
"process only" figure counts the first (the server process itself) alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()  # the command name may hold spaces and ")"
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _with_descendants(roots: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(stat[1] for pid in _with_descendants(pids) if (stat := _stat(pid)) is not None)


@dataclass
class ServerSample:
    rss_kib: int | None
    cpu_seconds: float | None  # the server with everything it needs (its database included)
    process_cpu_seconds: float | None = None  # the server process alone


class ServerProbe:
    """Samples the server; the first pid is the server itself (for memory), all count for CPU."""

    def __init__(self, pids: list[int] | None) -> None:
        self.pids = [p for p in (pids or []) if Path(f"/proc/{p}").exists()]

    @property
    def enabled(self) -> bool:
        return bool(self.pids)

    def sample(self) -> ServerSample:
        if not self.pids:
            return ServerSample(None, None)
        own = _stat(self.pids[0])
        return ServerSample(rss_kib(self.pids[0]), cpu_seconds(self.pids), own[1] if own else None)
