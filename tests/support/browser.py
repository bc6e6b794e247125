"""Debian's headless Chromium, driven by Playwright for Python, for the web client's tests.

The browser is the distribution's (`/usr/bin/chromium`, installed by `scripts/bootstrap --test`),
not one Playwright downloads. When it or the Playwright package is missing, the test fails and
says how to install them: it never skips.

`ChatPage` drives the web client through its data-testid contract (docs/web-client.md), the way a
test outside the project would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = ("install Debian's Chromium and Playwright for Python: `./scripts/bootstrap --test` "
                "(as root, or with sudo: `apt-get install chromium` and `.venv/bin/pip install playwright`)")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Browser console lines that are not the client's fault: requests refused while the network is emulated away.
_EXPECTED_CONSOLE = re.compile(r"ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|WebSocket connection to .* failed"
                               r"|net::ERR_|Failed to load resource")


def _installed() -> bool:
    return CHROMIUM.is_file()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium for the test; fails (does not skip) when it cannot be started."""
    if not _installed():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}", pytrace=False)
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail(f"the playwright package is missing: {INSTALL_HINT}", pytrace=False)
    async with async_playwright() as playwright:
        try:
            launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS,
                                                         headless=True)
        except Exception as exc:  # a broken install: say so, with what Playwright said
            pytest.fail(f"Chromium did not start ({exc}); {INSTALL_HINT}", pytrace=False)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class ChatPage:
    """One person's browser tab on the web client."""

    page: Any
    context: Any
    base_url: str
    problems: list[str] = field(default_factory=list)

    @classmethod
    async def open(cls, browser: Any, base_url: str, *, viewport: dict | None = None,
                   context: Any = None) -> ChatPage:
        context = context or await browser.new_context(viewport=viewport or DESKTOP)
        page = await context.new_page()
        chat = cls(page, context, base_url)
        page.on("pageerror", lambda error: chat.problems.append(f"page error: {error}"))
        page.on("console", chat._console)
        page.set_default_timeout(10_000)
        await page.goto(base_url + "/")
        return chat

    def _console(self, message: Any) -> None:
        if message.type == "error" and not _EXPECTED_CONSOLE.search(message.text):
            self.problems.append(f"console error: {message.text}")

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)

    async def sign_in(self, login: str, password: str) -> None:
        await self.testid("login").fill(login)
        await self.testid("password").fill(password)
        await self.testid("sign-in").click()
        await self.wait_synced()

    async def wait_synced(self, timeout: float = 15_000) -> None:
        """Connected, and caught up with `sync` after the (re)connection."""
        await self.page.locator("[data-testid=connection][data-state=connected][data-synced=true]").wait_for(
            timeout=timeout)

    def channel(self, name: str) -> Any:
        return self.testid("channel").filter(has_text=re.compile(rf"#\s*{re.escape(name)}\b"))

    async def open_channel(self, name: str) -> None:
        await self.channel(name).click()
        await self.page.locator("[data-testid=stream-title]", has_text=f"# {name}").wait_for()

    def message(self, text: str) -> Any:
        return self.testid("message").filter(has_text=text)

    async def send(self, text: str) -> None:
        await self.testid("composer").fill(text)
        await self.testid("composer").press("Enter")

    async def wait_acked(self, text: str) -> int:
        """The seq of the message with `text` once the server acknowledged it."""
        item = self.page.locator("[data-testid=message][data-seq]", has_text=text)
        await item.wait_for()
        return int(await item.get_attribute("data-seq"))

    async def timeline(self) -> list[dict]:
        """The open list as the page shows it: seq (None while pending), text, reactions."""
        return await self.page.eval_on_selector_all("#messages > [data-testid=message]", """
            (items) => items.map((li) => ({
              seq: li.dataset.seq ? Number(li.dataset.seq) : null,
              text: li.querySelector('[data-testid=message-text]')?.textContent ?? '',
              deleted: li.dataset.deleted === 'true',
              reactions: [...li.querySelectorAll('[data-testid=reaction]')].map((r) => [r.dataset.emoji, Number(r.dataset.count)]),
            }))""")

    def assert_clean(self) -> None:
        assert not self.problems, "the page reported errors:\n  " + "\n  ".join(self.problems)
