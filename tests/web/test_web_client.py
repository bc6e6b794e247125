"""The web client at `/`, end to end: real headless Chromium pages against a real server.

Each test drives the page only through the data-testid contract of docs/web-client.md and
checks what the page shows against what the server stores (over HTTP). Screenshots of the main
views go to $CHAT_SCREENSHOTS (docs/screenshots when the docs are refreshed), else nowhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from pathlib import Path

import pytest

from tests.support.browser import PHONE, ChatPage
from tests.support.chat import workspace_with_channel
from tests.support.server import RunningServer

SCREENSHOTS = os.environ.get("CHAT_SCREENSHOTS")


def _screenshot_path(name: str) -> str:
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")


async def screenshot(chat: ChatPage, name: str) -> None:
    if SCREENSHOTS:
        await chat.page.screenshot(path=_screenshot_path(name))


async def history(server: RunningServer, token: str, channel_id: str) -> list[dict]:
    """The channel's top-level messages as the server stores them (what the list must show)."""
    page = await server.request("GET", f"/api/v1/channels/{channel_id}/messages?limit=100", token=token)
    assert page.status == 200, page.body
    return [m for m in page.body["messages"] if m["parentId"] is None]


def as_shown(messages: list[dict]) -> list[dict]:
    """Server messages in the shape ChatPage.timeline() reads from the page."""
    return [{"seq": m["seq"], "text": "This message was deleted." if m["isDeleted"] else m["content"],
             "deleted": m["isDeleted"], "reactions": [[r["emoji"], r["count"]] for r in m["reactions"]]}
            for m in messages]


async def until(check, timeout: float = 10.0, interval: float = 0.1):
    """Poll an async `check` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


async def test_two_people_chat_in_a_channel_and_a_direct_conversation(server, browser):
    alice = await server.account("alice")
    bob = await server.account("bob")
    room = await workspace_with_channel(server, alice, bob)
    a = await ChatPage.open(browser, server.url)
    b = await ChatPage.open(browser, server.url)
    await a.sign_in("alice", alice.password)
    await b.sign_in(bob.email, bob.password)  # a username or an email
    # After sign-in the first workspace is selected and its channels listed.
    await a.testid("workspace").filter(has_text=room.workspace["name"]).wait_for()
    await a.open_channel("general")
    await b.open_channel("general")

    # Markup in a message is shown as text, never run; the message arrives once, in seq order.
    markup = '<img src=x onerror="window.pwned=1"><b>bold</b> & @bob'
    await a.send(markup)
    seq = await a.wait_acked(markup)
    await b.page.locator(f"[data-testid=message][data-seq='{seq}']").wait_for()
    assert await b.message(markup).locator("[data-testid=message-text]").text_content() == markup
    assert await b.page.locator("#messages b, #messages img").count() == 0
    assert await b.page.evaluate("window.pwned") is None
    await a.send("second")
    await b.page.locator("[data-testid=message][data-seq]", has_text="second").wait_for()
    assert [m["seq"] for m in await b.timeline()] == [seq, seq + 1]

    # Typing: shown to the other person while alice types, gone when she sends.
    typing = b.testid("typing")
    assert await typing.count() == 0
    await a.testid("composer").press_sequentially("third one")
    await typing.wait_for()
    assert "alice is typing" in await typing.text_content()
    await a.testid("composer").press("Enter")
    await b.page.locator("[data-testid=message][data-seq]", has_text="third one").wait_for()
    await typing.wait_for(state="hidden")

    # Reactions: bob reacts, alice sees the count and adds hers, then takes it back.
    second = b.message("second")
    await second.hover()
    await second.get_by_test_id("react").click()
    await second.locator("[data-testid=emoji][data-emoji='👍']").click()
    chip = a.message("second").locator("[data-testid=reaction][data-emoji='👍']")
    await chip.and_(a.page.locator("[data-count='1']")).wait_for()
    await chip.click()
    await b.message("second").locator("[data-testid=reaction][data-count='2']").wait_for()
    await a.message("second").locator("[data-testid=reaction][data-count='2']").click()
    await b.message("second").locator("[data-testid=reaction][data-count='1']").wait_for()

    # Edit, and a version conflict: alice edits on "another device" while this page has the editor open.
    message_id = await a.message("third one").get_attribute("data-id")
    mine = a.page.locator(f"[data-testid=message][data-id='{message_id}']")
    await mine.hover()
    await mine.get_by_test_id("edit").click()
    other_device = await server.request("PATCH", f"/api/v1/messages/{message_id}", token=alice.access_token,
                                        json={"content": "third one, from my phone", "version": 1})
    assert other_device.status == 200, other_device.body
    await a.testid("edit-input").fill("third one, edited")
    await a.testid("save-edit").click()
    conflict = a.testid("edit-conflict")
    await conflict.wait_for()
    assert await a.testid("edit-conflict-current").text_content() == "third one, from my phone"
    await a.testid("save-edit").click()  # save again: on top of the current version
    await b.page.locator("[data-testid=message]", has_text="third one, edited").locator("text=(edited)").wait_for()
    stored = await server.request("GET", f"/api/v1/messages/{message_id}", token=bob.access_token)
    assert (stored.body["message"]["content"], stored.body["message"]["version"]) == ("third one, edited", 3)

    # Presence: bob sets himself busy; alice sees it next to his name.
    await b.testid("me").click()
    await b.testid("status-select").select_option("BUSY")
    await b.testid("status-text").fill("in a meeting")
    await b.testid("dialog-submit").click()
    await a.testid("members").click()
    bob_row = a.page.locator(f"[data-testid=member][data-user-id='{bob.id}']")
    await bob_row.locator("[data-testid=presence][data-status=BUSY]").wait_for()
    assert "in a meeting" in await bob_row.text_content()

    # A direct conversation, started from the members list.
    await bob_row.get_by_test_id("message-member").click()
    await a.page.locator("[data-testid=stream-title]", has_text="bob").wait_for()
    await a.send("a private word")
    await a.wait_acked("a private word")
    dm_entry = b.testid("conversation").filter(has_text="alice")
    await dm_entry.locator("[data-testid=unread-badge]", has_text="1").wait_for()
    await dm_entry.click()
    await b.page.locator("[data-testid=message][data-seq='1']", has_text="a private word").wait_for()
    await dm_entry.locator("[data-testid=unread-badge]").wait_for(state="detached")
    await b.send("sure, tell me")
    await a.page.locator("[data-testid=message][data-seq='2']", has_text="sure, tell me").wait_for()
    await screenshot(a, "desktop-direct")

    # When bob closes his page, alice sees him go offline.
    await b.context.close()
    await a.page.locator("[data-testid=conversation] [data-testid=presence][data-status=OFFLINE]").wait_for()

    # Nothing was stored twice.
    channel = await history(server, alice.access_token, room.channel_id)
    assert [m["content"] for m in channel] == [markup, "second", "third one, edited"]
    a.assert_clean()
    b.assert_clean()


async def test_a_page_that_was_offline_catches_up_exactly(server, browser):
    alice = await server.account("alice")
    bob = await server.account("bob")
    room = await workspace_with_channel(server, alice, bob)
    ids = []
    for text in ["one", "two", "three"]:
        posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=alice.access_token,
                                      json={"content": text, "nonce": uuid.uuid4().hex})
        ids.append(posted.body["message"]["id"])
    a = await ChatPage.open(browser, server.url)
    b = await ChatPage.open(browser, server.url)
    await a.sign_in("alice", alice.password)
    await b.sign_in("bob", bob.password)
    await a.open_channel("general")
    await b.open_channel("general")
    await b.page.locator("[data-testid=message][data-seq='3']").wait_for()

    await b.context.set_offline(True)
    await b.page.locator("[data-testid=connection][data-state=reconnecting]").wait_for()
    await screenshot(b, "desktop-offline")

    # While bob is away: new messages, an edit, a delete and reactions.
    await a.send("four")
    await a.wait_acked("four")
    edited = await server.request("PATCH", f"/api/v1/messages/{ids[0]}", token=alice.access_token,
                                  json={"content": "one (edited)", "version": 1})
    assert edited.status == 200, edited.body
    deleted = await server.request("DELETE", f"/api/v1/messages/{ids[1]}", token=alice.access_token)
    assert deleted.status in (200, 204), deleted.body
    four = a.message("four")
    await four.hover()
    await four.get_by_test_id("react").click()
    await four.locator("[data-testid=emoji][data-emoji='🎉']").click()
    await four.locator("[data-testid=reaction][data-count='1']").wait_for()
    reacted = await server.request("PUT", f"/api/v1/messages/{ids[2]}/reactions/%F0%9F%91%8D", token=alice.access_token)
    assert reacted.status in (200, 201, 204), reacted.body
    await a.send("five")
    await a.wait_acked("five")

    # What bob writes meanwhile waits in the queue, shown as pending (no seq yet).
    await b.send("written offline")
    pending = b.page.locator("[data-testid=message][data-pending]", has_text="written offline")
    await pending.wait_for()
    assert await pending.get_attribute("data-seq") is None
    assert await b.page.locator("[data-testid=message]", has_text="four").count() == 0

    await b.context.set_offline(False)
    await b.wait_synced()
    await b.page.locator("[data-testid=message][data-seq]", has_text="written offline").wait_for()

    stored = await history(server, alice.access_token, room.channel_id)
    assert [m["content"] for m in stored].count("written offline") == 1  # sent once
    expected = as_shown(stored)
    assert await until(lambda: _timeline_equals(b, expected)), "bob's list differs from the server's history"
    assert await until(lambda: _timeline_equals(a, expected)), "alice's list differs from the server's history"
    assert [m["seq"] for m in expected] == sorted(m["seq"] for m in expected)
    a.assert_clean()
    b.assert_clean()


async def _timeline_equals(chat: ChatPage, expected: list[dict]) -> bool:
    return await chat.timeline() == expected


@pytest.mark.settings(RATE_LIMIT_SEND="1000/10")
async def test_a_reload_keeps_the_session_and_refreshes_an_expired_token(server, browser):
    alice = await server.account("alice")
    room = await workspace_with_channel(server, alice)
    for n in range(1, 56):
        posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=alice.access_token,
                                      json={"content": f"old {n}", "nonce": f"old-{n}"})
        assert posted.status == 201, posted.body
    a = await ChatPage.open(browser, server.url)
    await a.sign_in("alice", alice.password)
    await a.open_channel("general")
    # The newest page first; scrolling up brings the earlier messages, in order.
    await a.page.locator("[data-testid=message][data-seq='55']").wait_for()
    assert [m["seq"] for m in await a.timeline()] == list(range(6, 56))
    await a.page.locator("#scroller").evaluate("(el) => { el.scrollTop = 0; }")
    await a.page.locator("[data-testid=message][data-seq='1']").wait_for()
    assert [m["seq"] for m in await a.timeline()] == list(range(1, 56))

    await a.send("before the reload")
    await a.wait_acked("before the reload")
    await a.page.reload()
    await a.wait_synced()
    assert await a.testid("login").is_hidden()
    await a.page.locator("[data-testid=message][data-seq='56']", has_text="before the reload").wait_for()

    # An access token the server refuses (expired, say): the socket and HTTP calls refresh it.
    session = json.loads(await a.page.evaluate("localStorage.getItem('chat.session')"))
    refreshed_before = session["refreshToken"]
    await a.page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('chat.session'));
        s.accessToken = 'expired-' + s.accessToken.slice(8);
        localStorage.setItem('chat.session', JSON.stringify(s));
    }""")
    await a.page.reload()
    await a.wait_synced()
    session = json.loads(await a.page.evaluate("localStorage.getItem('chat.session')"))
    assert session["refreshToken"] != refreshed_before
    await a.send("after a refused token")
    await a.wait_acked("after a refused token")

    # A token past its expiry time is refreshed before it is used.
    await a.page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('chat.session'));
        s.expiresAt = new Date(Date.now() - 1000).toISOString();
        localStorage.setItem('chat.session', JSON.stringify(s));
    }""")
    await a.page.reload()
    await a.wait_synced()
    later = json.loads(await a.page.evaluate("localStorage.getItem('chat.session')"))
    assert later["refreshToken"] != session["refreshToken"] and later["expiresAt"] > session["expiresAt"]

    # A send whose ack was lost (stored on the server, still in the page's queue) is retried with
    # the same nonce after a reload, and appears once.
    nonce = uuid.uuid4().hex
    stored = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=alice.access_token,
                                  json={"content": "ack lost", "nonce": nonce})
    assert stored.status == 201, stored.body
    await a.page.evaluate("""([userId, channelId, nonce]) => {
        localStorage.setItem('chat.outbox.' + userId, JSON.stringify([{nonce, streamKey: 'c:' + channelId,
          kind: 'channel', streamId: channelId, content: 'ack lost', attachmentIds: [], type: 'TEXT', state: 'sending'}]));
    }""", [alice.id, room.channel_id, nonce])
    await a.page.reload()
    await a.wait_synced()
    await until(lambda: a.page.evaluate(f"localStorage.getItem('chat.outbox.{alice.id}') === '[]'"))
    assert await a.message("ack lost").count() == 1
    contents = [m["content"] for m in await history(server, alice.access_token, room.channel_id)]
    assert contents[-3:] == ["before the reload", "after a refused token", "ack lost"] and len(contents) == 58

    # Sign out: back to the form, and a reload does not sign in again.
    await a.testid("me").click()
    await a.testid("sign-out").click()
    await a.testid("login").wait_for()
    await a.page.reload()
    await a.testid("login").wait_for()
    a.assert_clean()


async def test_sign_up_create_a_workspace_and_invite_on_a_phone(server, browser):
    phone = await ChatPage.open(browser, server.url, viewport=PHONE)
    await screenshot(phone, "phone-sign-in")
    await phone.testid("show-sign-up").click()
    await phone.testid("sign-up-email").fill("carol@example.com")
    await phone.testid("sign-up-username").fill("carol")
    await phone.testid("sign-up-password").fill("correct horse battery")
    await phone.testid("sign-up").click()
    await phone.wait_synced()

    # On a phone the workspaces and channels are behind the menu button.
    menu = phone.testid("menu")
    await menu.click()
    await phone.testid("add-workspace").click()
    await phone.testid("workspace-name").fill("Acme")
    await phone.testid("dialog-submit").click()
    await phone.page.locator("[data-testid=stream-title]", has_text="# general").wait_for()
    await phone.testid("workspace").filter(has_text="Acme").wait_for(state="hidden")  # the menu closed
    await phone.send("hello from my phone <3")
    await phone.wait_acked("hello from my phone <3")

    # Someone joins with the invite code and answers from a desktop.
    await menu.click()
    await phone.testid("invite").click()
    code = (await phone.testid("invite-code-value").text_content()).strip()
    await phone.page.keyboard.press("Escape")  # the dialog
    await phone.page.keyboard.press("Escape")  # the menu
    dave = await server.account("dave")
    desk = await ChatPage.open(browser, server.url)
    await desk.sign_in("dave", dave.password)
    await desk.testid("add-workspace").click()
    await desk.testid("invite-code").fill(code)
    await desk.testid("dialog-submit").click()
    await desk.testid("workspace").filter(has_text="Acme").wait_for()
    await desk.testid("channel-join").filter(has_text="general").click()
    await desk.page.locator("[data-testid=message]", has_text="hello from my phone <3").wait_for()
    await desk.send("hi @carol, welcome")
    await phone.page.locator("[data-testid=message][data-seq='2']", has_text="hi @carol").wait_for()
    await screenshot(phone, "phone-channel")
    await menu.click()
    await phone.testid("channel").filter(has_text=re.compile(r"general")).wait_for()
    await asyncio.sleep(0.3)  # the drawer's slide
    await screenshot(phone, "phone-menu")
    await desk.page.keyboard.press("Escape")
    await screenshot(desk, "desktop-channel")
    phone.assert_clean()
    desk.assert_clean()


def png(width: int = 40, height: int = 30) -> bytes:
    """A small valid PNG, for the image preview."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([70, 95, 214]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.mark.settings(MAX_UPLOAD_BYTES=2048, RATE_LIMIT_REACTION="3/60")
async def test_threads_pins_attachments_search_unread_and_errors(server, browser):
    alice = await server.account("alice")
    bob = await server.account("bob")
    room = await workspace_with_channel(server, alice, bob)
    random = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                  token=alice.access_token, json={"name": "random"})
    added = await server.request("POST", f"/api/v1/channels/{random.body['channel']['id']}/members",
                                 token=alice.access_token, json={"userId": bob.id})
    assert added.status == 201, added.body
    a = await ChatPage.open(browser, server.url)
    b = await ChatPage.open(browser, server.url)
    b2 = await ChatPage.open(browser, server.url)  # bob's second device
    await a.sign_in("alice", alice.password)
    await b.sign_in("bob", bob.password)
    await b2.sign_in("bob", bob.password)
    for chat in (a, b, b2):
        await chat.open_channel("general")

    # Unread counts and mention badges, kept across bob's devices.
    await a.open_channel("random")
    await a.send("lunch, @bob?")
    await a.wait_acked("lunch, @bob?")
    for device in (b, b2):
        entry = device.channel("random")
        await entry.locator("[data-testid=unread-badge]", has_text="1").wait_for()
        await entry.locator("[data-testid=mention-badge]", has_text="@1").wait_for()
    await b.open_channel("random")
    await b2.channel("random").locator("[data-testid=unread-badge]").wait_for(state="detached")
    await b2.channel("random").locator("[data-testid=mention-badge]").wait_for(state="detached")

    # A thread: alice replies to her message; bob sees the reply count and opens the thread.
    root = a.message("lunch, @bob?")
    await root.hover()
    await root.get_by_test_id("reply").click()
    await a.testid("thread-composer").fill("the usual place")
    await a.testid("thread-composer").press("Enter")
    await a.testid("thread").locator("[data-testid=thread-message][data-seq]", has_text="the usual place").wait_for()
    replies = b.message("lunch, @bob?").get_by_test_id("thread-replies")
    await replies.filter(has_text="1 reply").wait_for()
    assert await b.message("the usual place").count() == 0  # replies stay in the thread
    await replies.click()
    await b.testid("thread").locator("[data-testid=thread-message]", has_text="the usual place").wait_for()
    await screenshot(b, "desktop-thread")
    await b.testid("panel-close").click()

    # Pins: bob pins the message, alice sees it pinned and in the channel's pins.
    await b.message("lunch, @bob?").hover()
    await b.message("lunch, @bob?").get_by_test_id("pin").click()
    await a.page.locator("[data-testid=message][data-pinned=true]", has_text="lunch").wait_for()
    await a.testid("pins").click()
    await a.testid("pins-list").locator("[data-testid=pinned-message]", has_text="lunch").wait_for()
    await a.testid("panel-close").click()

    # An image attachment: uploaded, sent, previewed on the other side.
    await a.testid("attach").set_input_files(files=[{"name": "dot.png", "mimeType": "image/png", "buffer": png()}])
    await a.page.locator(".tray .chip:not(.uploading)", has_text="dot.png").wait_for()
    await a.send("a picture")
    image = b.message("a picture").get_by_test_id("attachment-image")
    await image.wait_for()
    await until(lambda: image.evaluate("(img) => img.complete && img.naturalWidth === 40"))
    assert (await image.get_attribute("src")).startswith("blob:")
    # Too large: said in words, nothing sent.
    await a.testid("attach").set_input_files(files=[{"name": "big.bin", "mimeType": "application/octet-stream",
                                                     "buffer": b"x" * 4096}])
    await a.testid("toast").filter(has_text="too large").wait_for()

    # Rate limited reactions: said in words.
    target = b.message("a picture")
    for emoji in ["👍", "🎉", "👀", "🔥"]:
        await target.hover()
        await target.get_by_test_id("react").click()
        await target.locator(f"[data-testid=emoji][data-emoji='{emoji}']").click()
    await b.testid("toast").filter(has_text="too often").wait_for()

    # Search.
    await a.testid("search").fill("lunch")
    await a.testid("search").press("Enter")
    await a.testid("search-result").filter(has_text="lunch, @bob?").wait_for()
    await screenshot(a, "desktop-search")
    for chat in (a, b, b2):
        chat.assert_clean()
