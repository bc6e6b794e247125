"""Accounts, a workspace and channels on our server, made through its public HTTP API.

Registering and signing in cost an argon2 hash each (about 100 ms of server CPU), so
they run in parallel but bounded, and accounts can be kept in a cache file and reused by
later runs against the same server for as long as their access tokens stay valid.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from loadtest.population import Population, Seat
from loadtest.progress import ProgressBar

API = "/api/v1"
PASSWORD = "loadtest password 1"
DROP_RETRIES = 8  # connection errors in a row before giving up
BUSY_RETRIES = 600  # 429 / 503 answers waited out before giving up


class SetupError(RuntimeError):
    pass


async def _request(http: aiohttp.ClientSession, method: str, url: str, *, token: str | None = None,
                   json_body: Any = None, ok: tuple[int, ...] = (200, 201)) -> tuple[int, Any]:
    """One API call, waited out while the server says it is busy (429 / 503), retried a few
    times when the connection drops."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    dropped = busy = 0
    while True:
        try:
            async with http.request(method, url, json=json_body, headers=headers) as resp:
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
                if resp.status in (429, 503) and busy < BUSY_RETRIES:
                    busy += 1
                    if busy == 1 and resp.status == 429:
                        _warn_rate_limited(url)
                    await asyncio.sleep(min(float(resp.headers.get("Retry-After") or 1), 30))
                    continue
                if resp.status not in ok:
                    raise SetupError(f"{method} {url} answered {resp.status}: {body}")
                return resp.status, body
        except (aiohttp.ClientConnectionError, TimeoutError):
            dropped += 1
            if dropped > DROP_RETRIES:
                raise
            await asyncio.sleep(0.2 * dropped)


_warned: set[str] = set()


def _warn_rate_limited(url: str) -> None:
    path = url.split("/api/v1", 1)[-1]
    if path not in _warned:
        _warned.add(path)
        print(f"\nsetup: the server rate-limits {path}; waiting as told, which is slow. For load tests "
              "start it with its limits raised: `chatserver serve --load-test` (or `./scripts/serve "
              "--load-test`).", file=sys.stderr)


async def _account(http: aiohttp.ClientSession, base: str, username: str) -> dict[str, Any]:
    """Register (or find already registered) and sign in one user."""
    await _request(http, "POST", f"{base}{API}/auth/register", ok=(201, 409),
                   json_body={"email": f"{username}@loadtest.example.com", "username": username,
                              "password": PASSWORD})
    _, tokens = await _request(http, "POST", f"{base}{API}/auth/login",
                               json_body={"login": username, "password": PASSWORD})
    return {"username": username, "userId": tokens["user"]["id"], "accessToken": tokens["accessToken"],
            "expiresAt": tokens.get("expiresAt")}


def _still_valid(account: dict[str, Any], margin: float = 15 * 60) -> bool:
    """Whether the cached access token outlives the run (with a margin)."""
    try:
        expires = dt.datetime.fromisoformat(account["expiresAt"].replace("Z", "+00:00"))
    except (KeyError, AttributeError, ValueError):
        return False
    return expires.timestamp() > time.time() + margin


def _load_cache(path: Path | None, base: str) -> list[dict[str, Any]]:
    if path is None or not path.exists():
        return []
    return [a for a in json.loads(path.read_text()).get(base, []) if _still_valid(a)]


def _save_cache(path: Path | None, base: str, accounts: list[dict[str, Any]]) -> None:
    if path is None:
        return
    data = json.loads(path.read_text()) if path.exists() else {}
    data[base] = accounts
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


async def _accounts(http: aiohttp.ClientSession, base: str, count: int, concurrency: int,
                    cache: Path | None, log) -> list[dict[str, Any]]:
    accounts = _load_cache(cache, base)
    if accounts:  # a cache from another database (the server was reset) is useless
        status, _ = await _request(http, "GET", f"{base}{API}/me", token=accounts[0]["accessToken"],
                                   ok=(200, 401))
        if status == 401:
            accounts = []
    missing = count - len(accounts)
    if missing > 0:
        run = secrets.token_hex(3)
        gate = asyncio.Semaphore(concurrency)
        done = [0]
        bar = ProgressBar("accounts", enabled=log is not None)
        started = time.monotonic()

        async def one(i: int) -> dict[str, Any]:
            async with gate:
                account = await _account(http, base, f"lt{run}u{i}")
            done[0] += 1
            rate = done[0] / max(time.monotonic() - started, 1e-3)
            bar.update(done[0] / missing, f"{done[0]}/{missing} signed up and in, {rate:.0f}/s")
            return account

        accounts += await asyncio.gather(*(one(i) for i in range(missing)))
        bar.done(f"{missing} accounts signed up and in, {time.monotonic() - started:.1f} s")
        _save_cache(cache, base, accounts)
    return accounts[:count]


async def prepare_ours(url: str, users: int, channels: int, *, concurrency: int = 4,
                       accounts_cache: str | None = None, log=None) -> Population:
    """`users` accounts that share one workspace with `channels` public channels.

    The workspace and channels are made by one more account that never connects, so
    that it does not sit in every channel as an extra member."""
    started = time.monotonic()
    base = url.rstrip("/")
    cache = Path(accounts_cache) if accounts_cache else None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        accounts = await _accounts(http, base, users + 1, concurrency, cache, log)
        owner, members = accounts[0], accounts[1:]
        tag = secrets.token_hex(3)
        _, created = await _request(http, "POST", f"{base}{API}/workspaces", token=owner["accessToken"],
                                    json_body={"name": f"loadtest {tag}"})
        workspace = created.get("workspace", created)
        channel_ids = []
        for k in range(channels):
            _, made = await _request(http, "POST", f"{base}{API}/workspaces/{workspace['id']}/channels",
                                     token=owner["accessToken"], json_body={"name": f"lt-{tag}-{k}"})
            channel_ids.append(made.get("channel", made)["id"])
        gate = asyncio.Semaphore(max(concurrency * 4, 8))  # joining hashes nothing: cheap

        async def join(account: dict[str, Any]) -> None:
            async with gate:
                await _request(http, "POST", f"{base}{API}/workspaces/join", token=account["accessToken"],
                               json_body={"inviteCode": workspace["inviteCode"]}, ok=(200, 201, 204, 409))

        if log:
            log(f"setup: {len(members)} accounts joining the workspace ({channels} channels)")
        await asyncio.gather(*(join(a) for a in members))
    seats = [Seat(i, a["userId"], {"token": a["accessToken"]}) for i, a in enumerate(members)]
    return Population(seats, channel_ids, setup_seconds=time.monotonic() - started,
                      notes={"workspaceId": workspace["id"], "ownerToken": owner["accessToken"]})


async def delete_workspace(url: str, notes: dict[str, Any], *, log=None) -> None:
    """Best effort: a workspace left behind only makes later runs' `ready` a little bigger."""
    base = url.rstrip("/")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
            await _request(http, "DELETE", f"{base}{API}/workspaces/{notes['workspaceId']}",
                           token=notes["ownerToken"], ok=(200, 204, 404))
    except (SetupError, aiohttp.ClientError, TimeoutError) as exc:
        if log:
            log(f"teardown: the run's workspace was not deleted: {exc}")
