"""The route table: each endpoint declared once, with its models.

A declaration gives aiohttp its route and the OpenAPI document its operation,
so the document cannot drift from what the server does. Handlers receive the
parsed body, query and path parameters and return a wire model.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from chatserver.actions import auth
from chatserver.actions.context import Principal, Services
from chatserver.errors import invalid, unauthorized
from chatserver.schemas.base import parse, parse_query

SERVICES = web.AppKey("services", Services)
PRINCIPAL = web.RequestKey("principal", object)  # the Principal, or None on open endpoints

_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass(slots=True)
class Reply:
    """A handler's answer when it needs a status or headers besides the body."""

    body: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Context:
    """What a handler gets besides its parsed inputs."""

    request: web.Request
    svc: Services
    principal: Principal | None

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "endpoint declared auth=False"
        return self.principal

    @property
    def client_ip(self) -> str | None:
        return self.request.remote

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def if_match_version(self) -> int | None:
        """The version an `If-Match: "N"` header asks for; None without the header or with `*`."""
        value = self.header("If-Match")
        if value is None or value.strip() == "*":
            return None
        tag = value.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise invalid({"If-Match": 'expected an ETag such as "3"'})
        return int(tag)


Handler = Callable[..., Awaitable[BaseModel | Reply | None]]


@dataclass(slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: bool
    errors: tuple[str, ...]
    path_types: dict[str, type]
    body_kind: str = "json"  # or "multipart": the handler reads the request itself

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


def _convert_path(name: str, raw: str, kind: Any) -> Any:
    if "\x00" in raw:
        raise invalid({name: "contains a NUL character"})
    if kind is UUID:
        try:
            return UUID(raw)
        except ValueError:
            raise invalid({name: "expected a UUID"}) from None
    try:
        return _adapter(kind).validate_python(raw)
    except ValidationError as exc:
        raise invalid({name: exc.errors(include_url=False)[0]["msg"]}) from None


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


async def _bearer_principal(request: web.Request, svc: Services) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("missing bearer token")
    return await auth.authenticate(svc, token.strip())


def _json_response(reply: Reply) -> web.Response:
    if reply.body is None:
        return web.Response(status=204 if reply.status == 200 else reply.status, headers=reply.headers)
    return web.Response(
        body=reply.body.model_dump_json(by_alias=True).encode(), status=reply.status,
        content_type="application/json", headers=reply.headers,
    )


class Api:
    """Collects endpoint declarations from the handler modules."""

    def __init__(self, prefix: str = "/api/v1") -> None:
        self.prefix = prefix
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, *, summary: str, tags: tuple[str, ...] | list[str] = (),
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, auth: bool = True,
              errors: tuple[str, ...] = (), path_types: dict[str, type] | None = None,
              body_kind: str = "json") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            params = _PATH_PARAM.findall(path)
            types = {name: UUID for name in params} | (path_types or {})
            self.endpoints.append(Endpoint(
                method=method, path=path, handler=handler, summary=summary, tags=tuple(tags), body=body,
                query=query, response=response, status=status, auth=auth, errors=tuple(errors),
                path_types=types, body_kind=body_kind,
            ))
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def add_to(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, self.prefix + self._route_path(endpoint.path),
                                 self._aiohttp_handler(endpoint))

    def _route_path(self, path: str) -> str:
        """`path` for aiohttp, where a parameter never takes a word that a literal route of this table
        has at the same place. aiohttp tries every route that matches a path, so without this
        `PATCH /notifications/read-all` would reach `PATCH /notifications/{id}` with the id "read-all"
        (a 422) instead of being a 405 that names the methods of `/notifications/read-all`."""
        segments = path.split("/")
        literals = [other.path.split("/") for other in self.endpoints if "{" not in other.path]
        for i, segment in enumerate(segments):
            if not (param := _PATH_PARAM.fullmatch(segment)):
                continue
            words = sorted({other[i] for other in literals if len(other) > i and _same_prefix(segments, other, i)})
            if words:
                reserved = "|".join(re.escape(word) for word in words)
                segments[i] = f"{{{param[1]}:(?!(?:{reserved})(?:/|$))[^{{}}/]+}}"
        return "/".join(segments)

    def _aiohttp_handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            svc = request.app[SERVICES]
            principal = await _bearer_principal(request, svc) if endpoint.auth else None
            request[PRINCIPAL] = principal
            kwargs: dict[str, Any] = {
                name: _convert_path(name, request.match_info[name], endpoint.path_types[name])
                for name in endpoint.path_params
            }
            if endpoint.query is not None:
                kwargs["query"] = parse_query(endpoint.query, request.query)
            if endpoint.body is not None and endpoint.body_kind == "json":
                kwargs["body"] = parse(endpoint.body, await _read_json(request))
            result = await endpoint.handler(Context(request, svc, principal), **kwargs)
            if isinstance(result, web.StreamResponse):  # a file, or another non-JSON answer
                return result
            reply = result if isinstance(result, Reply) else Reply(result, status=endpoint.status)
            return _json_response(reply)

        return handle


def _same_prefix(segments: list[str], literal: list[str], upto: int) -> bool:
    """Whether the literal path's first `upto` segments fit the templated path's."""
    return all(_PATH_PARAM.fullmatch(mine) or mine == theirs for mine, theirs in zip(segments[:upto], literal[:upto], strict=True))


async def _read_json(request: web.Request) -> Any:
    """The JSON body. An endpoint that declares a body requires one (`{}` where every field is optional),
    as its OpenAPI operation says."""
    raw = await request.read()
    if not raw.strip():
        raise invalid({"body": "a JSON body is required"}, "request body is missing")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid({"body": "not valid JSON"}, "request body is not valid JSON") from None
