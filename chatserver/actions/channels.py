"""Channels: create, list, change, archive, join and leave, members, read markers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

import asyncpg

from chatserver import metrics
from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.actions.views import message_views
from chatserver.broker import rooms
from chatserver.broker.control import move_rooms, stream_at
from chatserver.errors import conflict, forbidden, not_found
from chatserver.schemas.conversations import ChannelReadOut
from chatserver.schemas.events import (
    CHANNEL_ARCHIVED,
    CHANNEL_CREATED,
    CHANNEL_MEMBER_JOINED,
    CHANNEL_MEMBER_LEFT,
    CHANNEL_READ,
    CHANNEL_UPDATED,
    ChannelEvent,
    ChannelMemberEvent,
    ChannelRefEvent,
)
from chatserver.schemas.messages import PinList
from chatserver.schemas.pagination import fetch_page
from chatserver.schemas.workspaces import (
    Channel,
    ChannelCreateIn,
    ChannelList,
    ChannelMember,
    ChannelMemberList,
    ChannelUpdateIn,
    ListQuery,
)
from chatserver.store import channels, messages, workspaces


def channel_view(row, *, is_member: bool) -> Channel:
    return Channel.from_row(row, is_member=is_member)


def _audience(channel) -> tuple[str, ...]:
    """Who hears about a channel's changes: the whole workspace for public ones, members for private ones."""
    if channel["is_private"]:
        return (rooms.channel(channel["id"]),)
    return (rooms.workspace(channel["workspace_id"]), rooms.channel(channel["id"]))


async def create(svc: Services, principal: Principal, workspace_id: UUID, body: ChannelCreateIn) -> Channel:
    async with svc.db.transaction("create_channel") as conn:
        await access.workspace_role(conn, workspace_id, principal, "MEMBER")
        try:
            row = await channels.create(conn, workspace_id=workspace_id, name=body.name, type=body.type,
                                        is_private=body.is_private, topic=body.topic, description=body.description,
                                        created_by=principal.user_id)
        except channels.NameTaken:
            raise conflict("a channel with that name exists in this workspace", field="name") from None
        await channels.add_member(conn, row["id"], principal.user_id, "OWNER")
        channel = channel_view(row, is_member=True)
        room = rooms.channel(row["id"])
        svc.publish_after_commit(move_rooms(principal.user_id, join=[room], at={room: stream_at(row)}),
                                 CHANNEL_CREATED.to(_audience(row), ChannelEvent.of(channel)))
    return channel


async def list_in_workspace(svc: Services, principal: Principal, workspace_id: UUID,
                            query: ListQuery) -> ChannelList:
    async with svc.db.connection() as conn:
        await access.workspace_role(conn, workspace_id, principal)
        window = await fetch_page(query, lambda after, limit: channels.visible_in_workspace(
            conn, workspace_id, principal.user_id, after=after, limit=limit), lambda row: row["name"])
    return ChannelList.of(window, lambda row: channel_view(row, is_member=row["channel_role"] is not None))


async def get(svc: Services, principal: Principal, channel_id: UUID) -> Channel:
    async with svc.db.connection() as conn:
        stream = await access.channel_access(conn, channel_id, principal)
    return channel_view(stream.record, is_member=stream.channel_role is not None)


async def update(svc: Services, principal: Principal, channel_id: UUID, body: ChannelUpdateIn) -> Channel:
    changes = body.model_dump(exclude_unset=True)
    muted = changes.pop("is_muted", None)
    async with svc.db.transaction("update_channel") as conn:
        stream = await access.channel_access(conn, channel_id, principal)
        if muted is not None:
            if stream.channel_role is None:
                raise forbidden("join the channel first")
            await channels.set_muted(conn, channel_id, principal.user_id, muted)
        if changes:
            if not stream.may_manage():
                raise forbidden("only channel or workspace admins may change a channel")
            stream.require_writable()
            try:
                row = await channels.update(conn, channel_id, changes)
            except channels.NameTaken:
                raise conflict("a channel with that name exists in this workspace", field="name") from None
        else:
            row = stream.record
        channel = channel_view(row, is_member=stream.channel_role is not None)
        if changes:
            svc.publish_after_commit(CHANNEL_UPDATED.to(_audience(row), ChannelEvent.of(channel)))
    return channel


async def archive(svc: Services, principal: Principal, channel_id: UUID) -> Channel:
    async with svc.db.transaction("archive_channel") as conn:
        stream = await access.channel_access(conn, channel_id, principal)
        if not stream.may_manage():
            raise forbidden("only channel or workspace admins may archive a channel")
        if stream.archived:
            return channel_view(stream.record, is_member=stream.channel_role is not None)
        row = await channels.archive(conn, channel_id)
        svc.publish_after_commit(CHANNEL_ARCHIVED.to(_audience(row), ChannelRefEvent(channel_id=channel_id)))
    return channel_view(row, is_member=stream.channel_role is not None)


async def join(svc: Services, principal: Principal, channel_id: UUID) -> tuple[Channel, int]:
    """Join a public channel; private ones are joined by being added. Guests are added, never join."""
    async with svc.db.transaction("join_channel") as conn:
        stream = await access.channel_access(conn, channel_id, principal)
        if stream.channel_role is None:
            if stream.record["is_private"]:
                raise forbidden("private channels are joined by invitation")
            if stream.workspace_role == "GUEST":
                raise forbidden("guests join channels only when added by a member")
            stream.require_writable()
            added = await channels.add_member(conn, channel_id, principal.user_id)
        else:
            added = False
        row = await channels.by_id(conn, channel_id)  # read after joining: where the stream stands at the join
        if added:
            _announce_join(svc, channel_id, principal.user_id, row)
    return channel_view(row, is_member=True), row["last_seq"]


def _announce_join(svc: Services, channel_id: UUID, user_id: UUID, position: asyncpg.Record) -> None:
    """`position`: the channel's counters read in the joining transaction after the member was added;
    the joining sockets receive every change after them live (realtime.ordering)."""
    joined = ChannelMemberEvent(channel_id=channel_id, user_id=user_id)
    room = rooms.channel(channel_id)
    svc.publish_after_commit(move_rooms(user_id, join=[room], at={room: stream_at(position)}),
                             CHANNEL_MEMBER_JOINED.to((rooms.channel(channel_id),), joined))


async def leave(svc: Services, principal: Principal, channel_id: UUID) -> None:
    await remove_member(svc, principal, channel_id, principal.user_id)


async def add_member(svc: Services, principal: Principal, channel_id: UUID, user_id: UUID) -> ChannelMember:
    """Members (not guests) add people of the workspace; this is how private channels are joined."""
    async with svc.db.transaction("add_channel_member") as conn:
        stream = await access.channel_member(conn, channel_id, principal)
        if stream.channel_role == "GUEST" and not stream.may_manage():
            raise forbidden("guests may not add members")
        stream.require_writable()
        if await workspaces.member_role(conn, stream.record["workspace_id"], user_id) is None:
            raise not_found("member of this workspace")
        added = await channels.add_member(conn, channel_id, user_id)
        member = ChannelMember.from_row(await channels.member(conn, channel_id, user_id))
        if added:
            _announce_join(svc, channel_id, user_id, await channels.by_id(conn, channel_id))
    return member


async def remove_member(svc: Services, principal: Principal, channel_id: UUID, user_id: UUID) -> None:
    """Anyone may leave; channel and workspace admins remove others."""
    async with svc.db.transaction("remove_channel_member") as conn:
        stream = await access.channel_access(conn, channel_id, principal)
        if user_id != principal.user_id and not stream.may_manage():
            raise forbidden("only channel or workspace admins may remove members")
        removed = await channels.remove_member(conn, channel_id, user_id)
        if removed:
            left = ChannelMemberEvent(channel_id=channel_id, user_id=user_id)
            svc.publish_after_commit(CHANNEL_MEMBER_LEFT.to((rooms.channel(channel_id),), left),
                                     move_rooms(user_id, leave=[rooms.channel(channel_id)]))
    if not removed and user_id != principal.user_id:
        raise not_found("channel member")


async def members(svc: Services, principal: Principal, channel_id: UUID, query: ListQuery) -> ChannelMemberList:
    async with svc.db.connection() as conn:
        await access.channel_access(conn, channel_id, principal)
        window = await fetch_page(query, lambda after, limit: channels.members(
            conn, channel_id, after=after, limit=limit), lambda row: row["username"].lower())
    return ChannelMemberList.of(window, ChannelMember.from_row)


@dataclass(frozen=True, slots=True)
class _Read:
    channel_id: UUID
    user_id: UUID
    seq: int
    skip_sid: str | None


async def mark_read(svc: Services, principal: Principal, channel_id: UUID, seq: int, *,
                    skip_sid: str | None = None) -> ChannelReadOut:
    """Move the caller's read marker forward (never back, never past the end). Markers moved while
    another write of them is in flight, in any channels and by anyone, are written together; one the
    batch did not take (not a member) is answered on its own, with the precise error."""
    read = _Read(channel_id, principal.user_id, seq, skip_sid)
    state = await svc.writes.submit("channel_read", read, partial(_mark_read_together, svc))
    if state is not None:
        return state
    async with svc.db.transaction("mark_channel_read") as conn:
        await access.channel_member(conn, channel_id, principal)
        row = await channels.mark_read(conn, channel_id, principal.user_id, seq)
        state = _read_state(channel_id, row)
        svc.publish_after_commit(CHANNEL_READ.to((rooms.user(principal.user_id),), state, skip_sid=skip_sid))
    return state


async def _mark_read_together(svc: Services, reads: list[_Read]) -> list[ChannelReadOut | None]:
    metrics.GROUP_COMMITS.labels("channel_read").observe(len(reads))
    async with svc.db.transaction("mark_channels_read", one_statement=True) as conn:
        rows = await channels.mark_read_many(conn, [(read.channel_id, read.user_id, read.seq) for read in reads])
        moved = {(row["channel_id"], row["user_id"]): row for row in rows}
        states: list[ChannelReadOut | None] = []
        for read in reads:
            row = moved.get((read.channel_id, read.user_id))
            states.append(None if row is None else _read_state(read.channel_id, row))
            if row is not None:
                svc.publish_after_commit(CHANNEL_READ.to((rooms.user(read.user_id),), states[-1],
                                                         skip_sid=read.skip_sid))
    return states


def _read_state(channel_id: UUID, row: asyncpg.Record) -> ChannelReadOut:
    return ChannelReadOut(channel_id=channel_id, last_read_seq=row["last_read_seq"],
                          unread_count=row["unread_count"], mention_count=row["mention_count"])


async def pins(svc: Services, principal: Principal, channel_id: UUID) -> PinList:
    async with svc.db.connection() as conn:
        await access.channel_member(conn, channel_id, principal)
        return PinList(items=await message_views(conn, await messages.pinned(conn, channel_id)))

