"""Socket.IO: the server, event handlers, rooms, presence and delivery of broker events."""
