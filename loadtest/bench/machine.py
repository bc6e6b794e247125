"""What a benchmark ran on: the figures mean little without it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _node_package(folder: Path, name: str) -> str | None:
    package = folder / "node_modules" / name / "package.json"
    if not package.exists():
        return None
    import json

    return json.loads(package.read_text()).get("version")


def describe() -> dict[str, str | int | None]:
    from loadtest.baselines.launch import NODE_DIR

    memory_kib = None
    try:
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memoryGiB": round(memory_kib / 1024 / 1024, 1) if memory_kib else None,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "aiohttp": _package("aiohttp"),
        "python-socketio": _package("python-socketio"),
        "python-engineio": _package("python-engineio"),
        "socket.io (node)": _node_package(NODE_DIR, "socket.io"),
        "commit": _version(["git", "rev-parse", "--short", "HEAD"]),
    }
