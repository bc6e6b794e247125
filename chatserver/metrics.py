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


def render() -> bytes:
    return generate_latest(REGISTRY)
