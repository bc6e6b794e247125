"""The API reference as a client developer meets it: the OpenAPI document's summaries, examples,
tags and schema names; the two pages and every file they load, served from the package (nothing
from elsewhere); the AsyncAPI document at /api/asyncapi.yaml. tests/http/test_api_docs_browser.py
renders both pages in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from chatserver.app import API_MODULES
from chatserver.http import openapi

ROOT = Path(__file__).resolve().parents[2]

# `time` is left out: JSON Schema's format wants an offset ("09:30:00Z"), the wire has none.
FORMATS = FormatChecker([name for name in FormatChecker.checkers if name != "time"])


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi.build([module.api for module in API_MODULES])


def _operations(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_and_examples_that_fit_their_schemas(document):
    components = document["components"]

    def problems(schema: dict, value) -> list[str]:
        validator = Draft202012Validator(dict(schema, components=components), format_checker=FORMATS)
        return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:120]}"
                for error in validator.iter_errors(value)]

    wrong = []
    for name, operation in _operations(document):
        assert operation["summary"].strip(), name
        assert not re.search(r"\b[Aa] [aeiou]", operation["summary"]), operation["summary"]
        for parameter in operation.get("parameters", []):
            assert "example" in parameter, f"{name}: parameter {parameter['name']}"
            wrong += [f"{name} {parameter['name']}: {p}" for p in problems(parameter["schema"], parameter["example"])]
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            assert "example" in media, f"{name}: request body"
            if media_type == "application/json":
                wrong += [f"{name} body: {p}" for p in problems(media["schema"], media["example"])]
        answers = [media for response in operation["responses"].values()
                   for media in response.get("content", {}).values()]
        assert all("example" in media for media in answers), f"{name}: a response without an example"
        ok = [status for status in operation["responses"] if status.startswith("2")]
        assert ok, name
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                wrong += [f"{name} {status}: {p}" for p in problems(media["schema"], media["example"])]
    assert not wrong, "examples that their schemas refuse:\n" + "\n".join(wrong[:20])
    # A request or answer a client developer reads first, as the viewer shows it.
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["example"] == {
        "login": "ada", "password": "analytical engine"}
    post = document["paths"]["/api/v1/channels/{channelId}/messages"]["post"]
    assert set(post["requestBody"]["content"]["application/json"]["example"]) == {"content", "nonce"}


def test_chat_tags_come_first_then_the_seed_features_by_seed_system(document):
    names = [tag["name"] for tag in document["tags"]]
    assert names[:7] == ["auth", "account", "workspaces", "channels", "messages", "conversations", "attachments"]
    seeds = names[7:]
    assert seeds and all(re.match(r"(GrowCommunity|Career platform|SmileFactory|CommunityOS): ", name)
                         for name in seeds), seeds
    systems = ["GrowCommunity", "Career platform", "SmileFactory", "CommunityOS"]
    assert seeds == sorted(seeds, key=lambda name: systems.index(name.split(":")[0]))  # grouped
    assert all(tag.get("description") for tag in document["tags"])
    assert [group["name"] for group in document["x-tagGroups"]] == ["Chat", *systems]
    # Every operation's tag is listed, and the document lists the operations in tag order.
    order = [operation["tags"][0] for _, operation in _operations(document)]
    assert set(order) <= set(names)
    assert [names.index(tag) for tag in order] == sorted(names.index(tag) for tag in order)


def test_schema_names_are_clean(document):
    schemas = document["components"]["schemas"]
    assert not [name for name in schemas if "__" in name or "." in name]
    assert {"MessagesPostIn", "AnonymousPostIn"} <= set(schemas)
    text = str(document)
    assert "chatserver__" not in text


async def test_the_pages_and_everything_they_load_come_from_this_server(server):
    for page_path, document_path in (("/api/docs", "/api/openapi.json"), ("/api/asyncapi", "/api/asyncapi.yaml")):
        page = await server.request("GET", page_path)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        assert document_path in page.body
        loaded = re.findall(r'(?:src|href)="([^"]+)"', page.body)
        assert not [url for url in loaded if "//" in url], "a page loads something from elsewhere"
        assets = [url for url in loaded if url.startswith("/api/docs/assets/")]
        assert len(assets) >= 4, loaded
        for url in assets:
            async with server.http.get(server.url + url) as asset:
                assert asset.status == 200 and len(await asset.read()) > 100, url
                kind = {"js": "text/javascript", "css": "text/css", "png": "image/png"}[url.rsplit(".", 1)[1]]
                assert asset.headers["Content-Type"].startswith(kind), (url, asset.headers["Content-Type"])
    assert (await server.request("GET", "/api/docs/assets/../openapi.py")).status == 404
    assert (await server.request("GET", "/api/docs/assets/README.md")).status == 404


async def test_the_asyncapi_document_is_served_and_points_at_no_repository_path(server):
    served = await server.request("GET", "/api/asyncapi.yaml")
    assert served.status == 200 and served.headers["Content-Type"].startswith("application/yaml")
    assert served.body == (ROOT / "docs" / "asyncapi.yaml").read_text(), \
        "chatserver/http/apidocs/asyncapi.yaml is stale: run scripts/asyncapi"
    description = served.body.split("description: |", 1)[1].split("\n  version", 1)[0]
    assert "/api/asyncapi" in description and not re.search(r"\bdocs/|\.md\b", description)
    described = (await server.request("GET", "/api/openapi.json")).body["info"]["description"]
    assert "/api/asyncapi" in described and "docs/" not in described


def test_the_viewers_are_vendored_with_their_licences():
    apidocs = ROOT / "chatserver" / "http" / "apidocs"
    for folder in ("swagger-ui", "asyncapi"):
        assert "Apache License" in (apidocs / folder / "LICENSE").read_text()
    readme = (apidocs / "README.md").read_text()
    assert "swagger-ui-dist" in readme and "@asyncapi/react-component" in readme
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"http/apidocs/*/*"' in pyproject  # package data: an installed server has them too
