"""The OpenAPI 3.1 document, generated from the route table and its pydantic models,
and a readable page rendered from it (no script from elsewhere needed)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from chatserver import __version__
from chatserver.errors import HTTP_STATUS
from chatserver.http.api import Api, Endpoint
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
    paths: dict[str, dict[str, Any]] = {}
    for prefix, endpoint in endpoints:
        paths.setdefault(prefix + endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    for prefix, endpoint in endpoints:
        if links := _links(endpoint, [other for _, other in endpoints]):
            paths[prefix + endpoint.path]["post"]["responses"][str(endpoint.status)]["links"] = links
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": __version__,
            "description": "HTTP API of the chat server. Realtime events are described in docs/asyncapi.yaml.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}) | {"JsonValue": JSON_VALUE_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "The accessToken from POST /api/v1/auth/login."}},
        },
        "security": [{"bearer": []}],
    }


def _schema_text(schema: dict | None, components: dict) -> str:
    """A short type description such as `{email: string, password: string}`."""
    if not schema:
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{html.escape(name)}">{html.escape(name)}</a>'
    return html.escape(schema.get("type", "object") if isinstance(schema.get("type"), str) else "value")


def render_page(document: dict[str, Any]) -> str:
    components = document["components"]["schemas"]
    parts = [f"<h1>{html.escape(document['info']['title'])} {html.escape(document['info']['version'])}</h1>",
             f"<p>{html.escape(document['info']['description'])} "
             'The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>']
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            by_tag.setdefault((operation.get("tags") or ["other"])[0], []).append((method, path, operation))
    for tag, operations in by_tag.items():
        parts.append(f"<h2>{html.escape(tag)}</h2>")
        for method, path, operation in operations:
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            responses = "".join(
                f"<li><code>{status}</code> {html.escape(resp['description'])} "
                f"{_schema_text(next(iter(resp.get('content', {}).values()), {}).get('schema'), components)}</li>"
                for status, resp in operation["responses"].items()
            )
            auth = "" if operation.get("security") == [] else ' <span class="auth">bearer</span>'
            params = "".join(
                f"<li><code>{html.escape(p['name'])}</code> ({p['in']}{', required' if p['required'] else ''})</li>"
                for p in operation.get("parameters", [])
            )
            parts.append(
                f'<section><h3><span class="m">{method.upper()}</span> <code>{html.escape(path)}</code>{auth}</h3>'
                f"<p>{html.escape(operation['summary'])}</p>"
                + (f"<p>Parameters:</p><ul>{params}</ul>" if params else "")
                + (f"<p>Body: {_schema_text(body_schema, components)}</p>" if body_schema else "")
                + f"<p>Responses:</p><ul>{responses}</ul></section>"
            )
    parts.append("<h2>Schemas</h2>")
    for name, schema in components.items():
        required = set(schema.get("required", []))
        rows = "".join(
            f"<tr><td><code>{html.escape(field)}</code>{' *' if field in required else ''}</td>"
            f"<td>{_describe(spec)}</td><td>{html.escape(spec.get('description', ''))}</td></tr>"
            for field, spec in schema.get("properties", {}).items()
        )
        parts.append(f'<h3 id="schema-{html.escape(name)}">{html.escape(name)}</h3>'
                     f"<p>{html.escape(schema.get('description', ''))}</p>"
                     f"<table><tr><th>field</th><th>type</th><th></th></tr>{rows}</table>")
    style = ("body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}"
             "section{border-top:1px solid #ddd;padding:.3em 0}.m{display:inline-block;min-width:4.5em;"
             "font-weight:700;color:#06c}.auth{font-size:.7em;background:#eee;padding:.1em .4em;border-radius:3px}"
             "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(document['info']['title'])}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


def _describe(spec: dict) -> str:
    if "$ref" in spec:
        return _schema_text(spec, {})
    if "anyOf" in spec:
        return " or ".join(_describe(option) for option in spec["anyOf"])
    if spec.get("type") == "array":
        return "array of " + _describe(spec.get("items", {}))
    text = str(spec.get("type", "any"))
    if "format" in spec:
        text += f" ({spec['format']})"
    if "enum" in spec:
        text += ": " + ", ".join(map(str, spec["enum"]))
    return html.escape(text)


OPENAPI = web.AppKey("openapi", dict)


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=render_page(request.app[OPENAPI]), content_type="text/html")


def add_routes(app: web.Application, apis: list[Api]) -> None:
    app[OPENAPI] = build(apis)
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_get("/api/docs", docs_page)
