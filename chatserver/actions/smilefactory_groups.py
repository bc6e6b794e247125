"""SmileFactory groups: visibility, joining (open, by approval, by invite code), a member cap,
roles, bans, and a chat channel in the realtime core that the active members are in.

Every membership change of a group runs in one transaction that first locks the group row, so
they happen one at a time per group; the active count is kept by a trigger and the database
refuses more active members than `max_members` (groups_within_capacity). The same transaction
adds or removes the chat membership (the group's workspace, as GUEST, and its channel, with the
role that follows the group role); the user's sockets move rooms when it commits.

What each role may do (GROUP_ROLES ranks them):

| action | admin | moderator | member |
| --- | --- | --- | --- |
| chat in the group's channel, list members, leave | yes | yes | yes |
| moderate the chat (delete others' messages, pin) | yes | yes | no |
| approve or reject join requests, remove or ban members below their role, unban | yes | yes | no |
| change settings and the cap, set roles, see and rotate the invite code, delete the group | yes | no | no |

Platform admins may do what group admins do, on any group.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.broker.control import move_rooms, stream_at
from chatserver.errors import ApiError, conflict, forbidden, not_found
from chatserver.schemas.events import (
    CHANNEL_MEMBER_JOINED,
    CHANNEL_MEMBER_LEFT,
    WORKSPACE_DELETED,
    ChannelMemberEvent,
    WorkspaceRefEvent,
)
from chatserver.schemas.pagination import by_columns, fetch_page
from chatserver.schemas.roles import GROUP_ROLES
from chatserver.schemas.smilefactory_groups import (
    GroupIn,
    GroupOut,
    GroupPage,
    GroupQuery,
    GroupUpdateIn,
    JoinByCodeIn,
    JoinIn,
    MemberOut,
    MemberPage,
    MemberQuery,
    RoleIn,
)
from chatserver.store import channels, workspaces
from chatserver.store import smilefactory_groups as store

# The group role's counterpart in the group's channel (what the core's moderation checks read).
CHAT_ROLE = {"admin": "ADMIN", "moderator": "MODERATOR", "member": "MEMBER"}
CHANNEL_NAME = "chat"


def _new_invite_code() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits: not guessable


def _full(group: asyncpg.Record) -> ApiError:
    return conflict(f"the group is full ({group['max_members']} members)", reason="group_full",
                    maxMembers=group["max_members"])


async def _group(conn: asyncpg.Connection, principal: Principal, group_id: UUID, *,
                 lock: bool = False) -> asyncpg.Record:
    """The group if the caller may see it (`not_found` otherwise, whether or not it exists)."""
    row = await store.group(conn, group_id, principal.user_id, lock=lock)
    if row is None or not (principal.is_admin or row["visibility"] != "hidden"
                           or row["my_status"] in ("active", "pending")):
        raise not_found("group")
    return row


def _rank(group: asyncpg.Record, principal: Principal) -> int:
    """The caller's standing in the group: their role while active; platform admins above all."""
    if principal.is_admin:
        return GROUP_ROLES.above_all
    return GROUP_ROLES.rank(group["my_role"] if group["my_status"] == "active" else None)


def _require_role(group: asyncpg.Record, principal: Principal, wanted: str) -> None:
    if _rank(group, principal) < GROUP_ROLES.rank(wanted):
        raise forbidden(f"needs the {wanted} role in this group")


async def _render(conn: asyncpg.Connection, group_id: UUID, viewer_id: UUID) -> GroupOut:
    return GroupOut.render(await store.group(conn, group_id, viewer_id))


# The group's chat.

async def _enter_chat(svc: Services, conn: asyncpg.Connection, group: asyncpg.Record, user_id: UUID,
                      role: str) -> None:
    await workspaces.add_member(conn, group["workspace_id"], user_id, "GUEST")
    if await channels.add_member(conn, group["channel_id"], user_id, CHAT_ROLE[role]):
        chat = rooms.channel(group["channel_id"])
        svc.publish_after_commit(
            move_rooms(user_id, join=[rooms.workspace(group["workspace_id"]), chat],
                       at={chat: stream_at(await channels.by_id(conn, group["channel_id"]))}),
            CHANNEL_MEMBER_JOINED.to((rooms.channel(group["channel_id"]),),
                                     ChannelMemberEvent(channel_id=group["channel_id"], user_id=user_id)))
    else:
        await store.set_chat_role(conn, group["channel_id"], user_id, CHAT_ROLE[role])


async def _leave_chat(svc: Services, conn: asyncpg.Connection, group: asyncpg.Record, user_id: UUID) -> None:
    left = await workspaces.remove_member(conn, group["workspace_id"], user_id)
    if group["channel_id"] in left:
        svc.publish_after_commit(CHANNEL_MEMBER_LEFT.to((rooms.channel(group["channel_id"]),),
                                                        ChannelMemberEvent(channel_id=group["channel_id"],
                                                                           user_id=user_id)))
    svc.publish_after_commit(move_rooms(user_id, leave=[rooms.workspace(group["workspace_id"]),
                                                        rooms.channel(group["channel_id"])]))


# Groups.

async def create(svc: Services, principal: Principal, body: GroupIn) -> GroupOut:
    async with svc.db.transaction("create_group") as conn:
        workspace = await workspaces.create(conn, name=body.name[:80], slug=f"group-{secrets.token_hex(8)}",
                                            description=None, is_public=False, owner_id=principal.user_id,
                                            invite_code=_new_invite_code())
        # Nobody holds power over the group's workspace: the group's roles govern it.
        await workspaces.set_member_role(conn, workspace["id"], principal.user_id, "GUEST")
        channel = await channels.create(conn, workspace_id=workspace["id"], name=CHANNEL_NAME, type="TEXT",
                                        is_private=True, topic=None, description=None, created_by=principal.user_id)
        group_id = await store.insert_group(conn, principal.user_id, body.model_dump(),
                                            invite_code=_new_invite_code(), workspace_id=workspace["id"],
                                            channel_id=channel["id"])
        await store.put_membership(conn, group_id, principal.user_id, status="active", role="admin")
        group = await store.group(conn, group_id, principal.user_id)
        await _enter_chat(svc, conn, group, principal.user_id, "admin")
        return GroupOut.render(group)


async def list_groups(svc: Services, principal: Principal, query: GroupQuery) -> GroupPage:
    equal = {name: value for name in ("category", "visibility", "membership_type", "status")
             if (value := getattr(query, name)) is not None}
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page(
            conn, principal.user_id, principal.is_admin, equal=equal, tag=query.tag, search=query.q,
            mine=query.mine, after=after, limit=limit))
    return GroupPage.of(window, GroupOut.render)


async def get(svc: Services, principal: Principal, group_id: UUID) -> GroupOut:
    async with svc.db.connection() as conn:
        return GroupOut.render(await _group(conn, principal, group_id))


async def update(svc: Services, principal: Principal, group_id: UUID, body: GroupUpdateIn) -> GroupOut:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_group") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "admin")
        if changes.get("max_members", group["max_members"]) < group["member_count"]:
            raise conflict(f"the group has {group['member_count']} members, more than that", reason="below_count")
        try:
            await store.update_group(conn, group_id, changes)
        except store.GroupFull:
            raise conflict("the cap cannot go below the member count", reason="below_count") from None
        if "name" in changes:
            await workspaces.update(conn, group["workspace_id"], {"name": changes["name"][:80]})
        return await _render(conn, group_id, principal.user_id)


async def delete(svc: Services, principal: Principal, group_id: UUID) -> None:
    """The group goes with its workspace, channel and messages."""
    async with svc.db.transaction("delete_group") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "admin")
        members = await store.active_member_ids(conn, group_id)
        await workspaces.delete(conn, group["workspace_id"])  # cascades to the channel and the group
        svc.publish_after_commit(
            WORKSPACE_DELETED.to((rooms.workspace(group["workspace_id"]),),
                                 WorkspaceRefEvent(workspace_id=group["workspace_id"])),
            *(move_rooms(user_id, leave=[rooms.workspace(group["workspace_id"]), rooms.channel(group["channel_id"])])
              for user_id in members))


async def rotate_invite_code(svc: Services, principal: Principal, group_id: UUID) -> GroupOut:
    """A new code; the old one stops working at once."""
    async with svc.db.transaction("rotate_group_invite_code") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "admin")
        await store.set_invite_code(conn, group_id, _new_invite_code())
        return await _render(conn, group_id, principal.user_id)


# Joining and leaving.

async def _join(svc: Services, conn: asyncpg.Connection, principal: Principal, group_id: UUID,
                invite_code: str | None) -> MemberOut:
    group = await store.group(conn, group_id, principal.user_id, lock=True)
    if group is None:
        raise not_found("group")
    with_code = invite_code is not None and secrets.compare_digest(invite_code, group["invite_code"])
    mine = group["my_status"]
    if not (with_code or principal.is_admin or group["visibility"] != "hidden" or mine in ("active", "pending")):
        raise not_found("group")
    if invite_code is not None and not with_code:
        raise forbidden("that is not this group's invite code")
    if mine == "banned":
        raise forbidden("you are banned from this group")
    if mine == "active":
        await _enter_chat(svc, conn, group, principal.user_id, group["my_role"])  # repairs a chat left by hand
    elif group["status"] != "active":
        raise conflict(f"the group is {group['status']} and takes no new members", reason="group_inactive")
    elif with_code or group["membership_type"] == "open":
        if group["member_count"] >= group["max_members"]:
            raise _full(group)
        try:
            await store.put_membership(conn, group_id, principal.user_id, status="active")
        except store.GroupFull:
            raise _full(group) from None
        await _enter_chat(svc, conn, group, principal.user_id, "member")
    elif group["membership_type"] == "approval_required":
        if mine != "pending":
            await store.put_membership(conn, group_id, principal.user_id, status="pending")
    else:
        raise forbidden("this group is joined with its invite code")
    return MemberOut.from_row(await store.membership(conn, group_id, principal.user_id))


async def join(svc: Services, principal: Principal, group_id: UUID, body: JoinIn) -> MemberOut:
    """Become a member (`active`), or ask to (`pending`) where approval is required."""
    async with svc.db.transaction("join_group") as conn:
        return await _join(svc, conn, principal, group_id, body.invite_code)


async def join_by_code(svc: Services, principal: Principal, body: JoinByCodeIn) -> MemberOut:
    async with svc.db.transaction("join_group") as conn:
        group_id = await store.id_by_invite_code(conn, body.invite_code)
        if group_id is None:
            raise not_found("invite code")
        return await _join(svc, conn, principal, group_id, body.invite_code)


async def leave(svc: Services, principal: Principal, group_id: UUID) -> None:
    """Leave the group (or withdraw a join request); the last admin hands the role on first."""
    async with svc.db.transaction("leave_group") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        if group["my_status"] not in ("active", "pending"):
            raise not_found("membership")
        if group["my_role"] == "admin" and group["my_status"] == "active" \
                and await store.admin_count(conn, group_id) == 1:
            raise conflict("the last admin cannot leave: make someone else admin first, or delete the group",
                           reason="last_admin")
        await store.put_membership(conn, group_id, principal.user_id, status="left")
        await _leave_chat(svc, conn, group, principal.user_id)


# Members, for moderators and admins.

async def _target(conn: asyncpg.Connection, group: asyncpg.Record, user_id: UUID) -> asyncpg.Record:
    target = await store.membership(conn, group["id"], user_id)
    if target is None:
        raise not_found("member")
    return target


def _outranks(group: asyncpg.Record, principal: Principal, target: asyncpg.Record) -> None:
    if target["status"] == "active" and GROUP_ROLES.rank(target["role"]) >= _rank(group, principal):
        raise forbidden("you may only act on members below your own role")


async def _keeps_an_admin(conn: asyncpg.Connection, group_id: UUID, target: asyncpg.Record) -> None:
    """Refuse to take away the group's last admin."""
    if target["status"] == "active" and target["role"] == "admin" and await store.admin_count(conn, group_id) == 1:
        raise conflict("the group needs an admin: make someone else admin first", reason="last_admin")


async def list_members(svc: Services, principal: Principal, group_id: UUID, query: MemberQuery) -> MemberPage:
    async with svc.db.connection() as conn:
        group = await _group(conn, principal, group_id)
        if query.status != "active":
            _require_role(group, principal, "moderator")
        elif group["visibility"] != "public":
            _require_role(group, principal, "member")
        window = await fetch_page(query, lambda after, limit: store.members(
            conn, group_id, status=query.status, role=query.role, after=after, limit=limit),
            by_columns("joined_at", "user_id"))
    return MemberPage.of(window, MemberOut.from_row)


async def approve(svc: Services, principal: Principal, group_id: UUID, user_id: UUID) -> MemberOut:
    async with svc.db.transaction("approve_group_member") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "moderator")
        if (await _target(conn, group, user_id))["status"] != "pending":
            raise conflict("only a pending request is approved", reason="not_pending")
        if group["member_count"] >= group["max_members"]:
            raise _full(group)
        try:
            await store.put_membership(conn, group_id, user_id, status="active", invited_by=principal.user_id)
        except store.GroupFull:
            raise _full(group) from None
        await _enter_chat(svc, conn, group, user_id, "member")
        return MemberOut.from_row(await store.membership(conn, group_id, user_id))


async def remove(svc: Services, principal: Principal, group_id: UUID, user_id: UUID) -> None:
    """Remove a member below your role, or reject a join request; they may ask or join again."""
    async with svc.db.transaction("remove_group_member") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "moderator")
        target = await _target(conn, group, user_id)
        if target["status"] not in ("active", "pending"):
            raise not_found("member")
        _outranks(group, principal, target)
        await _keeps_an_admin(conn, group_id, target)
        await store.put_membership(conn, group_id, user_id, status="left")
        await _leave_chat(svc, conn, group, user_id)


async def ban(svc: Services, principal: Principal, group_id: UUID, user_id: UUID) -> MemberOut:
    """Banned people leave the group and its chat and cannot join again until unbanned; anyone may be
    banned ahead of joining."""
    async with svc.db.transaction("ban_group_member") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "moderator")
        await access.active_user(conn, user_id)
        target = await store.membership(conn, group_id, user_id)
        if target is not None:
            _outranks(group, principal, target)
            await _keeps_an_admin(conn, group_id, target)
        await store.put_membership(conn, group_id, user_id, status="banned")
        await _leave_chat(svc, conn, group, user_id)
        return MemberOut.from_row(await store.membership(conn, group_id, user_id))


async def unban(svc: Services, principal: Principal, group_id: UUID, user_id: UUID) -> MemberOut:
    """Lift a ban: the person may join again (they are not made a member)."""
    async with svc.db.transaction("unban_group_member") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "moderator")
        if (await _target(conn, group, user_id))["status"] != "banned":
            raise conflict("they are not banned", reason="not_banned")
        await store.put_membership(conn, group_id, user_id, status="left")
        return MemberOut.from_row(await store.membership(conn, group_id, user_id))


async def set_role(svc: Services, principal: Principal, group_id: UUID, user_id: UUID, body: RoleIn) -> MemberOut:
    async with svc.db.transaction("set_group_role") as conn:
        group = await _group(conn, principal, group_id, lock=True)
        _require_role(group, principal, "admin")
        target = await _target(conn, group, user_id)
        if target["status"] != "active":
            raise conflict("only active members hold roles", reason="not_active")
        if body.role != "admin":
            await _keeps_an_admin(conn, group_id, target)
        await store.set_role(conn, group_id, user_id, body.role)
        await store.set_chat_role(conn, group["channel_id"], user_id, CHAT_ROLE[body.role])
        return MemberOut.from_row(await store.membership(conn, group_id, user_id))
