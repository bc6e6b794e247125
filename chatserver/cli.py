"""`chatserver serve | migrate | settings | worker | users | rotate-bot-tokens`: the console entry point."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from chatserver import gc_pauses, logs
from chatserver.settings import Settings, SettingsError

if TYPE_CHECKING:
    from chatserver.actions.context import Services

log = logging.getLogger("chatserver")
T = TypeVar("T")

# `chatserver serve --load-test`: the per-user and per-address limits a local load test runs into
# (thousands of sign-ups from one address, each user sending many messages a second). A variable
# set in the environment keeps its value.
LOAD_TEST_LIMITS = {
    "RATE_LIMIT_SEND": "1000000/1",
    "RATE_LIMIT_EDIT": "1000000/1",
    "RATE_LIMIT_REACTION": "1000000/1",
    "RATE_LIMIT_TYPING": "1000000/1",
    "RATE_LIMIT_AUTH": "1000000/1",
}

# The platform roles of users.role (the seeds' admin and recruiter; everyone starts as user).
PLATFORM_ROLES = ("user", "recruiter", "admin")

# Connections the kernel holds for the server to accept. aiohttp's 128 overflowed at 500 connects/s
# while the event loop was busy for a quarter second: the kernel then drops the SYN and the client
# sends it again only after 1 s (then 3, then 7). Node's is 511; the kernel caps it at somaxconn.
LISTEN_BACKLOG = 1024


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # not on Windows; the default loop works, slower
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


class CannotListen(Exception):
    """The address or port cannot be bound: a message for the operator, not a stack."""


def _listen(host: str, port: int) -> list[socket.socket]:
    """Bind the listening sockets first, so a taken port stops the server before it opens the database."""
    sockets: list[socket.socket] = []
    try:
        addresses = {(family, address) for family, _, _, _, address in
                     socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)}
        for family, address in sorted(addresses):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does: restarts need no wait
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(f"port {port} is already in use on {host or 'all addresses'}: stop the other "
                               "server or choose another port (PORT or --port)") from None
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc} (HOST, PORT, --host, --port)") \
            from None
    return sockets


async def _serve(settings: Settings, sockets: list[socket.socket]) -> None:
    """Run until SIGTERM or SIGINT, then shut down as aiohttp's run_app would: stop accepting,
    run on_shutdown (which drains sockets), wait up to 10 s for requests, run the cleanup contexts."""
    from aiohttp import web

    from chatserver.app import create_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_app(settings), access_log=None, shutdown_timeout=10)
    collector: asyncio.Task | None = None
    try:
        await runner.setup()
        for sock in sockets:
            await web.SockSite(runner, sock, backlog=LISTEN_BACKLOG).start()
        log.info("serving", extra={"host": settings.host, "port": sockets[0].getsockname()[1],
                                   "database": "external" if settings.database_url else "embedded",
                                   "fanout": "redis" if settings.redis_url else "in-process"})
        collector = asyncio.create_task(gc_pauses.keep_pauses_short(), name="gc-pauses")
        await stop.wait()
        log.info("shutting down")
    finally:
        if collector is not None:
            collector.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second Ctrl-C interrupts the shutdown
            loop.remove_signal_handler(signum)
        await runner.cleanup()


def serve(settings: Settings, *, load_test: dict[str, str] | None = None) -> None:
    try:
        sockets = _listen(settings.host, settings.port)
    except CannotListen as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        sys.exit(2)
    if load_test is not None:
        _announce_load_test(load_test)
    _install_uvloop()
    asyncio.run(_serve(settings, sockets))


def _announce_load_test(raised: dict[str, str]) -> None:
    """Say loudly, on stderr and in the log, that the limits are off: this is no server for people."""
    kept = [name for name in LOAD_TEST_LIMITS if name not in raised]
    lines = ["LOAD-TEST PRESET (chatserver serve --load-test): rate limits raised for a local load test,",
             "  " + (" ".join(f"{name}={value}" for name, value in raised.items()) or "none (all set in the environment)"),
             "  Never run a server people use like this."]
    if kept:
        lines.insert(2, "  kept from the environment: " + ", ".join(f"{name}={os.environ[name]}" for name in kept))
    bar = "*" * 78
    print("\n".join([bar, *lines, bar]), file=sys.stderr, flush=True)
    log.warning("load-test preset: rate limits raised; never run a server people use like this",
                extra={"raised": raised, "kept": kept})


def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """Run one piece of work with the services a server has, for a command that then exits."""
    from chatserver.services import open_services

    async def run() -> T:
        async with open_services(settings) as svc:
            return await work(svc)

    _install_uvloop()
    return asyncio.run(run())


def set_role(settings: Settings, login: str, role: str) -> None:
    """`chatserver users set-role LOGIN ROLE`: grant a platform role, by email or username."""
    from chatserver.actions import admin

    changed = _with_services(settings, lambda svc: admin.set_platform_role(svc, login, role))
    if changed is None:
        print(f"chatserver: no user with the username or email {login!r}", file=sys.stderr)
        sys.exit(1)
    print(f"{changed.username}: role {changed.before} -> {changed.after}" if changed.before != changed.after
          else f"{changed.username} already has the role {changed.after}")


def migrate(settings: Settings) -> None:
    from chatserver.db.migrations import migrate as run_migrations
    from chatserver.db.roles import role_of
    from chatserver.services import database_urls

    async def run() -> list[str]:
        urls, embedded = await database_urls(settings)
        try:
            return await run_migrations(urls.owner, grant_to=await role_of(urls.app) if urls.separate else None)
        finally:
            if embedded is not None:
                embedded.stop()

    _install_uvloop()
    applied = asyncio.run(run())
    print("applied: " + ", ".join(applied) if applied else "nothing to apply: the schema is up to date")


def migrate_legacy_ai(settings: Settings) -> None:
    from chatserver.actions import admin

    messages, votes = _with_services(settings, admin.move_legacy_ai_chats)
    print(f"moved {messages} legacy AI chat messages and {votes} votes")


def rotate_bot_tokens(settings: Settings) -> None:
    """`chatserver rotate-bot-tokens`: every Discord bot token re-encrypted with BOT_TOKEN_KEYS' first key."""
    from chatserver.actions import bot_configs

    rotation = _with_services(settings, bot_configs.rotate_tokens)
    print(f"re-encrypted {rotation.rotated} bot tokens with the first key")
    if rotation.unreadable:
        print(f"chatserver: {rotation.unreadable} bot tokens are encrypted with a key no longer in BOT_TOKEN_KEYS: "
              "put that key back (after the first) and run this again", file=sys.stderr)
        sys.exit(1)


def worker(settings: Settings, *, once: bool = False) -> None:
    from chatserver.worker import run_worker

    _install_uvloop()
    asyncio.run(run_worker(settings, once=once))


def show_settings(_: Settings | None = None) -> None:
    for name, default, doc in Settings.documentation():
        print(f"{name:<22} {default or '(unset)':<24} {doc}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="chatserver", description="Realtime chat and community server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP and Socket.IO server")
    serve_cmd.add_argument("--host", help="address to listen on (default: $HOST or 0.0.0.0)")
    serve_cmd.add_argument("--port", type=int, help="port to listen on (default: $PORT or 8080)")
    serve_cmd.add_argument("--load-test", action="store_true",
                           help="raise the rate limits (sends, edits, reactions, typing, sign-ups) so that a "
                                "local load test (chat-loadtest) is not throttled; says so loudly at start. "
                                "Never on a server people use")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser("settings", help="list the environment variables the server reads")
    worker_cmd = commands.add_parser("worker", help="run the periodic tasks (daily summaries, clean-ups) until stopped")
    worker_cmd.add_argument("--once", action="store_true", help="run every job once and exit")
    commands.add_parser("migrate-legacy-ai", help="move deprecated AI chat messages and votes to the current tables")
    commands.add_parser("rotate-bot-tokens", help="re-encrypt every Discord bot token with the first key of "
                                                  "BOT_TOKEN_KEYS (then older keys can be removed)")
    users_cmd = commands.add_parser("users", help="manage user accounts").add_subparsers(dest="users_command",
                                                                                      required=True)
    role_cmd = users_cmd.add_parser(
        "set-role", help="grant a platform role: admin (may do everything), recruiter, or user (the default)",
        description="Set a user's platform role (users.role). Admins may act on every seed resource; "
                    "recruiters may post jobs and review applications. Takes effect on the user's next request.")
    role_cmd.add_argument("login", metavar="LOGIN", help="the user's username or email")
    role_cmd.add_argument("role", metavar="ROLE", choices=PLATFORM_ROLES, help="one of " + ", ".join(PLATFORM_ROLES))
    args = parser.parse_args(argv)

    if args.command == "settings":
        show_settings()
        return
    # pgserver asks platformdirs for a runtime folder when imported, which warns where
    # XDG_RUNTIME_DIR is unset (containers, CI) and then uses /tmp/runtime-UID, which is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    overrides = {key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None}
    environ = dict(os.environ)
    load_test = None
    if getattr(args, "load_test", False):
        load_test = {name: value for name, value in LOAD_TEST_LIMITS.items() if name not in environ}
        environ |= load_test
    try:
        settings = Settings.from_env(environ, **overrides)
    except SettingsError as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        sys.exit(2)
    logs.configure(settings.log_level, settings.log_json)
    if args.command == "worker":
        worker(settings, once=args.once)
        return
    if args.command == "users":
        set_role(settings, args.login, args.role)
        return
    if args.command == "serve":
        serve(settings, load_test=load_test)
        return
    {"serve": serve, "migrate": migrate, "migrate-legacy-ai": migrate_legacy_ai,
     "rotate-bot-tokens": rotate_bot_tokens}[args.command](settings)


if __name__ == "__main__":
    main()
