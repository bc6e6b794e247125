"""The web client's tests run in Debian's headless Chromium (tests/support/browser.py)."""

from tests.support.browser import browser  # noqa: F401  (a fixture)
