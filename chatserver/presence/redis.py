"""Presence and typing shared by every process through Redis (one server or a Redis Cluster), with leases.

Each socket is registered under the process that holds it, and each process renews a heartbeat key
that expires when the process stops renewing it. Every process looks for expired heartbeats; the
one that takes a dead process's reaping lock removes its sockets user by user and records the users
left with no socket as owed an OFFLINE announcement. The dead process's list of sockets is dropped
only after that, so a reaper that dies half way is finished by the next one once its lock runs out.
Announcements are claimed, made, then cleared, so a reaper that fails (or dies) between reaping and
announcing loses nothing: the claim runs out and the next reaper makes it. A killed process's users
are offline within HEARTBEAT_TTL + REAP_EVERY seconds (20 s).

Every script and every command with several keys stays within one hash slot, so all of this runs
on a Redis Cluster as on one Redis: a user's keys share the hash tag `{user}`, a process's keys
`{process}`; the activity index and typing deadlines are split over SHARDS keys, so that no single
node carries all of them. Keys (under the prefix):

    p:sockets:{user}         hash sid -> process
    p:status:{user}          hash status, text, idle, active
    p:proc:{process}         set "user|sid"
    p:alive:{process}        heartbeat
    p:reaping:{process}      lock of the process reaping it
    p:processes              set of processes
    p:online:{online-N}      zset user -> last activity, N = user id mod SHARDS
    p:owed:{announce}        set of users owed an OFFLINE announcement
    p:announcing:{announce}  zset user -> claim time
    t:typing:{typing-N}      zset "room|user" -> deadline, N = crc32(room) mod SHARDS
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib
from collections import defaultdict
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
REAP_LOCK_SECONDS = 30  # a reaper that died half way is taken over after this
CLAIM_EXPIRES = 30.0  # an announcement claimed by a reaper that died is made by another after this
SHARDS = 16

# Scripts on one user's keys: KEYS[1] = p:sockets:{user}, KEYS[2] = p:status:{user}.

_CONNECT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('HLEN', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'status', 'ONLINE', 'text', '', 'idle', '0', 'active', ARGV[3])
  return 1
end
redis.call('HSET', KEYS[2], 'idle', '0', 'active', ARGV[3])
return 0
"""

_DISCONNECT = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
"""

_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'active', ARGV[1])
if redis.call('HGET', KEYS[2], 'idle') == '1' then
  redis.call('HSET', KEYS[2], 'idle', '0')
  return 1
end
return 0
"""

_SET_STATUS = """
if redis.call('HLEN', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'status', ARGV[1], 'text', ARGV[2], 'idle', '0', 'active', ARGV[3])
return 1
"""

# KEYS[1] = p:status:{user}. 1 when the user turned idle now.
_GO_IDLE = """
if redis.call('HGET', KEYS[1], 'status') == 'ONLINE' and redis.call('HGET', KEYS[1], 'idle') == '0' then
  redis.call('HSET', KEYS[1], 'idle', '1')
  return 1
end
return 0
"""

# ARGV[1] = dead process, ARGV[2..] = its sids of this user. 1 when the user has no socket left: also
# when an earlier reaper already removed them, so that a reaper finishing another's work still owes
# the announcement.
_REAP_USER = """
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
"""

# KEYS[1] = p:owed, KEYS[2] = p:announcing; ARGV[1] = now, ARGV[2] = claims older than this are retaken.
_CLAIM = """
local claimed = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])) do table.insert(claimed, user) end
for _, user in ipairs(claimed) do redis.call('ZADD', KEYS[2], ARGV[1], user) end
return claimed
"""

_TYPING_EXPIRED = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
return gone
"""

OfflineHandler = Callable[[list[UUID]], Awaitable[None]]


class RedisPresence:
    def __init__(self, client: redis.Redis | redis.RedisCluster, *, prefix: str = "chat:",
                 claim_expires: float = CLAIM_EXPIRES) -> None:
        self.redis = client
        self.prefix = prefix
        self.claim_expires = claim_expires
        self.process_id = uuid.uuid4().hex
        self._task: asyncio.Task | None = None
        self._on_offline: OfflineHandler | None = None

    # keys

    def _user_keys(self, user_id: UUID | str) -> list[str]:
        return [f"{self.prefix}p:sockets:{{{user_id}}}", f"{self.prefix}p:status:{{{user_id}}}"]

    def _process_key(self, kind: str, process: str) -> str:
        return f"{self.prefix}p:{kind}:{{{process}}}"

    def _online_key(self, shard: int) -> str:
        return f"{self.prefix}p:online:{{online-{shard}}}"

    def _online_key_of(self, user_id: UUID | str) -> str:
        return self._online_key(UUID(str(user_id)).int % SHARDS)

    def _announce_keys(self) -> list[str]:
        return [f"{self.prefix}p:owed:{{announce}}", f"{self.prefix}p:announcing:{{announce}}"]

    @property
    def _procs_key(self) -> str:
        return f"{self.prefix}p:processes"  # not p:procs, whose members had heartbeats under other names

    # the lease

    async def start(self, on_offline: OfflineHandler) -> None:
        self._on_offline = on_offline
        await self._heartbeat()
        self._task = asyncio.get_running_loop().create_task(self._lease_loop(), name="presence-lease")

    async def _heartbeat(self) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._process_key("alive", self.process_id), "1", ex=HEARTBEAT_TTL)
            pipe.sadd(self._procs_key, self.process_id)
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
        others = [raw.decode() for raw in await self.redis.smembers(self._procs_key)
                  if raw.decode() != self.process_id]
        if others:
            async with self.redis.pipeline(transaction=False) as pipe:
                for process in others:
                    pipe.exists(self._process_key("alive", process))
                alive = await pipe.execute()
            for process, living in zip(others, alive, strict=True):
                if not living:
                    await self._reap(process)
        await self._announce_owed()

    async def _reap(self, process: str) -> None:
        """Remove a process's sockets, user by user (each user's keys live in a slot of their own)."""
        if not await self.redis.set(self._process_key("reaping", process), self.process_id, nx=True,
                                    ex=REAP_LOCK_SECONDS):
            return  # another process is at it
        sids: dict[str, list[str]] = defaultdict(list)
        for entry in await self.redis.smembers(self._process_key("proc", process)):
            user, _, sid = entry.decode().partition("|")
            sids[user].append(sid)
        users = list(sids)
        offline: list[str] = []
        if users:
            async with self.redis.pipeline(transaction=False) as pipe:
                for user in users:
                    pipe.eval(_REAP_USER, 2, *self._user_keys(user), process, *sids[user])
                gone = await pipe.execute()
            offline = [user for user, left in zip(users, gone, strict=True) if left]
        # Owed before the process's list is dropped: if this reaper dies in between, the next one redoes it.
        if offline:
            await self.redis.sadd(self._announce_keys()[0], *offline)
        async with self.redis.pipeline(transaction=False) as pipe:
            for user in offline:
                pipe.zrem(self._online_key_of(user), user)
            pipe.delete(self._process_key("proc", process))
            pipe.srem(self._procs_key, process)
            pipe.delete(self._process_key("reaping", process))
            await pipe.execute()
        count = sum(len(each) for each in sids.values())
        metrics.PRESENCE_REAPED.inc(count)
        log.info("reaped the sockets of a dead process", extra={"processId": process, "sockets": count})

    async def _claim(self) -> list[bytes]:
        """Take the owed announcements (and claims that ran out) of users still offline."""
        now = time.time()
        claimed = list(dict.fromkeys(await self.redis.eval(
            _CLAIM, 2, *self._announce_keys(), now, now - self.claim_expires)))
        if not claimed:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for user in claimed:
                pipe.hlen(self._user_keys(user.decode())[0])
            sockets = await pipe.execute()
        back = [user for user, count in zip(claimed, sockets, strict=True) if count]
        if back:  # came back meanwhile: nothing to announce
            await self.redis.zrem(self._announce_keys()[1], *back)
        return [user for user, count in zip(claimed, sockets, strict=True) if not count]

    async def _announce_owed(self) -> None:
        """Announce every owed OFFLINE; a failed announcement is owed again, so none is ever lost."""
        claimed = await self._claim()
        if not claimed:
            return
        users = [UUID(user.decode()) for user in claimed]
        owed, announcing = self._announce_keys()
        try:
            if self._on_offline is not None:
                await self._on_offline(users)
        except BaseException:
            await self.redis.sadd(owed, *claimed)  # owed first: at worst both owed and claimed, never neither
            await self.redis.zrem(announcing, *claimed)
            raise
        await self.redis.zrem(announcing, *claimed)

    async def release(self) -> None:
        """On a clean shutdown: give up this process's sockets now instead of waiting for the lease to expire."""
        await self._reap(self.process_id)
        await self.redis.delete(self._process_key("alive", self.process_id))
        await self._announce_owed()

    async def close(self) -> None:
        await cancel(self._task)

    # the PresenceTracker interface

    # Scripts go as EVAL (Redis caches them by digest) in pipelines: one round trip on one Redis, and on a
    # cluster each command goes to its own node at the same time.

    async def _user_script(self, script: str, user_id: UUID, *args: object, activity: float,
                           only_if_online: bool = True) -> int:
        """Run a script on the user's keys, and record their activity in the index that go_idle reads."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.eval(script, 2, *self._user_keys(user_id), *args)
            # XX: only connected users are in the index; activity does not put anyone back.
            pipe.zadd(self._online_key_of(user_id), {str(user_id): activity}, xx=only_if_online)
            result, _ = await pipe.execute()
        return result

    async def connect(self, user_id: UUID, sid: str) -> bool:
        # Listed under the process first, so a reaper always finds the socket if this process dies.
        await self.redis.sadd(self._process_key("proc", self.process_id), f"{user_id}|{sid}")
        now = time.time()
        return bool(await self._user_script(_CONNECT, user_id, sid, self.process_id, now, activity=now,
                                            only_if_online=False))

    async def disconnect(self, user_id: UUID, sid: str) -> bool:
        last = bool(await self.redis.eval(_DISCONNECT, 2, *self._user_keys(user_id), sid))
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.srem(self._process_key("proc", self.process_id), f"{user_id}|{sid}")
            if last:
                pipe.zrem(self._online_key_of(user_id), str(user_id))
            await pipe.execute()
        return last

    async def touch(self, user_id: UUID) -> bool:
        now = time.time()
        return bool(await self._user_script(_TOUCH, user_id, now, activity=now))

    async def set_status(self, user_id: UUID, status: str, status_text: str | None) -> PresenceState | None:
        now = time.time()
        done = await self._user_script(_SET_STATUS, user_id, status, status_text or "", now, activity=now)
        return PresenceState(status, status_text, now) if done else None

    async def states(self, user_ids: list[UUID]) -> dict[UUID, PresenceState]:
        if not user_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.hgetall(self._user_keys(user_id)[1])
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
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(SHARDS):
                pipe.zrangebyscore(self._online_key(shard), "-inf", now - IDLE_AFTER_SECONDS)
            quiet = [user.decode() for users in await pipe.execute() for user in users]
        if not quiet:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for user in quiet:
                pipe.eval(_GO_IDLE, 1, self._user_keys(user)[1])
            turned = await pipe.execute()
        return [UUID(user) for user, now_idle in zip(quiet, turned, strict=True) if now_idle]


class RedisTyping:
    def __init__(self, client: redis.Redis | redis.RedisCluster, *, prefix: str = "chat:",
                 expires_after: float = TYPING_EXPIRES_SECONDS) -> None:
        self.redis = client
        self.prefix = prefix
        self.expires_after = expires_after

    def _key(self, shard: int) -> str:
        return f"{self.prefix}t:typing:{{typing-{shard}}}"

    def _key_of(self, room: str) -> str:
        return self._key(zlib.crc32(room.encode()) % SHARDS)  # not hash(): the same in every process

    async def start(self, room: str, user_id: UUID, now: float) -> bool:
        return bool(await self.redis.zadd(self._key_of(room), {f"{room}|{user_id}": now + self.expires_after}))

    async def stop(self, room: str, user_id: UUID) -> bool:
        return bool(await self.redis.zrem(self._key_of(room), f"{room}|{user_id}"))

    async def expired(self, now: float) -> list[tuple[str, UUID]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(SHARDS):
                pipe.eval(_TYPING_EXPIRED, 1, self._key(shard), now)
            gone = await pipe.execute()
        pairs = []
        for entry in (entry for entries in gone for entry in entries):
            room, _, user = entry.decode().rpartition("|")
            pairs.append((room, UUID(user)))
        return pairs
