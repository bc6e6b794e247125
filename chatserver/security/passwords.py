"""argon2id password hashing, run off the event loop (each hash costs tens of ms)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile

# Verified against when the user does not exist, so that an unknown login costs
# the same time as a wrong password and the two cannot be told apart.
_DUMMY_HASH = _hasher.hash("no such user: this hash is only ever compared against")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """False for a wrong password and for a missing hash, in the same time."""
    return await asyncio.to_thread(_verify, stored_hash, password)
