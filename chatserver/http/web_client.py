"""The web chat client at `/`: static files from the chatserver/web package folder.

The page is `index.html` with its asset links pointing at `/app/<version>/…`, where the version
is a digest of every file of the client. Assets under the current version never change, so they
are cached for a year (`immutable`); the page itself is revalidated on every load (`no-cache`
with an ETag), so a new release is picked up by a reload. Every answer carries a
Content-Security-Policy that allows scripts from this origin only (no inline scripts, no eval),
and nothing is fetched from anywhere else. See docs/web-client.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
ASSET_PREFIX = "/app"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class WebClient:
    version: str
    index: Asset
    assets: dict[str, Asset]

    @classmethod
    def load(cls, root: Path = WEB_DIR) -> WebClient:
        """Read the client's files once, when the app is built (they are small: about 150 kB)."""
        files: dict[str, bytes] = {}
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if not path.is_file() or "__pycache__" in relative or path.suffix in {".py", ".pyc"}:
                continue
            files[relative] = path.read_bytes()
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
        version = digest.hexdigest()[:16]
        page = files.pop("index.html").replace(b"{{ASSETS}}", f"{ASSET_PREFIX}/{version}".encode())
        assets = {name: _asset(name, body) for name, body in files.items()}
        return cls(version, _asset("index.html", page), assets)


def _asset(name: str, body: bytes) -> Asset:
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    content_type = _TYPES.get(suffix, "application/octet-stream")
    return Asset(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _answer(request: web.Request, asset: Asset, cache_control: str) -> web.Response:
    headers = {**SECURITY_HEADERS, "Cache-Control": cache_control, "ETag": asset.etag}
    if asset.etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    return web.Response(body=asset.body, headers=headers)


WEB_CLIENT = web.AppKey("web_client", WebClient)


async def index_page(request: web.Request) -> web.Response:
    return _answer(request, request.app[WEB_CLIENT].index, REVALIDATE)


async def asset_file(request: web.Request) -> web.Response:
    client = request.app[WEB_CLIENT]
    asset = client.assets.get(request.match_info["path"])  # only files of the package: no traversal
    if asset is None:
        raise web.HTTPNotFound(reason="no such file")
    # A page from an older release may still ask for its version: answer with today's file, uncached.
    current = request.match_info["version"] == client.version
    return _answer(request, asset, IMMUTABLE if current else REVALIDATE)


def add_routes(app: web.Application) -> None:
    app[WEB_CLIENT] = WebClient.load()
    app.router.add_get("/", index_page)
    app.router.add_get(ASSET_PREFIX + "/{version}/{path:.+}", asset_file)
