"""Settings read from environment variables, validated once at start.

Every knob the server has is here, with its default, so that README's
configuration table and this file can be read side by side.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from chatserver.ratelimit.base import Rule, parse_rule


class SettingsError(ValueError):
    """A bad value in the environment; the message names the variable."""


def _text(value: str) -> str:
    return value


def _optional_text(value: str) -> str | None:
    return value or None


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a number from {low} to {high}, got {number}")
        return number

    return parse


def _seconds_in(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number of seconds, got {value!r}") from None
        if not low <= number <= high:  # also refuses nan and inf
            raise ValueError(f"expected seconds from {low:g} to {high:g}, got {value}")
        return number

    return parse


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _url(*schemes: str) -> Callable[[str], str | None]:
    def parse(value: str) -> str | None:
        if not value:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in schemes:
            raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    return parse


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    return parse


def _origins(value: str) -> list[str] | str:
    value = value.strip()
    if value == "*":
        return "*"
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def _secrets(value: str) -> tuple[str, ...]:
    return tuple(secret.strip() for secret in value.split(",") if secret.strip())


def _fernet_keys(value: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys, the first one encrypting; checked here so that a bad key stops the
    start, and never echoed (the setting is a secret)."""
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for number, key in enumerate(keys, 1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            raise ValueError(f"key {number} is not a Fernet key (32 bytes in URL-safe base64, 44 characters); "
                             "make one with: python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'")
    return keys


def _env(name: str, parse: Callable[[str], Any], default: str, doc: str) -> Any:
    return dataclasses.field(default=None, metadata={"env": name, "parse": parse, "default": default, "doc": doc})


@dataclasses.dataclass(frozen=True)
class Settings:
    host: str = _env("HOST", _text, "0.0.0.0", "Address to listen on.")
    port: int = _env("PORT", _int_in(0, 65535), "8080", "Port to listen on.")
    database_url: str | None = _env(
        "DATABASE_URL", _url("postgres", "postgresql"), "",
        "PostgreSQL URL the server's pool signs in with (the application role). Unset: an embedded PostgreSQL "
        "under CHAT_DATA_DIR, with its own roles.")
    database_owner_url: str | None = dataclasses.field(default=None, repr=False, metadata={
        "env": "DATABASE_OWNER_URL", "parse": _url("postgres", "postgresql"), "default": "",
        "doc": "PostgreSQL URL of the role that owns the tables: migrations run with it and grant DATABASE_URL's "
               "role what it needs. Unset: DATABASE_URL migrates too."})
    redis_url: str | None = _env(
        "REDIS_URL", _url("redis", "rediss", "unix"), "",
        "Redis URL. Unset: in-process fan-out, presence and rate limits (one process only).")
    redis_cluster: bool = _env(
        "REDIS_CLUSTER", _bool, "false",
        "true: REDIS_URL is one node of a Redis Cluster (7 or later); the others are discovered.")
    fanout_mode: str = _env(
        "FANOUT_MODE", _choice("rooms", "broadcast"), "rooms",
        "rooms: a process hears only rooms it has sockets in; broadcast: every event to every process.")
    data_dir: Path = _env("CHAT_DATA_DIR", Path, "./var", "Embedded database and uploaded files.")
    db_pool_min: int = _env("DB_POOL_MIN", _int_in(1, 100), "2", "Smallest PostgreSQL pool size.")
    db_pool_max: int = _env("DB_POOL_MAX", _int_in(1, 500), "20", "Largest PostgreSQL pool size.")
    db_plan_cache_mode: str = _env(
        "DB_PLAN_CACHE_MODE", _choice("force_generic_plan", "auto", "force_custom_plan"), "force_generic_plan",
        "PostgreSQL's plan_cache_mode on the server's connections. The default plans each statement once per "
        "connection; auto lets PostgreSQL plan some statements again on every run (docs/operations.md).")
    db_connect_timeout: int = _env(
        "DB_CONNECT_TIMEOUT", _int_in(1, 600), "5",
        "Seconds to wait for a PostgreSQL connection (new, or free in the pool) before answering `unavailable`.")
    db_command_timeout: int = _env(
        "DB_COMMAND_TIMEOUT", _int_in(1, 3600), "10",
        "Seconds one PostgreSQL statement may take before the request answers `unavailable`.")
    post_lanes: int = _env(
        "POST_LANES", _int_in(1, 64), "1",
        "Group commits of posts in flight at once. 1 gathers the most into each statement and commit (best "
        "when PostgreSQL shares the server's cores); more lets posts to other streams go on while one waits.")
    migrate_on_start: bool = _env(
        "MIGRATE_ON_START", _bool, "true", "Apply pending migrations when the server starts.")
    access_token_ttl: int = _env(
        "ACCESS_TOKEN_TTL", _int_in(60, 7 * 86400), "3600", "Access token lifetime, seconds.")
    refresh_token_ttl: int = _env(
        "REFRESH_TOKEN_TTL", _int_in(3600, 365 * 86400), str(30 * 86400),
        "Refresh token (session) lifetime, seconds.")
    password_hash_memory: int = _env(
        "PASSWORD_HASH_MEMORY", _int_in(8, 4 << 20), "19456",
        "argon2id memory per password hash, KiB (OWASP: 19456 = 19 MiB).")
    password_hash_time: int = _env(
        "PASSWORD_HASH_TIME", _int_in(1, 100), "2", "argon2id passes per password hash (OWASP: 2).")
    password_hash_parallelism: int = _env(
        "PASSWORD_HASH_PARALLELISM", _int_in(1, 64), "1", "argon2id lanes per password hash (OWASP: 1).")
    password_reset_ttl: int = _env(
        "PASSWORD_RESET_TTL", _int_in(60, 7 * 86400), "3600", "Password reset token lifetime, seconds.")
    public_url: str = _env(
        "PUBLIC_URL", _url("http", "https"), "http://localhost:8080",
        "The address users reach the server at; used in links sent by mail.")
    smtp_url: str | None = _env(
        "SMTP_URL", _url("smtp", "smtps"), "",
        "smtp://user:password@host:port for outgoing mail. Unset: mail is written to CHAT_DATA_DIR/outbox.")
    mail_from: str = _env("MAIL_FROM", _text, "chat@localhost", "Sender address of outgoing mail.")
    max_request_bytes: int = _env(
        "MAX_REQUEST_BYTES", _int_in(1024, 1 << 30), str(1 << 20), "Largest JSON request body.")
    max_frame_bytes: int = _env(
        "MAX_FRAME_BYTES", _int_in(1 << 20, 64 << 20), str(1 << 20),
        "Largest Socket.IO frame; a bigger one closes the connection.")
    socket_soft_backlog: int = _env(
        "SOCKET_SOFT_BACKLOG", _int_in(1, 1_000_000), "256",
        "Packets queued for one socket past which typing and presence are dropped for it.")
    socket_hard_backlog: int = _env(
        "SOCKET_HARD_BACKLOG", _int_in(2, 10_000_000), "4096",
        "Packets queued for one socket past which it is disconnected (it reconnects and syncs).")
    socket_hard_backlog_bytes: int = _env(
        "SOCKET_HARD_BACKLOG_BYTES", _int_in(1 << 16, 1 << 34), str(16 << 20),
        "Bytes queued for one socket past which it is disconnected, however few packets they are.")
    ping_interval: float = _env(
        "PING_INTERVAL", _seconds_in(0.05, 3600), "25",
        "Seconds between the server's Engine.IO pings (fractions allowed).")
    ping_timeout: float = _env(
        "PING_TIMEOUT", _seconds_in(0.05, 3600), "20",
        "Seconds the server waits for a ping's answer before dropping the connection.")
    connect_timeout: float = _env(
        "CONNECT_TIMEOUT", _seconds_in(0.05, 600), "10",
        "Seconds a new connection has to join a Socket.IO namespace (send CONNECT) before it is closed.")
    ready_presence_limit: int = _env(
        "READY_PRESENCE_LIMIT", _int_in(1, 100_000), "500",
        "Most people whose presence `ready` carries (self, direct conversation partners, then channel-mates); "
        "a client asks `presence:get` for the rest.")
    max_message_chars: int = _env(
        "MAX_MESSAGE_CHARS", _int_in(1, 1_000_000), "40000", "Longest message content, in characters.")
    max_upload_bytes: int = _env(
        "MAX_UPLOAD_BYTES", _int_in(1024, 1 << 31), str(10 << 20), "Largest attachment upload.")
    rate_send: Rule = _env("RATE_LIMIT_SEND", parse_rule, "60/10", "Messages a user may send: COUNT/SECONDS.")
    rate_edit: Rule = _env("RATE_LIMIT_EDIT", parse_rule, "30/10", "Edits, deletes and pins a user may make.")
    rate_reaction: Rule = _env("RATE_LIMIT_REACTION", parse_rule, "60/10", "Reactions a user may add or remove.")
    rate_typing: Rule = _env("RATE_LIMIT_TYPING", parse_rule, "30/10", "Typing notices a user may send.")
    rate_auth: Rule = _env(
        "RATE_LIMIT_AUTH", parse_rule, "20/60", "Sign-ups, sign-ins and reset requests per client address.")
    cors_origins: list[str] | str = _env(
        "CORS_ORIGINS", _origins, "*", "Origins allowed for Socket.IO and HTTP, comma separated, or *.")
    log_level: str = _env("LOG_LEVEL", _log_level, "INFO", "DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = _env("LOG_JSON", _bool, "true", "One JSON object per log line.")
    # The seed schema (GrowCommunity and the career platform).
    ai_base_url: str | None = _env(
        "AI_BASE_URL", _url("http", "https"), "",
        "OpenAI-compatible API base, such as https://api.openai.com/v1. Unset: AI chat answers `unavailable`.")
    ai_api_key: str | None = dataclasses.field(default=None, repr=False, metadata={
        "env": "AI_API_KEY", "parse": _optional_text, "default": "",
        "doc": "Bearer key for AI_BASE_URL; never logged or returned."})
    ai_model: str = _env("AI_MODEL", _text, "gpt-4o-mini", "Model named in AI chat completion requests.")
    ai_timeout: int = _env("AI_TIMEOUT", _int_in(1, 600), "60", "Seconds to wait for an AI reply.")
    ai_embedding_model: str | None = _env(
        "AI_EMBEDDING_MODEL", _optional_text, "",
        "Model named in embeddings requests to AI_BASE_URL; its vectors must have 1536 dimensions (such as "
        "text-embedding-3-small). Unset: similar profiles, posts and groups and recommended events answer "
        "`unavailable`.")
    ai_daily_messages: int = _env(
        "AI_DAILY_MESSAGES", _int_in(1, 10000), "7", "AI chat messages a user may send per UTC day.")
    slot_booking_ttl: int = _env(
        "SLOT_BOOKING_TTL", _int_in(60, 365 * 86400), str(7 * 86400),
        "Seconds a typed message holds one of the receiver's slots.")
    default_slot_limit: int = _env(
        "DEFAULT_SLOT_LIMIT", _int_in(0, 1000), "5",
        "Slots of each message type a user has when they set no custom limit.")
    invite_link_ttl: int = _env(
        "INVITE_LINK_TTL", _int_in(60, 365 * 86400), str(7 * 86400), "Seconds an invite link stays usable.")
    periodic_jobs_interval: int = _env(
        "PERIODIC_JOBS_INTERVAL", _int_in(0, 7 * 86400), "3600",
        "Seconds between runs of the periodic tasks (daily activity summaries, marketplace listing expiry); 0 turns them off.")
    bot_token_keys: tuple[str, ...] = dataclasses.field(default=(), repr=False, metadata={
        "env": "BOT_TOKEN_KEYS", "parse": _fernet_keys, "default": "",
        "doc": "Fernet keys for Discord bot tokens at rest, comma separated: the first encrypts, all decrypt "
               "(rotation: docs/operations.md). Unset: a key generated once in CHAT_DATA_DIR/bot-token.key. "
               "Never logged."})
    stripe_webhook_secrets: tuple[str, ...] = dataclasses.field(default=(), repr=False, metadata={
        "env": "STRIPE_WEBHOOK_SECRET", "parse": _secrets, "default": "",
        "doc": "Signing secret of the Stripe webhook endpoint (whsec_...); several, comma separated, while one "
               "rotates. Unset: POST /api/v1/webhooks/stripe answers `unavailable`. Never logged."})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for field in dataclasses.fields(cls):
            meta = field.metadata
            raw = environ.get(meta["env"], meta["default"])
            try:
                values[field.name] = meta["parse"](raw)
            except ValueError as exc:
                shown = repr(raw) if field.repr else "(hidden)"  # secrets stay out of the message
                problems.append(f"{meta['env']}={shown}: {exc}")
        if problems:
            raise SettingsError("bad configuration:\n  " + "\n  ".join(problems))
        values.update(overrides)
        settings = cls(**values)
        if settings.db_pool_min > settings.db_pool_max:
            raise SettingsError("bad configuration:\n  DB_POOL_MIN is larger than DB_POOL_MAX")
        return settings

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) rows, for README and `chatserver settings`."""
        return [(f.metadata["env"], f.metadata["default"], f.metadata["doc"]) for f in dataclasses.fields(cls)]
