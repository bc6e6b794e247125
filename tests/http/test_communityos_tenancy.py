"""CommunityOS tenant isolation: row-level security, through the role the server's pool signs in with.

The communities are set up over HTTP; then raw queries run as the application role, including ones that
deliberately forget their WHERE clause, and must still stay inside the community set on the transaction,
and see and write nothing when none is set."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from chatserver.db.tenancy import scope
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem
from tests.support.roles import owner_sql

V1 = "/api/v1"
TENANT_TABLES = ("community_members", "subscription_tiers", "subscriptions", "payments")


async def _community_with_tier(server, owner, name: str) -> tuple[str, str]:
    created = await server.request("POST", f"{V1}/communities", token=owner.access_token, json={"name": name})
    assert created.status == 201, created.body
    tier = await server.request("POST", f"{V1}/communities/{created.body['id']}/tiers", token=owner.access_token,
                                json={"name": "Gold", "price": "9.99", "interval": "monthly"})
    assert tier.status == 201, tier.body
    return created.body["id"], tier.body["id"]


async def _billing_rows(server, community_id: str, tier_id: str, suffix: str) -> None:
    """A subscription and a payment of the community's owner, as the webhook would write them (set up as the
    tables' owner)."""
    member_id = (await owner_sql(server, "SELECT id FROM community_members WHERE community_id = $1"
                                         " AND role = 'owner'", community_id))[0]["id"]
    sub = await owner_sql(server, "INSERT INTO subscriptions (community_id, member_id, tier_id, stripe_subscription_id,"
                                  " status, last_event_at) VALUES ($1, $2, $3, $4, 'active', now()) RETURNING id",
                          community_id, member_id, tier_id, f"sub_{suffix}")
    await owner_sql(server, "INSERT INTO payments (community_id, member_id, subscription_id, stripe_invoice_id, amount,"
                            " currency, status) VALUES ($1, $2, $3, $4, 9.99, 'USD', 'succeeded')",
                    community_id, member_id, sub[0]["id"], f"in_{suffix}")


@pytest.fixture
async def two_communities(server):
    alice, bob = await server.account(), await server.account()
    a, a_tier = await _community_with_tier(server, alice, "Alpha")
    b, b_tier = await _community_with_tier(server, bob, "Beta")
    joined = await server.request("POST", f"{V1}/communities/{b}/join", token=alice.access_token)
    assert joined.status == 201
    await _billing_rows(server, a, a_tier, "a")
    await _billing_rows(server, b, b_tier, "b")
    return {"alice": alice, "bob": bob, "a": a, "b": b, "a_tier": a_tier, "b_tier": b_tier}


async def _app_connection(server) -> asyncpg.Connection:
    return await asyncpg.connect(server.settings.database_url)


async def test_the_server_signs_in_as_a_role_that_neither_owns_the_tables_nor_bypasses_security(server):
    async with server.app[SERVICES].db.connection() as conn:
        role = await conn.fetchrow("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        owners = await conn.fetch("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        forced = await conn.fetch("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
                                  " AND relname = ANY($1)", list(TENANT_TABLES))
    assert not role["rolsuper"] and not role["rolbypassrls"]
    assert role["rolname"] not in {row["tableowner"] for row in owners}
    assert {row["relname"] for row in forced} == set(TENANT_TABLES)


async def test_with_no_community_set_the_tenant_tables_show_nothing_and_take_no_writes(server, two_communities):
    conn = await _app_connection(server)
    try:
        for table in TENANT_TABLES:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        async with conn.transaction():
            await scope(conn)  # explicitly nothing
            assert await conn.fetchval("SELECT count(*) FROM community_members") == 0
            assert await conn.execute("UPDATE community_members SET nickname = 'x'") == "UPDATE 0"
            assert await conn.execute("DELETE FROM subscription_tiers") == "DELETE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO subscription_tiers (community_id, name, price, interval)"
                               " VALUES ($1, 'Sneaky', 1, 'monthly')", two_communities["a"])
    finally:
        await conn.close()
    assert len(await owner_sql(server, "SELECT 1 FROM subscription_tiers")) == 2


async def test_an_unfiltered_query_in_one_community_reads_and_writes_only_its_rows(server, two_communities):
    a, b = two_communities["a"], two_communities["b"]
    conn = await _app_connection(server)
    try:
        async with conn.transaction():
            await scope(conn, community_id=a)
            for table in TENANT_TABLES:
                communities = {row["community_id"] for row in await conn.fetch(f"SELECT community_id FROM {table}")}
                assert {str(c) for c in communities} == {a}, table
            # The forgotten WHERE: every row it can reach is community A's.
            assert await conn.execute("UPDATE community_members SET nickname = 'changed'") == "UPDATE 1"
            assert await conn.execute("UPDATE payments SET description = 'changed'") == "UPDATE 1"
            assert await conn.execute("DELETE FROM subscriptions") == "DELETE 1"
            # Writing a row into community B from A's scope is refused.
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute("INSERT INTO subscription_tiers (community_id, name, price, interval)"
                                       " VALUES ($1, 'Sneaky', 1, 'monthly')", b)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute("UPDATE subscription_tiers SET community_id = $1", b)
        # The scope ended with the transaction: the pooled connection carries nothing over.
        assert await conn.fetchval("SELECT count(*) FROM community_members") == 0
    finally:
        await conn.close()
    b_members = await owner_sql(server, "SELECT nickname FROM community_members WHERE community_id = $1", b)
    assert [row["nickname"] for row in b_members] == [None, None]
    assert len(await owner_sql(server, "SELECT 1 FROM subscriptions WHERE community_id = $1", b)) == 1
    assert (await owner_sql(server, "SELECT description FROM payments WHERE community_id = $1", b))[0][0] is None


async def test_a_user_sees_their_own_memberships_in_every_community_and_only_reads_them(server, two_communities):
    alice, bob = two_communities["alice"], two_communities["bob"]
    conn = await _app_connection(server)
    try:
        async with conn.transaction():
            await scope(conn, user_id=alice.id)
            mine = await conn.fetch("SELECT community_id, user_id FROM community_members")
            assert {str(row["community_id"]) for row in mine} == {two_communities["a"], two_communities["b"]}
            assert {str(row["user_id"]) for row in mine} == {alice.id}  # not Bob's membership of Beta
            assert await conn.fetchval("SELECT count(*) FROM payments") == 1  # her own, in Alpha
            assert await conn.execute("UPDATE community_members SET nickname = 'x'") == "UPDATE 0"
        async with conn.transaction():
            await scope(conn, user_id=bob.id)
            assert await conn.fetchval("SELECT count(*) FROM community_members") == 1
            assert await conn.fetchval("SELECT count(*) FROM payments") == 1
    finally:
        await conn.close()


async def test_the_api_never_reaches_another_communitys_tier_through_its_own(server, two_communities):
    alice, a, b_tier = two_communities["alice"], two_communities["a"], two_communities["b_tier"]
    path = f"{V1}/communities/{a}/tiers/{b_tier}"
    assert_problem(await server.request("GET", path, token=alice.access_token), 404, "not_found")
    assert_problem(await server.request("PATCH", path, token=alice.access_token, json={"price": "0.00"}), 404,
                   "not_found")
    assert_problem(await server.request("DELETE", path, token=alice.access_token), 404, "not_found")
    tiers = await server.request("GET", f"{V1}/communities/{a}/tiers", token=alice.access_token)
    assert [tier["id"] for tier in tiers.body["items"]] == [two_communities["a_tier"]]
    assert str((await owner_sql(server, "SELECT price FROM subscription_tiers WHERE id = $1", b_tier))[0][0]) == "9.99"


async def test_discord_ids_are_optional_and_unique_where_present(server):
    owner, member, other = await server.account(), await server.account(), await server.account()
    first = await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                 json={"name": "Guild", "discordGuildId": "111111111111111111"})
    assert first.status == 201 and first.body["discordGuildId"] == "111111111111111111"
    assert first.body["status"] == "active" and first.body["subscriptionTier"] == "free"
    plain = await server.request("POST", f"{V1}/communities", token=owner.access_token, json={"name": "No guild"})
    also_plain = await server.request("POST", f"{V1}/communities", token=owner.access_token, json={"name": "Neither"})
    assert plain.body["discordGuildId"] is None and also_plain.status == 201  # many without one
    taken = await server.request("POST", f"{V1}/communities", token=other.access_token,
                                 json={"name": "Copy", "discordGuildId": "111111111111111111"})
    assert_problem(taken, 409, "conflict")
    assert taken.body["details"]["field"] == "discordGuildId"
    assert_problem(await server.request("PATCH", f"{V1}/communities/{first.body['id']}", token=owner.access_token,
                                        json={"status": "suspended"}), 403, "forbidden")  # platform admins only

    cid = first.body["id"]
    for account in (member, other):
        await server.request("POST", f"{V1}/communities/{cid}/join", token=account.access_token)
    path = f"{V1}/communities/{cid}/members"
    set_ids = await server.request("PATCH", f"{path}/{member.id}", token=owner.access_token,
                                   json={"discordUserId": "222222222222222222", "roles": ["Supporter"],
                                         "nickname": "Mo"})
    assert set_ids.status == 200, set_ids.body
    assert (set_ids.body["discordUserId"], set_ids.body["roles"], set_ids.body["nickname"]) == \
        ("222222222222222222", ["Supporter"], "Mo")
    assert set_ids.body["subscriptionStatus"] == "none" and set_ids.body["totalSpent"] == "0.00"
    clash = await server.request("PATCH", f"{path}/{other.id}", token=owner.access_token,
                                 json={"discordUserId": "222222222222222222"})
    assert_problem(clash, 409, "conflict")
    listed = await server.request("GET", path, token=other.access_token)
    seen = {m["userId"]: m for m in listed.body["items"]}
    assert seen[member.id]["totalSpent"] is None and seen[other.id]["totalSpent"] == "0.00"  # only your own


async def test_only_a_security_definer_function_of_another_role_crosses_communities(server, two_communities):
    """What a non-superuser owner's narrow cross-tenant functions rely on (the daily activity count): inside
    one, the policies let its owner through; the pool's role itself never gets past them."""
    role = f"definer_{uuid.uuid4().hex[:8]}"
    function = f"count_members_{role}"
    await owner_sql(server, f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
    try:
        await owner_sql(server, f"GRANT SELECT ON community_members TO {role}")
        await owner_sql(server, f"CREATE FUNCTION {function}() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER"
                                " SET search_path = public, pg_temp AS $$ SELECT count(*) FROM community_members $$")
        await owner_sql(server, f"ALTER FUNCTION {function}() OWNER TO {role}")
        conn = await _app_connection(server)
        try:
            assert await conn.fetchval("SELECT count(*) FROM community_members") == 0
            assert await conn.fetchval(f"SELECT {function}()") == 3
            assert await conn.fetchval("SELECT chat_in_owner_function()") is False
        finally:
            await conn.close()
    finally:
        await owner_sql(server, f"DROP FUNCTION IF EXISTS {function}()")
        await owner_sql(server, f"REVOKE ALL ON community_members FROM {role}")
        await owner_sql(server, f"DROP ROLE {role}")
