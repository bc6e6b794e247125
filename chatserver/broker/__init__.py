"""Fan-out: actions publish events to rooms; every process's sockets in those rooms get them.

A backend only supplies publish and a way to hand what arrives to the local
deliverer, as in python-socketio's pub/sub managers and Centrifuge's brokers.
"""

from chatserver.broker.base import Broker, Event, Position
from chatserver.broker.memory import MemoryBroker

__all__ = ["Broker", "Event", "MemoryBroker", "Position"]
