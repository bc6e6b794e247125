"""The three servers under test, each started fresh for a run and pinned to its CPUs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from loadtest.baselines import launch

# Limits are for people, not for a benchmark: sends and sign-ups from one address unthrottled,
# and access tokens that outlive a long bench, so accounts are registered once. Logging stays as
# shipped (INFO): what is measured is what runs.
OURS_ENV = {"RATE_LIMIT_SEND": "1000000/1", "RATE_LIMIT_AUTH": "1000000/1", "ACCESS_TOKEN_TTL": "86400"}


@dataclass
class Server:
    target: str
    url: str
    process: subprocess.Popen[bytes]
    extra_pids: list[int] = field(default_factory=list)  # the embedded PostgreSQL, for CPU time

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *self.extra_pids]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {timeout:.0f}s")


def start_ours(*, port: int, data_dir: Path, cpus: str | None, log: IO[bytes] | None) -> Server:
    """`chatserver serve` on an embedded PostgreSQL in `data_dir` (kept between runs of one
    bench, so accounts made once are reused; a new bench starts from an empty one)."""
    env = {**os.environ, **OURS_ENV, "CHAT_DATA_DIR": str(data_dir), "PORT": str(port), "HOST": "127.0.0.1"}
    argv = [sys.executable, "-m", "chatserver", "serve"]
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, timeout=180)
    except Exception:
        process.kill()
        raise
    postmaster = data_dir / "postgres" / "postmaster.pid"
    extra = [int(postmaster.read_text().split()[0])] if postmaster.exists() else []
    return Server("ours", url, process, extra)


def start(target: str, *, port: int, data_dir: Path, cpus: str | None, log: IO[bytes] | None = None) -> Server:
    """Start `target`; its log (stderr) goes to `log`."""
    if target == "ours":
        return start_ours(port=port, data_dir=data_dir, cpus=cpus, log=log)
    running = launch.start(target, port=port, cpus=cpus, log=log)
    _wait_ready(running.url, running.process, timeout=30)
    return Server(target, running.url, running.process)
