"""The web chat client: static files (HTML, ES modules, CSS, the vendored Socket.IO client)
served by chatserver/http/web_client.py at `/`. See docs/web-client.md."""
