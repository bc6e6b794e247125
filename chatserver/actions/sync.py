"""What a client needs on connect (`ready`) and to catch up after a gap (`sync`)."""

from __future__ import annotations

from uuid import UUID

from chatserver import metrics
from chatserver.actions import access, presence
from chatserver.actions.access import StreamRef
from chatserver.actions.context import Principal, Services
from chatserver.actions.messages import deleted_payload
from chatserver.actions.views import conversation_view, message_views
from chatserver.broker import Event
from chatserver.errors import ApiError
from chatserver.schemas.conversations import (
    Ready,
    ReadyUser,
    StreamChanges,
    StreamError,
    SyncIn,
    SyncOut,
)
from chatserver.schemas.events import MESSAGE_DELETED, MESSAGE_UPDATED, NEW_MESSAGE
from chatserver.schemas.messages import MessageOut
from chatserver.schemas.workspaces import ChannelState
from chatserver.store import channels, conversations, messages

SYNC_PAGE = 100
MISSED_PAGE = 500  # a receiver that missed more than this in one gap leaves the rest to its clients' sync


async def ready(svc: Services, principal: Principal, me: ReadyUser, *, with_presence: bool = True) -> Ready:
    """What a new socket starts from. Its presence is that of the people nearest the user (self, direct
    conversation partners, channel-mates; at most READY_PRESENCE_LIMIT), `presenceComplete` telling whether
    that is everyone sharing a workspace with the user; `with_presence=False` (the client's
    `auth.presence: "none"`) leaves presence out, for `presence:get` to ask on demand."""
    async with svc.db.connection() as conn:
        channel_rows = await channels.states_for_user(conn, principal.user_id)
        conversation_rows = await conversations.for_user(conn, principal.user_id)
        around, complete = await presence.of_people_near(svc, conn, principal.user_id) if with_presence else ([], False)
    return Ready(
        user=me,
        channels=[ChannelState.from_row(row) for row in channel_rows],
        conversations=[conversation_view(row, principal.user_id) for row in conversation_rows],
        presence=around,
        presence_complete=complete,
    )


async def sync(svc: Services, principal: Principal, body: SyncIn) -> SyncOut:
    """Every message changed after the given changeSeq, per stream, in changeSeq order, a page at a time.

    A stream the caller may not read answers with its own error instead of failing the whole call:
    a client that was removed from one channel while away still catches up on the rest.
    """
    metrics.SYNC_CALLS.labels("calls").inc()
    out = SyncOut(channels={}, conversations={})
    async with svc.db.connection() as conn:
        for kind, wanted, results in (("channel", body.channels, out.channels),
                                      ("conversation", body.conversations, out.conversations)):
            for stream_id, after in wanted.items():
                try:
                    results[stream_id] = await _changes(conn, kind, stream_id, after, principal)
                except ApiError as error:
                    results[stream_id] = StreamError(error=error.as_ack()["error"])
    return out


async def _changes(conn, kind: str, stream_id: UUID, after: int, principal: Principal) -> StreamChanges:
    stream = await access.stream_member(conn, StreamRef(kind, stream_id), principal)
    rows = await messages.changed_since(conn, kind, stream_id, after, SYNC_PAGE + 1)
    has_more = len(rows) > SYNC_PAGE
    rows = rows[:SYNC_PAGE]
    last_change_seq = rows[-1]["change_seq"] if has_more else max(stream.record["last_change_seq"], after)
    metrics.SYNC_CALLS.labels("messages").inc(len(rows))
    return StreamChanges(messages=await message_views(conn, rows), last_change_seq=last_change_seq,
                         has_more=has_more)


async def stream_positions(svc: Services, streams: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(last seq, last changeSeq) of each (kind, id) stream: where a process starts following it."""
    ids = {kind: [UUID(stream_id) for k, stream_id in streams if k == kind] for kind in ("channel", "conversation")}
    async with svc.db.connection() as conn:
        rows = await messages.stream_positions(conn, ids["channel"], ids["conversation"])
    return {(row["kind"], str(row["id"])): (row["last_seq"], row["last_change_seq"]) for row in rows}


async def missed_events(svc: Services, kind: str, stream_id: str, after_change_seq: int,
                        after_seq: int) -> list[Event]:
    """The events a receiver missed in a stream, rebuilt from what is stored: each message changed
    after `after_change_seq`, in changeSeq order, as `message:new` (or `dm:new`) when its seq is past
    `after_seq`, else as `message:deleted` or `message:updated` with its current state."""
    async with svc.db.connection() as conn:
        rows = await messages.changed_since(conn, kind, UUID(stream_id), after_change_seq, MISSED_PAGE)
        views = await message_views(conn, rows)
    ref = StreamRef(kind, UUID(stream_id))
    events = []
    for row, view in zip(rows, views, strict=True):
        if row["seq"] > after_seq:
            events.append(ref.change(NEW_MESSAGE[kind], MessageOut(message=view), row, new=True))
        elif row["is_deleted"]:
            events.append(ref.change(MESSAGE_DELETED, deleted_payload(row), row))
        else:
            events.append(ref.change(MESSAGE_UPDATED, MessageOut(message=view), row))
    return events
