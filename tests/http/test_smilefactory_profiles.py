"""SmileFactory typed profiles: a type per user with its own fields, draft and active, visibility
seen by a stranger, a connection and the owner (and across a block), and exact completion."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from chatserver.schemas.profiles import DETAILS
from chatserver.store.profiles import PROFILE_TYPES
from tests.http.test_auth import assert_problem
from tests.support.roles import sql

V1 = "/api/v1"
MINE = f"{V1}/me/profile"


async def _connect(server, one, other):
    asked = await server.request("POST", f"{V1}/connections", token=one.access_token, json={"receiverId": other.id})
    accepted = await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=other.access_token)
    assert accepted.body["status"] == "accepted"


async def _details(server, account, path, **fields):
    saved = await server.request("PUT", f"{MINE}/{path}", token=account.access_token, json=fields)
    assert saved.status == 200, saved.body
    return saved.body


async def _envelope(server, account, **changes):
    changed = await server.request("PATCH", MINE, token=account.access_token, json=changes)
    assert changed.status == 200, changed.body
    return changed.body


async def _seen(server, viewer, owner) -> tuple[bool, bool]:
    """Whether the viewer gets the owner's profile, and finds it in the directory."""
    got = await server.request("GET", f"{V1}/profiles/{owner.id}", token=viewer.access_token)
    assert got.status in (200, 404), got.body
    if got.status == 404:
        assert_problem(got, 404, "not_found")
    listed = await server.request("GET", f"{V1}/profiles?limit=100", token=viewer.access_token)
    assert listed.status == 200, listed.body
    return got.status == 200, owner.id in [item["userId"] for item in listed.body["items"]]


async def test_a_new_account_has_a_draft_profile_without_a_type(server):
    owner = await server.account()
    mine = await server.request("GET", MINE, token=owner.access_token)
    assert mine.status == 200, mine.body
    assert (mine.body["profileType"], mine.body["profileState"], mine.body["profileVisibility"]) == (
        None, "draft", "public")
    assert mine.body["profileCompletion"] == 0 and mine.body["details"] is None and mine.body["missingFields"] == []
    # Active needs a type.
    refused = await server.request("PATCH", MINE, token=owner.access_token, json={"profileState": "active"})
    assert_problem(refused, 409, "conflict")
    assert refused.body["details"]["reason"] == "no_profile_type"
    # The database keeps that rule for every writer.
    with pytest.raises(asyncpg.CheckViolationError):
        await sql(server, "UPDATE user_profiles SET profile_state = 'active' WHERE user_id = $1", owner.id)


async def test_completion_counts_the_filled_fields_of_the_type(server):
    owner = await server.account()
    # Innovator: 9 fields; 3 filled (blank text and absent fields do not count) is 33 (rounded down).
    innovator = await _details(server, owner, "innovator", startupName="Solar Loop", industryFocus="Energy",
                               teamSize=4, targetMarket="   ")
    assert innovator["profileType"] == "innovator" and innovator["profileCompletion"] == 33
    assert innovator["details"]["startupName"] == "Solar Loop" and innovator["details"]["teamSize"] == 4
    assert innovator["missingFields"] == ["innovationStage", "startupDescription", "fundingAmountNeeded",
                                          "businessModel", "targetMarket", "competitiveAdvantage"]
    stored = await sql(server, "SELECT profile_completion FROM user_profiles WHERE user_id = $1", owner.id)
    assert stored[0]["profile_completion"] == 33
    # A PUT replaces the fields: what it leaves out is cleared. All 9: 100.
    full = await _details(server, owner, "innovator", industryFocus="Energy", innovationStage="prototype",
                          startupName="Solar Loop", startupDescription="Solar kiosks", fundingAmountNeeded="150000.5",
                          teamSize=4, businessModel="Pay as you go", targetMarket="Rural towns",
                          competitiveAdvantage="Cheap panels")
    assert full["profileCompletion"] == 100 and full["missingFields"] == []
    assert full["details"]["fundingAmountNeeded"] == "150000.50"
    fewer = await _details(server, owner, "innovator", startupName="Solar Loop")
    assert fewer["profileCompletion"] == 11 and fewer["details"]["teamSize"] is None

    # Business investor: 8 fields; an empty list does not count; 2 of 8 is 25.
    investor = await server.account()
    body = await _details(server, investor, "business-investor", investmentFocus=["fintech", "health"],
                          geographicFocus=[], ticketSizeMin="1000", investmentCriteria="")
    assert body["profileType"] == "business_investor" and body["profileCompletion"] == 25
    assert body["details"]["ticketSizeMin"] == "1000.00" and body["details"]["geographicFocus"] == []

    # Mentor: 7 fields; 5 of 7 is 71 (71.4 rounded down), a zero counts as filled.
    mentor = await server.account()
    body = await _details(server, mentor, "mentor", expertiseAreas=["pitching"], mentoringExperienceYears=0,
                          availabilityHoursPerMonth=10, preferredCommunicationMethods=["video"],
                          mentoringPhilosophy="Ask, then listen")
    assert body["profileType"] == "mentor" and body["profileCompletion"] == 71
    assert body["missingFields"] == ["mentoringApproach", "successStories"]


@pytest.mark.parametrize(("path", "fields"), [
    ("business-investor", {"ticketSizeMin": "500", "ticketSizeMax": "100"}),
    ("business-investor", {"ticketSizeMin": "-1"}),
    ("business-investor", {"investmentFocus": [""]}),
    ("innovator", {"teamSize": 0}),
    ("innovator", {"fundingAmountNeeded": "1.234"}),
    ("innovator", {"startupName": "x" * 201}),
    ("innovator", {"expertiseAreas": ["another type's field"]}),
    ("mentor", {"availabilityHoursPerMonth": 745}),
    ("mentor", {"mentoringExperienceYears": "3"}),
])
async def test_fields_out_of_their_type_or_range_are_refused(server, path, fields):
    owner = await server.account()
    assert_problem(await server.request("PUT", f"{MINE}/{path}", token=owner.access_token, json=fields), 422, "invalid")
    assert (await server.request("GET", MINE, token=owner.access_token)).body["profileType"] is None


async def test_the_ticket_range_and_the_type_are_kept_by_the_database_too(server):
    owner = await server.account()
    await _details(server, owner, "business-investor", ticketSizeMin="10", ticketSizeMax="20")
    with pytest.raises(asyncpg.CheckViolationError):
        await sql(server, "UPDATE business_investor_profiles SET ticket_size_min = 30 WHERE user_id = $1", owner.id)
    # A typed row exists only for the user's own type.
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await sql(server, "INSERT INTO mentor_profiles (user_id) VALUES ($1)", owner.id)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await sql(server, "UPDATE user_profiles SET profile_type = 'mentor' WHERE user_id = $1", owner.id)


async def test_the_type_changes_only_while_the_profile_is_a_draft(server):
    owner = await server.account()
    await _details(server, owner, "innovator", startupName="Solar Loop")
    active = await _envelope(server, owner, profileState="active", profileName="Solar founder")
    assert active["profileState"] == "active" and active["profileName"] == "Solar founder"

    refused = await server.request("PUT", f"{MINE}/mentor", token=owner.access_token, json={"expertiseAreas": ["ops"]})
    assert_problem(refused, 409, "conflict")
    assert refused.body["details"]["reason"] == "profile_active"
    # The same type's fields change while active.
    assert (await _details(server, owner, "innovator", startupName="Solar Loop 2"))["profileState"] == "active"

    await _envelope(server, owner, profileState="draft")
    changed = await _details(server, owner, "mentor", expertiseAreas=["ops"])
    assert changed["profileType"] == "mentor" and changed["details"] == {
        "expertiseAreas": ["ops"], "mentoringExperienceYears": None, "mentoringApproach": None,
        "availabilityHoursPerMonth": None, "preferredCommunicationMethods": [], "successStories": None,
        "mentoringPhilosophy": None}
    assert changed["profileCompletion"] == 14  # 1 of 7
    # The old type's fields are gone, not kept aside.
    assert await sql(server, "SELECT 1 FROM innovator_profiles WHERE user_id = $1", owner.id) == []
    back = await _details(server, owner, "innovator")
    assert back["details"]["startupName"] is None and back["profileCompletion"] == 0
    assert_problem(await server.request("PATCH", MINE, token=owner.access_token, json={"profileState": "gone"}),
                   422, "invalid")
    assert_problem(await server.request("PATCH", MINE, token=owner.access_token,
                                        json={"profileVisibility": "friends"}), 422, "invalid")


async def test_visibility_from_a_stranger_a_connection_and_the_owner(server):
    owner, connection, stranger = await server.account(), await server.account(), await server.account()
    await _connect(server, owner, connection)
    await _details(server, owner, "mentor", expertiseAreas=["fundraising"])

    # A draft is the owner's alone, whatever its visibility.
    assert await _seen(server, owner, owner) == (True, True)
    assert await _seen(server, connection, owner) == (False, False)
    assert await _seen(server, stranger, owner) == (False, False)

    await _envelope(server, owner, profileState="active")  # public by default
    for viewer in (owner, connection, stranger):
        assert await _seen(server, viewer, owner) == (True, True)
    seen = await server.request("GET", f"{V1}/profiles/{owner.id}", token=stranger.access_token)
    assert seen.body["details"]["expertiseAreas"] == ["fundraising"]
    assert seen.body["missingFields"] is None  # the to-do list is the owner's

    await _envelope(server, owner, profileVisibility="connections")
    assert await _seen(server, owner, owner) == (True, True)
    assert await _seen(server, connection, owner) == (True, True)
    assert await _seen(server, stranger, owner) == (False, False)

    await _envelope(server, owner, profileVisibility="private")
    assert await _seen(server, owner, owner) == (True, True)
    assert await _seen(server, connection, owner) == (False, False)
    assert await _seen(server, stranger, owner) == (False, False)

    # Back to draft: hidden again, even when public.
    await _envelope(server, owner, profileVisibility="public", profileState="draft")
    assert await _seen(server, connection, owner) == (False, False)
    assert await _seen(server, stranger, owner) == (False, False)
    assert await _seen(server, owner, owner) == (True, True)

    assert_problem(await server.request("GET", f"{V1}/profiles/00000000-0000-0000-0000-000000000000",
                                        token=stranger.access_token), 404, "not_found")


async def test_a_block_hides_the_profile_both_ways(server):
    owner, blocker = await server.account(), await server.account()
    await _details(server, owner, "innovator", startupName="Solar Loop")
    await _envelope(server, owner, profileState="active")
    await _details(server, blocker, "mentor", expertiseAreas=["ops"])
    await _envelope(server, blocker, profileState="active")
    assert await _seen(server, blocker, owner) == (True, True)

    blocked = await server.request("PUT", f"{V1}/users/{owner.id}/block", token=blocker.access_token)
    assert blocked.status in (200, 201, 204), blocked.body
    assert await _seen(server, blocker, owner) == (False, False)
    assert await _seen(server, owner, blocker) == (False, False)
    assert await _seen(server, owner, owner) == (True, True)
    await server.request("DELETE", f"{V1}/users/{owner.id}/block", token=blocker.access_token)
    assert await _seen(server, blocker, owner) == (True, True)


async def test_the_directory_filters_by_type_and_text_and_pages(server):
    viewer = await server.account()
    innovators = []
    for name in ("Solar Loop", "Water 100%", "Agri_Sense"):
        account = await server.account()
        await _details(server, account, "innovator", startupName=name, industryFocus="CleanTech")
        await _envelope(server, account, profileState="active")
        innovators.append(account)
    investor = await server.account()
    await _details(server, investor, "business-investor", investmentFocus=["cleantech", "Agri"])
    await _envelope(server, investor, profileState="active", profileName="Harare Angels")

    async def ids(query: str) -> list[str]:
        listed = await server.request("GET", f"{V1}/profiles?{query}", token=viewer.access_token)
        assert listed.status == 200, listed.body
        return [item["userId"] for item in listed.body["items"]]

    newest_first = [investor.id, *reversed([a.id for a in innovators])]
    assert (await ids("limit=100"))[:4] == newest_first
    assert await ids("type=innovator") == newest_first[1:]
    assert await ids("type=business_investor") == [investor.id]
    assert await ids("q=cleantech") == newest_first  # typed fields, any case
    assert await ids("q=angels") == [investor.id]  # the profile's name
    assert await ids("q=agri&type=business_investor") == [investor.id]  # a list field
    assert await ids("q=100%25") == [innovators[1].id]  # % and _ are plain characters
    assert await ids("q=i_s") == [innovators[2].id]
    assert await ids(f"q={innovators[0].username}") == [innovators[0].id]
    first = await server.request("GET", f"{V1}/profiles?type=innovator&limit=2", token=viewer.access_token)
    rest = await server.request("GET", f"{V1}/profiles?type=innovator&limit=2&cursor={first.body['nextCursor']}",
                                token=viewer.access_token)
    assert [i["userId"] for i in first.body["items"] + rest.body["items"]] == newest_first[1:]
    assert rest.body["nextCursor"] is None
    assert_problem(await server.request("GET", f"{V1}/profiles?type=student", token=viewer.access_token), 422,
                   "invalid")
    assert_problem(await server.request("GET", f"{V1}/profiles?q=", token=viewer.access_token), 422, "invalid")


async def test_a_deactivated_account_s_profile_is_hidden(server):
    owner, viewer = await server.account(), await server.account()
    await _details(server, owner, "mentor", expertiseAreas=["ops"])
    await _envelope(server, owner, profileState="active")
    await sql(server, "UPDATE users SET is_active = false WHERE id = $1", owner.id)
    assert await _seen(server, viewer, owner) == (False, False)


async def test_concurrent_type_changes_leave_one_typed_row_of_the_final_type(server):
    owner = await server.account()
    paths = ["innovator", "mentor", "business-investor"] * 4
    answers = await asyncio.gather(*(server.request("PUT", f"{MINE}/{path}", token=owner.access_token, json={})
                                     for path in paths))
    assert all(answer.status == 200 for answer in answers), [answer.body for answer in answers]
    rows = await sql(server, """SELECT 'innovator' AS type FROM innovator_profiles WHERE user_id = $1
                                UNION ALL SELECT 'business_investor' FROM business_investor_profiles WHERE user_id = $1
                                UNION ALL SELECT 'mentor' FROM mentor_profiles WHERE user_id = $1""", owner.id)
    final = (await server.request("GET", MINE, token=owner.access_token)).body["profileType"]
    assert [row["type"] for row in rows] == [final]


def test_each_type_is_declared_alike_in_the_store_and_on_the_wire():
    assert DETAILS.keys() == PROFILE_TYPES.keys()
    for name, (body, shown) in DETAILS.items():
        assert list(body.model_fields) == list(shown.model_fields) == list(PROFILE_TYPES[name].fields), name
