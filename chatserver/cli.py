"""`chatserver serve | migrate | settings`: the console entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from chatserver import logs
from chatserver.settings import Settings, SettingsError

log = logging.getLogger("chatserver")


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # not on Windows; the default loop works, slower
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def serve(settings: Settings) -> None:
    from aiohttp import web

    from chatserver.app import create_app

    _install_uvloop()
    log.info("serving", extra={"host": settings.host, "port": settings.port,
                               "database": "external" if settings.database_url else "embedded",
                               "fanout": "redis" if settings.redis_url else "in-process"})
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None,
                access_log=None, shutdown_timeout=10)


def migrate(settings: Settings) -> None:
    from chatserver.db.migrations import migrate as run_migrations
    from chatserver.services import database_url

    async def run() -> list[str]:
        url, embedded = await database_url(settings)
        try:
            return await run_migrations(url)
        finally:
            if embedded is not None:
                embedded.stop()

    _install_uvloop()
    applied = asyncio.run(run())
    print("applied: " + ", ".join(applied) if applied else "nothing to apply: the schema is up to date")


def migrate_legacy_ai(settings: Settings) -> None:
    from chatserver.legacy_ai import run

    run(settings)


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
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser("settings", help="list the environment variables the server reads")
    worker_cmd = commands.add_parser("worker", help="run the periodic jobs (daily summaries, clean-ups) until stopped")
    worker_cmd.add_argument("--once", action="store_true", help="run every job once and exit")
    commands.add_parser("migrate-legacy-ai", help="move deprecated AI chat messages and votes to the current tables")
    args = parser.parse_args(argv)

    if args.command == "settings":
        show_settings()
        return
    overrides = {key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None}
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        sys.exit(2)
    logs.configure(settings.log_level, settings.log_json)
    if args.command == "worker":
        worker(settings, once=args.once)
        return
    {"serve": serve, "migrate": migrate, "migrate-legacy-ai": migrate_legacy_ai}[args.command](settings)


if __name__ == "__main__":
    main()
