"""A one-line progress bar on stderr: redrawn in place on a terminal, a line every few
seconds in a log (CI), nothing with quiet=True."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 28


class ProgressBar:
    def __init__(self, label: str, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self._drawn_at = 0.0
        self._width = 0

    def update(self, fraction: float, status: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn_at < (0.1 if self.tty else 5.0):
            return
        self._drawn_at = now
        self._draw(fraction, status, end="" if self.tty else "\n")

    def _draw(self, fraction: float, status: str, end: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(fraction * WIDTH)
        line = f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction * 100:3.0f}% {status}"
        pad = " " * max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write(("\r" if self.tty else "") + line + pad + end)
        self.stream.flush()

    def done(self, status: str) -> None:
        if self.enabled:
            self._draw(1.0, status, end="\n")


def log(message: str, *, enabled: bool = True) -> None:
    if enabled:
        print(message, file=sys.stderr, flush=True)
