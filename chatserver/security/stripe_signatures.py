"""Stripe's webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.

The secret comes from STRIPE_WEBHOOK_SECRET, which may hold several (comma-separated) while a secret
rotates; Stripe then sends one `v1` per secret it signs with. A signature verifies when any `v1` of the
header matches the HMAC under any configured secret, compared in constant time, and its timestamp is
within the tolerance of now, either way, so that a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

TOLERANCE = 300  # seconds, as Stripe's own libraries


class BadSignature(Exception):
    pass


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The hex `v1` value Stripe would send for this body at this time."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(header: str | None, body: bytes, secrets: Sequence[str], *, now: float | None = None,
           tolerance: int = TOLERANCE) -> int:
    """The header's timestamp if the body is signed by one of `secrets`; BadSignature (saying why) if not."""
    if not header:
        raise BadSignature("no Stripe-Signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise BadSignature("the timestamp is not a number") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature("the header has no timestamp or no v1 signature")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise BadSignature(f"the timestamp is more than {tolerance} s away from now")
    # Every pair is compared, match or not, so the time taken says nothing about which one matched.
    matched = False
    for secret in secrets:
        expected = sign(secret, body, timestamp)
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise BadSignature("no v1 signature matches")
    return timestamp
