"""The quickstart's examples (docs/examples/), run as a reader runs them against a real server, so
that the page cannot drift from the server: two users sign up, make a workspace and a channel,
chat, and one of them catches up with `sync` after a reconnection."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
JS_MODULES = ROOT / "tests" / "js" / "node_modules"

EXPECTED = ["ada: created #general-", "bob: received", "ada: received", "bob: sync brought 1 missed message(s)",
            "done: two users chatted"]


async def _run(*command: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(*command, cwd=cwd, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, env=dict(os.environ))
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 0, text
    return text


def _check(output: str) -> None:
    for expected in EXPECTED:
        assert expected in output, output


async def test_the_python_quickstart_runs_twice(server, tmp_path):
    script = EXAMPLES / "quickstart.py"
    _check(await _run(sys.executable, str(script), server.url, cwd=tmp_path))
    _check(await _run(sys.executable, str(script), server.url, cwd=tmp_path))  # the accounts exist now


@pytest.mark.skipif(shutil.which("node") is None or not (JS_MODULES / "socket.io-client").is_dir(),
                    reason="needs Node.js and tests/js/node_modules (scripts/bootstrap --test installs them)")
async def test_the_javascript_quickstart_runs(server, tmp_path):
    # As a reader would have it: the script next to a node_modules holding socket.io-client.
    shutil.copy(EXAMPLES / "quickstart.mjs", tmp_path / "quickstart.mjs")
    (tmp_path / "node_modules").symlink_to(JS_MODULES, target_is_directory=True)
    _check(await _run("node", "quickstart.mjs", server.url, cwd=tmp_path))
