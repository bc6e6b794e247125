"""The OpenAPI 3.1 document, generated from the route table and its pydantic models, and the
API reference pages: Swagger UI for it at /api/docs, the AsyncAPI viewer for the Socket.IO API
(/api/asyncapi.yaml) at /api/asyncapi. Both viewers are vendored in chatserver/http/apidocs/ (see
its README.md): nothing is fetched from elsewhere, at run time or by the browser."""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from chatserver import __version__
from chatserver.errors import HTTP_STATUS
from chatserver.http.api import Api, Endpoint
from chatserver.http.openapi_examples import Examples, problem_example
from chatserver.http.problem import PROBLEM_TYPE, Problem
from chatserver.schemas.base import NUL_PATTERN
from chatserver.schemas.fields import JSON_VALUE_SCHEMA

_REF = "#/components/schemas/{model}"


class InputSchema(GenerateJsonSchema):
    """Input schemas say what `parse` refuses in every string: a NUL character (PostgreSQL cannot
    store one). Strings with a pattern of their own already leave NUL out."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        json_schema = super().str_schema(schema)
        if self.mode == "validation" and "pattern" not in json_schema:
            json_schema["pattern"] = NUL_PATTERN
        return json_schema


def _path_schema(kind: type) -> dict:
    if kind.__name__ == "UUID":
        return {"type": "string", "format": "uuid"}
    schema = TypeAdapter(kind).json_schema(schema_generator=InputSchema)
    return {"minLength": 1, **schema}  # an empty segment never reaches a route


def _without_null(schema: dict) -> dict:
    """A query parameter's schema without its `null` option: a query cannot spell null, absence does."""
    schema = dict(schema)
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema = options[0] | {key: value for key, value in schema.items() if key != "default" or value is not None}
    elif options:
        schema["anyOf"] = options
    if schema.get("default", "") is None:
        del schema["default"]
    return schema


def _parameters(endpoint: Endpoint, schemas: dict[tuple[type, str], dict]) -> list[dict]:
    params = []
    for name in endpoint.path_params:
        params.append({"name": name, "in": "path", "required": True, "schema": _path_schema(endpoint.path_types[name])})
    if endpoint.query is not None:
        query_schema = endpoint.query.model_json_schema(by_alias=True, ref_template=_REF, schema_generator=InputSchema)
        required = set(query_schema.get("required", []))
        for name, schema in query_schema.get("properties", {}).items():
            schema = _without_null(schema)
            description = schema.pop("description", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _operation(endpoint: Endpoint, schemas: dict[tuple[type, str], dict]) -> dict:
    operation: dict[str, Any] = {
        "operationId": _operation_id(endpoint),
        "summary": endpoint.summary,
        "tags": list(endpoint.tags),
        "responses": {},
    }
    if endpoint.handler.__doc__:
        operation["description"] = endpoint.handler.__doc__.strip()
    params = _parameters(endpoint, schemas)
    if params:
        operation["parameters"] = params
    if endpoint.body is not None:
        if endpoint.body_kind == "multipart":
            content = {"multipart/form-data": {"schema": schemas[(endpoint.body, "validation")]}}
        else:
            content = {"application/json": {"schema": schemas[(endpoint.body, "validation")]}}
        operation["requestBody"] = {"required": True, "content": content}
    if not endpoint.auth:
        operation["security"] = []
    ok: dict[str, Any] = {"description": HTTPStatus(endpoint.status).phrase}
    if endpoint.response is not None and endpoint.status != 204:
        ok["content"] = {"application/json": {"schema": schemas[(endpoint.response, "serialization")]}}
    operation["responses"][str(endpoint.status)] = ok
    codes = list(endpoint.errors)
    if endpoint.auth:
        codes.append("unauthorized")
    if endpoint.body is not None or endpoint.query is not None or endpoint.path_params:
        codes.append("invalid")
    codes.append("internal")
    codes_by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        codes_by_status.setdefault(HTTP_STATUS[code], []).append(code)
    for status, status_codes in codes_by_status.items():
        operation["responses"][str(status)] = {
            "description": f"{HTTPStatus(status).phrase}: code {' or '.join(status_codes)}",
            "content": {PROBLEM_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}},
        }
    return operation


def _operation_id(endpoint: Endpoint) -> str:
    return endpoint.handler.__module__.rsplit(".", 1)[-1] + "_" + endpoint.handler.__name__


def _created_id(model: type[BaseModel] | None) -> tuple[str, str] | None:
    """Where a creation's answer holds the new id, and what the thing is called: `(pointer, noun)`
    for `{id, ...}` (noun unknown: "") or `{channel: {id, ...}}` (noun "channel")."""
    if model is None:
        return None
    fields = model.model_fields
    if "id" in fields:
        return "/id", ""
    if len(fields) == 1:
        name, field = next(iter(fields.items()))
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel) and "id" in inner.model_fields:
            return f"/{field.alias or name}/id", name
    return None


def _links(creator: Endpoint, endpoints: list[Endpoint]) -> dict[str, dict]:
    """OpenAPI links from an operation that creates something to those that take its id, so that
    clients (and stateful testers such as schemathesis) can follow them. The created thing lives
    under its collection: the creating path itself (`POST /ai-chats` → `/ai-chats/{id}/...`), or,
    when it is created under a parent, the plural of its name (`POST /workspaces/{id}/channels`
    answers `{channel}` → `/channels/{channelId}/...`)."""
    # A 201 creates; so does a find-or-create 200 on a collection (`POST /conversations`).
    creates = creator.status == 201 or (creator.status == 200 and "{" not in creator.path)
    if creator.method != "POST" or not creates or creator.path.endswith(("/join", "/redeem")):
        return {}
    created = _created_id(creator.response)
    if created is None:
        return {}
    pointer, noun = created
    if "{" not in creator.path:
        collection = creator.path
    elif noun:
        collection = f"/{noun}s"
    else:
        return {}
    links = {}
    for target in endpoints:
        if target is creator or not target.path.startswith(collection + "/{"):
            continue
        param = target.path[len(collection) + 2:].split("}", 1)[0]
        links[_operation_id(target)] = {
            "operationId": _operation_id(target),
            "parameters": {f"path.{param}": f"$response.body#{pointer}"},
        }
    return links


# Tags in the order the viewer lists them: the chat API first, then the seed features grouped by
# the seed system they come from (docs/schema.md maps each seed table to its resource).
CHAT_TAGS = {
    "auth": "Sign up, sign in, refresh and revoke tokens, reset a password. Start here: "
            "`POST /auth/login` answers the `accessToken` that the Authorize button takes.",
    "account": "Your own account, your signed-in devices, and other users' public profiles.",
    "workspaces": "Chat tenants: create one, share its invite code, join with it, manage members and roles.",
    "channels": "Channels of a workspace and their members. Realtime clients join them with `channel:join`.",
    "messages": "Channel messages over HTTP (the same as the `message:*` socket events): history, "
                "posting, edits, deletes, reactions, pins, search.",
    "conversations": "Direct conversations between two people and their messages.",
    "attachments": "Upload a file, then name its id in a message's `attachmentIds`.",
}
SEED_SYSTEMS = {
    "GrowCommunity": {
        "communities": "Member organisations with roles, join requests and posts.",
        "typed messages": "Typed messages (coffee chat, mentorship...) with per-type slots and settings.",
        "invites": "Invite links, referrals and identity revelations.",
        "profiles": "User profiles: the person behind an account.",
    },
    "Career platform": {
        "connections": "Connection requests between people, their notifications and messages, and blocking "
                       "(SmileFactory's `blocked` connections).",
        "anonymous feed": "Anonymous posts, comments and likes.",
        "ai chat": "Chats with an AI assistant, their messages and votes.",
        "documents": "Versioned documents and suggestions on them.",
        "skills": "Skill quizzes: questions, attempts, best scores.",
        "jobs": "Job postings, applications and interview rounds.",
        "planner": "Calendar blocks, daily interviews and interview progress.",
        "activity": "Activity logs, sessions, page views, feature usage and daily summaries.",
        "forms": "Uploads, premium interest, API access requests and archive cards.",
    },
    "SmileFactory": {
        "typed profiles": "Typed profiles (innovator, business investor, mentor): draft or active, public, "
                          "connections only or private, with a completion percentage.",
        "events": "Events with capacity, a waitlist promoted in order, RSVPs with roles, and check-in.",
        "posts": "Posts with ranked full-text search, tags and visibility; likes, views, shares, and "
                 "comments threaded to any depth.",
        "marketplace": "Listings with a price, views and an expiry; transactions initiated → negotiating → "
                       "agreed → completed (or cancelled), each step by the party allowed it, one sale per listing.",
        "groups": "Public, private or hidden groups, open, by approval or by invite code, with a member cap, "
                  "roles, bans, and a chat channel of the realtime core for their members.",
        "similarity": "Similar profiles, posts and groups and recommended events, nearest first by the embeddings "
                      "(pgvector) of what each says; `unavailable` without AI_EMBEDDING_MODEL.",
    },
    "CommunityOS": {
        "subscription tiers": "What a community sells (price, interval, features, Discord role, member cap), "
                              "managed by its owner and admins; members pick one within its cap.",
        "billing": "Subscriptions and payments, written only by Stripe's signed, idempotent webhook.",
        "discord bots": "A community's Discord bot configuration; its token is stored encrypted and never returned.",
        "analytics": "A community's analytics events (partitioned by month) and their counts by day and type.",
        "data retention": "How long rows of the allow-listed tables are kept; the worker deletes older ones.",
    },
}


def _tag_name(tag: str) -> str:
    for system, tags in SEED_SYSTEMS.items():
        if tag in tags:
            return f"{system}: {tag}"
    return tag


def _tags() -> tuple[list[dict], list[dict]]:
    """The document's `tags` (in display order, with descriptions) and Redoc's `x-tagGroups`."""
    tags = [{"name": name, "description": text} for name, text in CHAT_TAGS.items()]
    groups = [{"name": "Chat", "tags": list(CHAT_TAGS)}]
    for system, system_tags in SEED_SYSTEMS.items():
        names = [_tag_name(tag) for tag in system_tags]
        tags += [{"name": name, "description": f"{system} seed. {text}"}
                 for name, text in zip(names, system_tags.values(), strict=True)]
        groups.append({"name": system, "tags": names})
    return tags, groups


_ARTICLE = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


def _clean_names(document: dict[str, Any]) -> dict[str, Any]:
    """Schema names without module paths: pydantic names two models called the same, such as the
    PostIn of messages and of the anonymous feed, `chatserver__schemas__messages__PostIn`; here they
    become `MessagesPostIn` and `AnonymousPostIn`."""
    schemas = document["components"]["schemas"]
    renames = {}
    for name in schemas:
        if "__" in name:
            parts = name.split("__")
            renames[name] = parts[-2].replace("_", " ").title().replace(" ", "") + parts[-1]
    if not renames:
        return document
    text = orjson.dumps(document).decode()
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    document = orjson.loads(text)
    document["components"]["schemas"] = {renames.get(name, name): schema
                                         for name, schema in document["components"]["schemas"].items()}
    for new in renames.values():
        document["components"]["schemas"][new]["title"] = new
    return document


def _add_examples(document: dict[str, Any]) -> None:
    """An example for every parameter, request body and response of every operation."""
    examples = Examples(document["components"]["schemas"])
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter["example"] = examples.parameter(parameter)
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                value = examples.value(media["schema"], request=True)
                if media_type == "multipart/form-data":
                    value = {"file": "(the file's bytes)"}
                    media["encoding"] = {"file": {"contentType": "application/octet-stream"}}
                media["example"] = value
            for status, response in operation["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    if media_type == PROBLEM_TYPE:
                        code = response["description"].split("code ", 1)[1].split(" ")[0]
                        media["example"] = problem_example(int(status), code, HTTPStatus(int(status)).phrase)
                    else:
                        media["example"] = examples.value(media["schema"])


DESCRIPTION = """\
The HTTP API of the chat server: accounts, workspaces, channels, messages, direct conversations,
attachments, and the community and career features of the seed systems. The realtime API (Socket.IO
events: connecting, `ready`, sending and receiving messages, `sync`) is described at
[/api/asyncapi](/api/asyncapi) (document: [/api/asyncapi.yaml](/api/asyncapi.yaml)).

**Trying it here.** `POST /api/v1/auth/register`, then `POST /api/v1/auth/login` (both open); copy
the `accessToken` of the answer into **Authorize** (the token is kept in this browser until you log
out of the dialog), then "Try it out" on any operation. The filter box searches tags, paths and
summaries.

**Conventions.** JSON bodies in camelCase; ids are UUID strings; times ISO 8601 UTC with a `Z`.
Errors are `application/problem+json` (RFC 9457) with a `code` that programs match on: `unauthorized`,
`forbidden`, `not_found`, `invalid` (with `errors` naming the fields), `conflict`, `version_conflict`,
`rate_limited` (with `details.retryAfter`), `payload_too_large`, `limit_reached`, `unavailable`,
`bad_signature` (a webhook's signature does not verify), `internal`. Lists are cursor pages: `?limit=&cursor=` answers `{items, nextCursor}`. A resource with a
version answers it as an `ETag`; a `PATCH` or `DELETE` with an `If-Match` that no longer matches
answers 412 `version_conflict`.
"""


def build(apis: Iterable[Api], *, title: str = "chatserver API") -> dict[str, Any]:
    endpoints = [(api.prefix, endpoint) for api in apis for endpoint in api.endpoints]
    wanted: list[tuple[type[BaseModel], str]] = [(Problem, "serialization")]
    for _, endpoint in endpoints:
        if endpoint.body is not None:
            wanted.append((endpoint.body, "validation"))
        if endpoint.response is not None:
            wanted.append((endpoint.response, "serialization"))
    wanted = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(wanted, by_alias=True, ref_template=_REF, schema_generator=InputSchema)
    tags, groups = _tags()
    order = {tag["name"]: index for index, tag in enumerate(tags)}
    # Operations in tag order (a viewer lists paths in document order within a tag).
    endpoints.sort(key=lambda item: order.get(_tag_name((item[1].tags or ("other",))[0]), len(order)))
    paths: dict[str, dict[str, Any]] = {}
    for prefix, endpoint in endpoints:
        operation = _operation(endpoint, refs)
        operation["tags"] = [_tag_name(tag) for tag in operation["tags"]]
        operation["summary"] = _ARTICLE.sub(r"\1n ", operation["summary"])
        paths.setdefault(prefix + endpoint.path, {})[endpoint.method.lower()] = operation
    for prefix, endpoint in endpoints:
        if links := _links(endpoint, [other for _, other in endpoints]):
            paths[prefix + endpoint.path]["post"]["responses"][str(endpoint.status)]["links"] = links
    used = {tag for operations in paths.values() for operation in operations.values() for tag in operation["tags"]}
    document = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": [tag for tag in tags if tag["name"] in used] + [{"name": name} for name in sorted(used - set(order))],
        "x-tagGroups": [group | {"tags": [tag for tag in group["tags"] if tag in used]} for group in groups],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}) | {"JsonValue": JSON_VALUE_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "The accessToken from POST /api/v1/auth/login."}},
        },
        "security": [{"bearer": []}],
    }
    document = _clean_names(document)
    _add_examples(document)
    return document


OPENAPI = web.AppKey("openapi", dict)


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


APIDOCS = Path(__file__).resolve().parent / "apidocs"
ASYNCAPI_DOCUMENT = APIDOCS / "asyncapi.yaml"  # written by scripts/asyncapi with docs/asyncapi.yaml
ASSETS_PREFIX = "/api/docs/assets/"
_ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".txt": "text/plain"}

_NAV = """<nav class="chat-apidocs-nav"><strong>chatserver</strong>
<a href="/api/docs"{http}>HTTP API</a> <a href="/api/asyncapi"{realtime}>Realtime events (Socket.IO)</a>
<span class="files"><a href="/api/openapi.json">openapi.json</a> <a href="/api/asyncapi.yaml">asyncapi.yaml</a></span></nav>"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}swagger-ui/favicon-32x32.png">
{styles}
<link rel="stylesheet" href="{assets}apidocs.css">
</head><body>
{nav}
<div id="{root}"><noscript>This page needs JavaScript; the document itself is at <a href="{document}">{document}</a>.</noscript></div>
{scripts}
</body></html>
"""


def _page(*, title: str, root: str, document: str, styles: list[str], scripts: list[str], current: str) -> str:
    nav = _NAV.format(http=' aria-current="page"' if current == "http" else "",
                      realtime=' aria-current="page"' if current == "realtime" else "")
    return _PAGE.format(
        title=title, assets=ASSETS_PREFIX, nav=nav, root=root, document=document,
        styles="\n".join(f'<link rel="stylesheet" href="{ASSETS_PREFIX}{name}">' for name in styles),
        scripts="\n".join(f'<script src="{ASSETS_PREFIX}{name}"></script>' for name in scripts))


OPENAPI_PAGE = _page(title="chatserver HTTP API", root="swagger-ui", document="/api/openapi.json",
                     styles=["swagger-ui/swagger-ui.css"], current="http",
                     scripts=["swagger-ui/swagger-ui-bundle.js", "openapi-page.js"])
ASYNCAPI_PAGE = _page(title="chatserver realtime API (Socket.IO)", root="asyncapi", document="/api/asyncapi.yaml",
                      styles=["asyncapi/default.min.css"], current="realtime",
                      scripts=["asyncapi/asyncapi-standalone.js", "asyncapi-page.js"])


def _assets() -> dict[str, Path]:
    """The files under apidocs/ a page may load, by their name under /api/docs/assets/."""
    return {path.relative_to(APIDOCS).as_posix(): path for path in sorted(APIDOCS.rglob("*"))
            if path.is_file() and path.suffix in _ASSET_TYPES}


ASSETS = web.AppKey("apidocs_assets", dict)
_CACHE = {"Cache-Control": "public, max-age=3600"}


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI_PAGE, content_type="text/html", headers={"Cache-Control": "no-cache"})


async def asyncapi_page(request: web.Request) -> web.Response:
    return web.Response(text=ASYNCAPI_PAGE, content_type="text/html", headers={"Cache-Control": "no-cache"})


async def asyncapi_document(request: web.Request) -> web.Response:
    return web.Response(body=ASYNCAPI_DOCUMENT.read_bytes(), content_type="application/yaml", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def asset(request: web.Request) -> web.StreamResponse:
    path = request.app[ASSETS].get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    content_type = _ASSET_TYPES[path.suffix]
    return web.FileResponse(path, headers=_CACHE | {"Content-Type": f"{content_type}; charset=utf-8"
                                                    if content_type != "image/png" else content_type})


def add_routes(app: web.Application, apis: list[Api]) -> None:
    app[OPENAPI] = build(apis)
    app[ASSETS] = _assets()
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_get("/api/docs", docs_page)
    app.router.add_get("/api/asyncapi", asyncapi_page)
    app.router.add_get("/api/asyncapi.yaml", asyncapi_document)
    app.router.add_get(ASSETS_PREFIX + "{name:.+}", asset)
