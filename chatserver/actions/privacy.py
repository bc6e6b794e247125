"""A user's own data: the export of all of it, and the erasure of the account (docs/privacy.md).
What each table holds about a user, and what erasure does with it, is store/privacy.REGISTRY."""

from __future__ import annotations

from datetime import UTC, datetime

from chatserver.actions.auth import session_revoked_event
from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.errors import conflict, forbidden, unauthorized
from chatserver.schemas.events import (
    CHANNEL_MEMBER_LEFT,
    WORKSPACE_MEMBER_LEFT,
    ChannelMemberEvent,
    WorkspaceMemberEvent,
)
from chatserver.schemas.privacy import AccountDeleteIn, PersonalDataExport
from chatserver.store import memberships, privacy, sessions, users

ACCOUNT_DELETED = "account deleted"


async def export(svc: Services, principal: Principal) -> PersonalDataExport:
    # One snapshot, so that rows of different tables agree with each other.
    async with svc.db.transaction("export_personal_data", isolation="repeatable_read") as conn:
        tables = await privacy.export(conn, principal.user_id)
    return PersonalDataExport(user_id=principal.user_id, exported_at=datetime.now(UTC), tables=tables)


async def delete_account(svc: Services, principal: Principal, body: AccountDeleteIn) -> None:
    """Erase the signed-in account in one transaction: personal data deleted, what others keep
    anonymised, every session ended and its sockets told and disconnected once it commits."""
    async with svc.db.connection() as conn:
        account = await users.by_id(conn, principal.user_id)
    # An account without a password (signed up through Discord or Google) is refused like a wrong
    # password, after as long a check; it sets one by password reset first.
    password_ok = await svc.passwords.verify(account["password_hash"] if account else None, body.password)
    if account is None or not password_ok:
        raise forbidden("wrong password")
    async with svc.db.transaction("delete_account") as conn:
        locked = await privacy.lock_account(conn, principal.user_id)
        if locked is None or locked["deleted_at"] is not None:
            # Erased by a request that held the lock first: this token died with it.
            raise unauthorized("access token is invalid, expired or revoked")
        if held := await privacy.blockers(conn, principal.user_id):
            raise conflict("hand over the communities you own and the groups you are the last admin of "
                           "that others are in, or delete them, first", reason="hand_over_first",
                           **{kind: [str(i) for i in ids] for kind, ids in held.items()})
        ended = await sessions.live_for_user(conn, principal.user_id)
        was_in = await memberships.of_user(conn, principal.user_id)
        files = await privacy.erase(conn, principal.user_id)
        # Others see them leave, as if they had left each workspace and channel; then every device ends.
        svc.publish_after_commit(
            *(WORKSPACE_MEMBER_LEFT.to((rooms.workspace(workspace_id),),
                                       WorkspaceMemberEvent(workspace_id=workspace_id, user_id=principal.user_id))
              for workspace_id in was_in.workspaces),
            *(CHANNEL_MEMBER_LEFT.to((rooms.channel(channel_id),),
                                     ChannelMemberEvent(channel_id=channel_id, user_id=principal.user_id))
              for channel_id in was_in.channels),
            *(session_revoked_event(row["id"], ACCOUNT_DELETED) for row in ended))
    for storage_key in files:
        await svc.files.delete(storage_key)
