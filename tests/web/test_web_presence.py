"""The web client shows the presence of people `ready` left out (`presenceComplete: false`): it asks
`presence:get` for those a list shows. Real headless Chromium against a real server."""

from __future__ import annotations

from tests.support.browser import ChatPage
from tests.support.chat import connect, workspace_with_channel


async def test_the_members_list_shows_the_presence_of_people_who_share_no_channel(server, browser):
    alice, bob, carol, dave = [await server.account() for _ in range(4)]
    room = await workspace_with_channel(server, alice, bob)
    for account in (carol, dave):  # in the workspace, in none of its channels: left out of alice's ready
        joined = await server.request("POST", "/api/v1/workspaces/join", token=account.access_token,
                                      json={"inviteCode": room.workspace["inviteCode"]})
        assert joined.status == 200, joined.body
    carol_socket = await connect(server, carol)
    ack = await carol_socket.call("presence:set", {"status": "BUSY", "statusText": "on a call"})
    assert ack["ok"], ack

    a = await ChatPage.open(browser, server.url)
    await a.sign_in(alice.username, alice.password)
    await a.testid("members").click()
    carol_row = a.page.locator(f"[data-testid=member][data-user-id='{carol.id}']")
    await carol_row.locator("[data-testid=presence][data-status=BUSY]").wait_for()
    assert "on a call" in await carol_row.text_content()
    dave_row = a.page.locator(f"[data-testid=member][data-user-id='{dave.id}']")
    await dave_row.locator("[data-testid=presence][data-status=OFFLINE]").wait_for()

    await connect(server, dave)  # a change still arrives as an event
    await dave_row.locator("[data-testid=presence][data-status=ONLINE]").wait_for()
    await carol_socket.close()
    await carol_row.locator("[data-testid=presence][data-status=OFFLINE]").wait_for()
    a.assert_clean()
