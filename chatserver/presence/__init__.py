"""Ephemeral state shared by every process: who is connected and how, and who is typing.

Each has an in-memory implementation (one process; also the test double) and a
Redis one (several processes), behind the same small interface.
"""

from chatserver.presence.base import PresenceState, PresenceTracker, TypingTracker
from chatserver.presence.memory import MemoryPresence, MemoryTyping

__all__ = ["MemoryPresence", "MemoryTyping", "PresenceState", "PresenceTracker", "TypingTracker"]
