"""Options every scenario shares: where the server is, what it is, how to drive it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunOptions:
    url: str
    target: str = "python"  # ours | node | python: decides how users and channels are set up
    procs: int = 1  # load processes
    out: str = "loadtest-out"
    server_pids: list[int] = field(default_factory=list)  # first: the server (memory); all: CPU
    connect_rate: float = 500.0  # sockets opened per second, all processes together
    connect_concurrency: int = 200  # handshakes in flight per process
    connect_timeout: float = 20.0
    setup_concurrency: int = 4  # parallel account registrations (each costs the server an argon2 hash)
    accounts_cache: str | None = None
    quiet: bool = False
    plots: bool = True
    label: str = ""  # names the output files; default: scenario and target
