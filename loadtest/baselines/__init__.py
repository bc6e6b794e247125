"""The baseline servers (Node socket.io and bare python-socketio), and starting them."""
