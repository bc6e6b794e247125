"""How the web client's files are served: CSP, caching, nothing but the package's own files."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from chatserver.http.web_client import WEB_DIR

ROOT = Path(__file__).resolve().parents[2]


async def test_the_page_forbids_inline_scripts_and_is_revalidated(server):
    page = await server.request("GET", "/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe" not in csp and "http" not in csp
    assert page.headers["Cache-Control"] == "no-cache"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # The page has no inline script or style, and links only its own versioned assets.
    html = page.body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son\w+=", html) and "<style" not in html and " style=" not in html
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and all(re.fullmatch(r"/app/[0-9a-f]{16}/[\w./-]+", link) for link in links), links

    again = await server.request("GET", "/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status == 304


async def test_assets_are_immutable_under_their_version(server):
    page = await server.request("GET", "/")
    script = re.search(r'src="(/app/[0-9a-f]+/js/main\.js)"', page.body).group(1)
    version = script.split("/")[2]
    asset = await server.request("GET", script)
    assert asset.status == 200
    assert asset.headers["Content-Type"].startswith("text/javascript")
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Security-Policy" in asset.headers
    vendored = await server.request("GET", f"/app/{version}/vendor/socket.io.esm.min.js")
    assert vendored.status == 200 and "Socket.IO v4" in vendored.body
    licence = await server.request("GET", f"/app/{version}/vendor/socket.io-client.LICENSE")
    assert licence.status == 200 and "MIT" in licence.body
    # An older page's version still gets today's file, but not for a year.
    old = await server.request("GET", "/app/0000000000000000/js/main.js")
    assert old.status == 200 and old.headers["Cache-Control"] == "no-cache"
    for path in [f"/app/{version}/../http/web_client.py", f"/app/{version}/__init__.py",
                 f"/app/{version}/%2e%2e/settings.py", f"/app/{version}/index.html", f"/app/{version}/nothing.js"]:
        assert (await server.request("GET", path)).status == 404, path


def test_the_package_data_carries_every_file_of_the_client():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["chatserver"]
    files = [p.relative_to(WEB_DIR.parent).as_posix() for p in WEB_DIR.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert files
    missing = [f for f in files if not any(fnmatch(f, pattern) and f.count("/") == pattern.count("/")
                                           for pattern in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_the_client_never_inserts_markup():
    for path in (WEB_DIR / "js").glob("*.js"):
        source = path.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert risky not in source, f"{path.name} uses {risky}"
