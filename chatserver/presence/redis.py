"""Presence and typing shared by every process through Redis, with leases.

Each socket is registered under the process that holds it, and each process
renews a heartbeat key that expires when the process stops renewing it. Every
process looks for expired heartbeats; the first to find one removes that
process's sockets in one atomic script, which also records the users left with
no socket as owed an OFFLINE announcement. Announcements are claimed, made, then
cleared, so a reaper that fails (or dies) between reaping and announcing loses
nothing: the claim runs out and the next reaper makes it. A killed process's
users are offline within HEARTBEAT_TTL + REAP_EVERY seconds (20 s).

Keys (under the prefix): `p:sockets:{user}` hash sid -> process; `p:proc:{process}`
set of "user|sid"; `p:alive:{process}` heartbeat; `p:procs` set of processes;
`p:status:{user}` hash (status, text, idle, active); `p:online` zset user -> last
activity; `p:owed` set of users owed an OFFLINE announcement; `p:announcing` zset
user -> claim time; `t:typing` zset "room|user" -> deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import redis.asyncio as redis

from chatserver import metrics
from chatserver.background import cancel
from chatserver.presence.base import IDLE_AFTER_SECONDS, TYPING_EXPIRES_SECONDS, PresenceState

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0
HEARTBEAT_TTL = 15
REAP_EVERY = 5.0
CLAIM_EXPIRES = 30.0  # an announcement claimed by a reaper that died is made by another after this

_CONNECT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
if redis.call('HLEN', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'status', 'ONLINE', 'text', '', 'idle', '0', 'active', ARGV[4])
  return 1
end
redis.call('HSET', KEYS[3], 'idle', '0', 'active', ARGV[4])
return 0
"""

_DISCONNECT = """
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[4], ARGV[3])
  return 1
end
return 0
"""

_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'active', ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
if redis.call('HGET', KEYS[2], 'idle') == '1' then
  redis.call('HSET', KEYS[2], 'idle', '0')
  return 1
end
return 0
"""

_SET_STATUS = """
if redis.call('HLEN', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'status', ARGV[1], 'text', ARGV[2], 'idle', '0', 'active', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""

# KEYS[1] = p:online; ARGV[1] = cutoff; ARGV[2] = key prefix. Returns users turned idle.
_GO_IDLE = """
local turned = {}
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local key = ARGV[2] .. 'p:status:' .. user
  if redis.call('HGET', key, 'status') == 'ONLINE' and redis.call('HGET', key, 'idle') == '0' then
    redis.call('HSET', key, 'idle', '1')
    table.insert(turned, user)
  end
end
return turned
"""

# KEYS[1] = p:proc:{dead}, KEYS[2] = p:procs, KEYS[3] = p:online, KEYS[4] = p:owed;
# ARGV[1] = dead process, ARGV[2] = prefix. Records the users who have no socket left as owed an announcement.
_REAP = """
local offline = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(entry, '|', 1, true)
  local user = string.sub(entry, 1, sep - 1)
  local sid = string.sub(entry, sep + 1)
  local sockets = ARGV[2] .. 'p:sockets:' .. user
  if redis.call('HGET', sockets, sid) == ARGV[1] then
    redis.call('HDEL', sockets, sid)
    if redis.call('HLEN', sockets) == 0 then
      redis.call('DEL', ARGV[2] .. 'p:status:' .. user)
      redis.call('ZREM', KEYS[3], user)
      redis.call('SADD', KEYS[4], user)
      table.insert(offline, user)
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return offline
"""

# KEYS[1] = p:owed, KEYS[2] = p:announcing; ARGV[1] = now, ARGV[2] = claims older than this are retaken,
# ARGV[3] = prefix. Claims the owed announcements (and stale claims) of users who are still offline.
_CLAIM = """
local claimed = {}
local function claim(user)
  if redis.call('HLEN', ARGV[3] .. 'p:sockets:' .. user) == 0 then
    redis.call('ZADD', KEYS[2], ARGV[1], user)
    table.insert(claimed, user)
  else
    redis.call('ZREM', KEYS[2], user)
  end
end
for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('SREM', KEYS[1], user)
  claim(user)
end
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])) do claim(user) end
return claimed
"""

_TYPING_EXPIRED = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
return gone
"""

OfflineHandler = Callable[[list[UUID]], Awaitable[None]]


class RedisPresence:
    def __init__(self, client: redis.Redis, *, prefix: str = "chat:", claim_expires: float = CLAIM_EXPIRES) -> None:
        self.redis = client
        self.prefix = prefix
        self.claim_expires = claim_expires
        self.process_id = uuid.uuid4().hex
        self._scripts = {name: client.register_script(source) for name, source in (
            ("connect", _CONNECT), ("disconnect", _DISCONNECT), ("touch", _TOUCH), ("set_status", _SET_STATUS),
            ("go_idle", _GO_IDLE), ("reap", _REAP), ("claim", _CLAIM))}
        self._task: asyncio.Task | None = None
        self._on_offline: OfflineHandler | None = None

    def _key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    async def start(self, on_offline: OfflineHandler) -> None:
        self._on_offline = on_offline
        await self._heartbeat()
        self._task = asyncio.get_running_loop().create_task(self._lease_loop(), name="presence-lease")

    async def _heartbeat(self) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._key("p", "alive", self.process_id), "1", ex=HEARTBEAT_TTL)
            pipe.sadd(self._key("p", "procs"), self.process_id)
            await pipe.execute()

    async def _lease_loop(self) -> None:
        last_reap = 0.0
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            try:
                await self._heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("presence lease renewal failed: %s", exc)
                continue
            if time.monotonic() - last_reap >= REAP_EVERY:
                last_reap = time.monotonic()
                try:
                    await self.reap_dead()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # what was reaped stays owed, and the next round announces it
                    log.warning("reaping dead processes failed: %s", exc)

    async def reap_dead(self) -> None:
        """Remove the sockets of processes whose heartbeat expired, then announce who went offline."""
        for raw in await self.redis.smembers(self._key("p", "procs")):
            process = raw.decode()
            if process != self.process_id and not await self.redis.exists(self._key("p", "alive", process)):
                await self._reap(process)
        await self._announce_owed()

    async def _reap(self, process: str) -> None:
        count = await self.redis.scard(self._key("p", "proc", process))
        await self._scripts["reap"](
            keys=[self._key("p", "proc", process), self._key("p", "procs"), self._key("p", "online"),
                  self._key("p", "owed")],
            args=[process, self.prefix])
        metrics.PRESENCE_REAPED.inc(count)
        log.info("reaped the sockets of a dead process", extra={"processId": process, "sockets": count})

    async def _claim(self) -> list[bytes]:
        """Take the owed announcements (and claims that ran out) of users still offline."""
        now = time.time()
        return await self._scripts["claim"](
            keys=[self._key("p", "owed"), self._key("p", "announcing")],
            args=[now, now - self.claim_expires, self.prefix])

    async def _announce_owed(self) -> None:
        """Announce every owed OFFLINE; a failed announcement is owed again, so none is ever lost."""
        claimed = await self._claim()
        if not claimed:
            return
        users = [UUID(user.decode()) for user in claimed]
        try:
            if self._on_offline is not None:
                await self._on_offline(users)
        except BaseException:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(self._key("p", "owed"), *claimed)
                pipe.zrem(self._key("p", "announcing"), *claimed)
                await pipe.execute()
            raise
        await self.redis.zrem(self._key("p", "announcing"), *claimed)

    async def release(self) -> None:
        """On a clean shutdown: give up this process's sockets now instead of waiting for the lease to expire."""
        await self._reap(self.process_id)
        await self.redis.delete(self._key("p", "alive", self.process_id))
        await self._announce_owed()

    async def close(self) -> None:
        await cancel(self._task)

    # the PresenceTracker interface

    async def connect(self, user_id: UUID, sid: str) -> bool:
        return bool(await self._scripts["connect"](
            keys=[self._key("p", "sockets", user_id), self._key("p", "proc", self.process_id),
                  self._key("p", "status", user_id), self._key("p", "online")],
            args=[sid, self.process_id, f"{user_id}|{sid}", time.time(), str(user_id)]))

    async def disconnect(self, user_id: UUID, sid: str) -> bool:
        return bool(await self._scripts["disconnect"](
            keys=[self._key("p", "sockets", user_id), self._key("p", "proc", self.process_id),
                  self._key("p", "status", user_id), self._key("p", "online")],
            args=[sid, f"{user_id}|{sid}", str(user_id)]))

    async def touch(self, user_id: UUID) -> bool:
        return bool(await self._scripts["touch"](
            keys=[self._key("p", "sockets", user_id), self._key("p", "status", user_id), self._key("p", "online")],
            args=[time.time(), str(user_id)]))

    async def set_status(self, user_id: UUID, status: str, status_text: str | None) -> PresenceState | None:
        now = time.time()
        done = await self._scripts["set_status"](
            keys=[self._key("p", "sockets", user_id), self._key("p", "status", user_id), self._key("p", "online")],
            args=[status, status_text or "", now, str(user_id)])
        return PresenceState(status, status_text, now) if done else None

    async def states(self, user_ids: list[UUID]) -> dict[UUID, PresenceState]:
        if not user_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.hgetall(self._key("p", "status", user_id))
            rows = await pipe.execute()
        states = {}
        for user_id, row in zip(user_ids, rows, strict=True):
            if not row:
                continue
            status = "AWAY" if row.get(b"idle") == b"1" else row[b"status"].decode()
            text = row.get(b"text", b"").decode() or None
            states[user_id] = PresenceState(status, text, float(row.get(b"active", time.time())))
        return states

    async def go_idle(self, now: float) -> list[UUID]:
        users = await self._scripts["go_idle"](keys=[self._key("p", "online")],
                                               args=[now - IDLE_AFTER_SECONDS, self.prefix])
        return [UUID(user.decode()) for user in users]


class RedisTyping:
    def __init__(self, client: redis.Redis, *, prefix: str = "chat:",
                 expires_after: float = TYPING_EXPIRES_SECONDS) -> None:
        self.redis = client
        self.key = prefix + "t:typing"
        self.expires_after = expires_after
        self._expired = client.register_script(_TYPING_EXPIRED)

    async def start(self, room: str, user_id: UUID, now: float) -> bool:
        return bool(await self.redis.zadd(self.key, {f"{room}|{user_id}": now + self.expires_after}))

    async def stop(self, room: str, user_id: UUID) -> bool:
        return bool(await self.redis.zrem(self.key, f"{room}|{user_id}"))

    async def expired(self, now: float) -> list[tuple[str, UUID]]:
        gone = await self._expired(keys=[self.key], args=[now])
        pairs = []
        for entry in gone:
            room, _, user = entry.decode().rpartition("|")
            pairs.append((room, UUID(user)))
        return pairs
