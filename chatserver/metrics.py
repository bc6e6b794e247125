"""Prometheus metrics, defined in one place so their names stay consistent."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Histogram(
    "chat_http_request_seconds", "HTTP request duration by route and status.",
    ["method", "route", "status"], registry=REGISTRY,
)
DB_TRANSACTIONS = Histogram(
    "chat_db_transaction_seconds", "Named database transaction duration.",
    ["name", "outcome"], registry=REGISTRY,
)
SOCKETS = Gauge("chat_sockets", "Socket.IO connections open in this process.", registry=REGISTRY)
SOCKET_CONNECTS = Counter(
    "chat_socket_connects_total", "Socket.IO connection attempts by outcome.", ["outcome"], registry=REGISTRY,
)
SOCKET_EVENTS = Histogram(
    "chat_socket_event_seconds", "Socket.IO event handling duration by event and outcome.",
    ["event", "outcome"], registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "chat_events_published_total", "Events handed to the fan-out broker.", ["event"], registry=REGISTRY,
)
EVENTS_RECEIVED = Counter(
    "chat_events_received_total", "Events this process received from the fan-out.", ["event"], registry=REGISTRY,
)
FANOUT_LAG = Histogram(
    "chat_fanout_lag_seconds", "From publish in one process to receipt in this one.", registry=REGISTRY,
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
FANOUT_RECONNECTS = Counter(
    "chat_fanout_reconnects_total", "Times the fan-out subscriber reconnected to Redis.", registry=REGISTRY,
)
FANOUT_SUBSCRIPTIONS = Gauge(
    "chat_fanout_subscriptions", "Room channels this process is subscribed to.", registry=REGISTRY,
)
SYNC_CALLS = Counter(
    "chat_sync_calls_total", "sync requests, and how many messages they returned.", ["kind"], registry=REGISTRY,
)
PRESENCE_REAPED = Counter(
    "chat_presence_reaped_sockets_total", "Sockets of dead processes removed from presence.", registry=REGISTRY,
)
SLOW_CLIENTS = Counter(
    "chat_slow_client_total", "Events dropped for, and connections closed of, sockets that do not read.",
    ["action"], registry=REGISTRY,
)

DB_POOL_EXHAUSTED = Counter(
    "chat_db_pool_exhausted_total", "Requests answered `unavailable` because every pooled connection was busy.",
    registry=REGISTRY,
)
GROUP_COMMITS = Histogram(
    "chat_group_commit_size", "Writes gathered into one statement and commit, by what they write.",
    ["write"], registry=REGISTRY, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
ORDERING = Counter(
    "chat_stream_order_total",
    "Stream events held for an earlier one (held), dropped as already delivered (late), "
    "gaps read back from PostgreSQL (gap_filled), changes published before the room was heard "
    "read back (caught_up), and changes sent to sockets that joined a stream after its room had them "
    "(joined_late).",
    ["outcome"], registry=REGISTRY,
)


def render() -> bytes:
    return generate_latest(REGISTRY)
