"""Starting a baseline server as a child process, pinned to given CPUs if asked.

The Node baseline's dependencies are installed here when node_modules is missing, so a
fresh checkout needs nothing but Node and npm.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HERE = Path(__file__).parent
NODE_DIR = HERE / "node-socketio"
PYTHON_SERVER = HERE / "python-socketio" / "server.py"
KINDS = ("node", "python")


class BaselineError(RuntimeError):
    pass


def ensure_node_modules() -> None:
    if (NODE_DIR / "node_modules" / "socket.io").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise BaselineError("npm is needed for the Node baseline and was not found on PATH")
    verb = "ci" if (NODE_DIR / "package-lock.json").exists() else "install"
    subprocess.run([npm, verb, "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                   stdout=subprocess.DEVNULL)


def command(kind: str, port: int, host: str = "127.0.0.1") -> list[str]:
    if kind == "node":
        ensure_node_modules()
        node = shutil.which("node")
        if node is None:
            raise BaselineError("node is needed for the Node baseline and was not found on PATH")
        return [node, str(NODE_DIR / "server.js"), "--host", host, "--port", str(port)]
    if kind == "python":
        return [sys.executable, str(PYTHON_SERVER), "--host", host, "--port", str(port)]
    raise BaselineError(f"unknown baseline {kind!r}; expected one of {', '.join(KINDS)}")


@dataclass
class Running:
    kind: str
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(kind: str, *, port: int = 0, cpus: str | None = None, timeout: float = 30.0,
          log: IO[bytes] | None = None) -> Running:
    """Start a baseline and wait for its "listening on <url>" line; its stderr goes to `log`."""
    argv = command(kind, port)
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, env=os.environ.copy())
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline().decode().strip()
            if line.startswith("listening on "):
                return Running(kind, line.removeprefix("listening on "), process)
            if not line and process.poll() is not None:
                break
        elif process.poll() is not None:
            break
    process.kill()
    raise BaselineError(f"the {kind} baseline did not start (exit code {process.poll()})")
