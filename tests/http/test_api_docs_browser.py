"""Both API reference pages in headless Chromium, as a client developer uses them: the operations
render (not just the HTML), the tag index and the search work, a token pasted in Authorize makes a
"Try it out" call succeed, and the AsyncAPI page lists the Socket.IO events. Nothing is loaded
from anywhere but this server."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.async_api import expect

from tests.support.browser import browser  # noqa: F401 (the fixture)

pytestmark = pytest.mark.timeout(90)


async def _open(browser, url: str):  # noqa: F811
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems: list[str] = []
    host = urlparse(url).netloc
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("request", lambda request: urlparse(request.url).netloc not in ("", host)
            and request.url.startswith("http") and problems.append(f"request elsewhere: {request.url}"))
    page.set_default_timeout(15_000)
    await page.goto(url)
    return page, problems


async def test_the_http_api_page_renders_searches_and_tries_calls_with_a_token(server, browser):  # noqa: F811
    ada = await server.account("ada")
    page, problems = await _open(browser, server.url + "/api/docs")

    # The tag index, chat first, seed features grouped by their seed system.
    await page.wait_for_selector(".opblock-tag-section")
    tags = await page.locator(".opblock-tag").all_inner_texts()
    names = [text.split("\n")[0].strip() for text in tags]
    assert names[:3] == ["auth", "account", "workspaces"], names
    assert any(name.startswith("GrowCommunity: ") for name in names)
    assert any(name.startswith("SmileFactory: ") for name in names) and names[-1].startswith("CommunityOS: ")

    # A tag opens its operations, each with its summary.
    await page.locator(".opblock-tag", has_text="messages").first.click()
    post = page.locator(".opblock-post", has=page.locator("[data-path='/api/v1/channels/{channelId}/messages']"))
    await post.wait_for()
    assert "Post a message" in await post.inner_text()

    # The search box finds operations by words of their summary or path.
    await page.fill(".operation-filter-input", "workspace with its invite code")
    join = page.locator(".opblock", has=page.locator("[data-path='/api/v1/workspaces/join']"))
    await join.wait_for()
    await expect(page.locator(".opblock-tag")).to_have_count(1)  # only workspaces has a match
    await page.fill(".operation-filter-input", "")
    await expect(page.locator(".opblock-tag")).to_have_count(len(names))

    # Authorize with the accessToken, then "Try it out" on GET /me answers 200 with ada's account.
    await page.click(".auth-wrapper .authorize")
    await page.fill(".auth-container input[type=text], .auth-container input[type=password]", ada.access_token)
    await page.click(".auth-btn-wrapper .authorize")
    await page.click(".btn-done")
    await page.locator(".opblock-tag", has_text="account").first.click()
    me = page.locator(".opblock-get", has=page.locator("[data-path='/api/v1/me']")).first
    await me.locator(".opblock-summary").click()
    example = await me.locator(".response .microlight, .response pre").first.inner_text()
    assert '"username": "ada"' in example  # the documented example answer
    await me.locator(".try-out__btn").click()
    await me.locator(".execute").click()
    status = me.locator(".live-responses-table tr.response .response-col_status").first
    await status.wait_for()
    assert (await status.inner_text()).strip().startswith("200")
    assert ada.id in await me.locator(".live-responses-table tr.response .response-col_description").first.inner_text()
    assert not problems, problems


async def test_the_realtime_api_page_renders_the_socket_events(server, browser):  # noqa: F811
    page, problems = await _open(browser, server.url + "/api/asyncapi")
    await page.locator("#asyncapi :text('message:send')").first.wait_for(state="attached")
    text = await page.locator("#asyncapi").inner_text()
    assert "chatserver realtime API (Socket.IO)" in text
    for event in ("channel:join", "message:send", "sync", "ready", "message:new", "presence"):
        assert event in text, event
    assert "/api/docs" in text  # the intro points at the served pages, not at repository paths
    assert not problems, problems
