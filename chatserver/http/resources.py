"""The declarative resource registry: plain tables over HTTP from one generic implementation.

A `Resource` declares a table's columns once, with their wire types and what a client
may do with each. `mount` turns the declaration into pydantic models (the answer, the
create and update bodies, the list query and page) and registers list, get, create,
update and delete on an `Api` route table, so they are served and appear in the
OpenAPI document like any hand-written endpoint. Permissions come from the resource's
policy (chatserver.actions.policies); resources with rules of their own add endpoints
next to the generic ones and reuse the mounted models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, get_args, get_origin
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, create_model
from pydantic.alias_generators import to_camel

from chatserver.actions import resources
from chatserver.actions.policies import Policy
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import text
from chatserver.schemas.pagination import Page, PageQuery

ALL_OPS = frozenset({"list", "get", "create", "update", "delete"})
READ_ONLY = frozenset({"list", "get"})


@dataclass(frozen=True)
class Col:
    """One column as the wire sees it."""

    name: str                 # snake_case column; camelCase on the wire
    type: Any                 # the wire type (constrained types welcome)
    nullable: bool = False    # the column may be NULL
    create: bool = True       # a client may set it when creating
    update: bool = True       # a client may change it
    required: bool = False    # must be given when creating
    default: Any = None       # the database default, shown for optional non-null fields
    filter: bool = False      # ?name= equality filter; only for indexed columns
    read: bool = True         # part of the answer
    description: str | None = None


def server(name: str, type_: Any, *, nullable: bool = False, filter: bool = False,
           description: str | None = None) -> Col:
    """A column only the server writes."""
    return Col(name, type_, nullable=nullable, create=False, update=False, filter=filter,
               description=description)


@dataclass(frozen=True)
class Resource:
    path: str                     # plural kebab-case noun: "job-applications"
    model: str                    # schema name: "JobApplication"
    table: str
    columns: tuple[Col, ...]
    policy: Policy
    tag: str
    name: str = ""                # "job application"; from the path when empty
    key: str = "id"
    key_type: type = UUID
    order: str = "created_at"
    order_type: type = datetime
    search: tuple[str, ...] = ()  # columns behind ?q= (an index on the same expression)
    ops: frozenset[str] = ALL_OPS
    touch: str | None = None      # column set to now() on update
    on_create: resources.CreateHook | None = None
    on_update: resources.UpdateHook | None = None
    description: str | None = None
    out: type[WireModel] | None = None   # a hand-written answer model, when actions need it too
    constraint_fields: Mapping[str, str] = field(default_factory=dict)  # CHECK name -> its column
    from_request: Mapping[str, str] = field(default_factory=dict)  # column -> "ip" or "user_agent"

    @property
    def singular(self) -> str:
        return self.name or self.path.replace("-", " ").removesuffix("s")


@dataclass
class Mounted:
    """A mounted resource: its models and rules, for endpoints that build on it."""

    resource: Resource
    rules: resources.Rules
    out: type[WireModel]
    page: type[Page]
    query: type[PageQuery]
    create_in: type[InputModel] | None
    update_in: type[InputModel] | None
    filters: tuple[str, ...] = field(default_factory=tuple)

    def render(self, row: Mapping[str, Any]) -> WireModel:
        return self.out.from_row(row)

    def render_page(self, window: tuple[Sequence, str | None]) -> Page:
        return self.page.of(window, self.render)


def _answer_type(col: Col) -> Any:
    """The type in answers: the declared one without its input constraints, so a row
    written before a limit was tightened can still be shown."""
    kind = col.type
    if get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    if kind in (datetime, AwareDatetime):
        kind = Timestamp
    return kind | None if col.nullable else kind


def _no_default_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _out_model(res: Resource) -> type[WireModel]:
    if res.out is not None:
        return res.out
    fields = {col.name: (_answer_type(col), Field(description=col.description)) for col in res.columns if col.read}
    return create_model(res.model, __base__=WireModel, __doc__=res.description or f"A {res.singular}.",
                        __module__=__name__, **fields)


def create_body(res: Resource) -> type[InputModel]:
    """The create body of a resource, for a hand-written create endpoint."""
    fields: dict[str, Any] = {}
    for col in res.columns:
        if not col.create:
            continue
        if col.required:
            fields[col.name] = (col.type, Field(description=col.description))
        elif col.nullable:
            fields[col.name] = (col.type | None, Field(None, description=col.description))
        elif col.default is None:
            # Absent means the database default; null is refused because the column cannot hold it.
            fields[col.name] = (col.type, Field(None, description=col.description,
                                                json_schema_extra=_no_default_in_schema))
        else:
            fields[col.name] = (col.type, Field(col.default, description=col.description))
    return create_model(res.model + "Create", __base__=InputModel, __module__=__name__,
                        __doc__=f"A new {res.singular}.", **fields)


def _update_model(res: Resource) -> type[InputModel]:
    fields: dict[str, Any] = {}
    for col in res.columns:
        if not col.update:
            continue
        if col.nullable:
            fields[col.name] = (col.type | None, Field(None, description=col.description))
        else:
            # Absent means unchanged; null is refused because the column cannot hold it.
            fields[col.name] = (col.type, Field(None, description=col.description,
                                                json_schema_extra=_no_default_in_schema))
    return create_model(res.model + "Update", __base__=InputModel, __module__=__name__,
                        __doc__=f"Changes to a {res.singular}; absent fields stay as they are.", **fields)


def _query_model(res: Resource) -> type[PageQuery]:
    fields: dict[str, Any] = {}
    for col in res.columns:
        if col.filter:
            fields[col.name] = (col.type | None, Field(None, description=f"Only rows with this {to_camel(col.name)}."))
    if res.search:
        fields["q"] = (text(200) | None, Field(None, description="Words to search for."))
    return create_model(res.model + "Query", __base__=PageQuery.sorted_by(res.order_type, res.key_type),
                        __module__=__name__, **fields)


def _page_model(res: Resource, out: type[BaseModel]) -> type[Page]:
    return create_model(res.model + "Page", __base__=Page[out], __module__=__name__,
                        __doc__=f"A page of {res.path.replace('-', ' ')}.")


def build(res: Resource) -> Mounted:
    """The models and rules of a resource, without routes."""
    read_columns = tuple(col.name for col in res.columns)
    rules = resources.Rules.of_table(res.singular, res.table, read_columns, key=res.key, order=res.order,
                                     search=res.search, touch=res.touch, policy=res.policy, on_create=res.on_create,
                                     on_update=res.on_update, constraint_fields=res.constraint_fields)
    out = _out_model(res)
    return Mounted(
        resource=res, rules=rules, out=out, page=_page_model(res, out), query=_query_model(res),
        create_in=create_body(res) if "create" in res.ops else None,
        update_in=_update_model(res) if "update" in res.ops else None,
        filters=tuple(col.name for col in res.columns if col.filter),
    )


def _request_values(ctx: Context, res: Resource) -> dict[str, Any]:
    """Columns the server fills from the request itself: where it came from, and with what."""
    sources = {"ip": ctx.client_ip, "user_agent": (ctx.header("User-Agent") or "")[:512] or None}
    return {column: sources[source] for column, source in res.from_request.items()}


def _named(handler: Any, verb: str, res: Resource) -> Any:
    handler.__name__ = handler.__qualname__ = f"{verb}_{res.path.replace('-', '_')}"
    return handler


def mount(api: Api, res: Resource) -> Mounted:
    """Register the resource's generic endpoints on `api`."""
    m = build(res)
    collection, item = f"/{res.path}", f"/{res.path}/{{id}}"
    key_types = {"id": res.key_type}
    tags = (res.tag,)

    async def list_handler(ctx: Context, query: PageQuery) -> Page:
        values = query.model_dump()
        filters = {name: values[name] for name in m.filters if values.get(name) is not None}
        return m.render_page(await resources.list_rows(ctx.svc, ctx.user, m.rules, query, filters=filters,
                                                       search=values.get("q")))

    async def get_handler(ctx: Context, id: Any) -> WireModel:
        return m.render(await resources.get_row(ctx.svc, ctx.user, m.rules, id))

    async def create_handler(ctx: Context, body: InputModel) -> WireModel:
        values = body.model_dump(exclude_unset=True) | _request_values(ctx, res)
        return m.render(await resources.create_row(ctx.svc, ctx.user, m.rules, values))

    async def update_handler(ctx: Context, id: Any, body: InputModel) -> WireModel:
        changes = body.model_dump(exclude_unset=True)
        return m.render(await resources.update_row(ctx.svc, ctx.user, m.rules, id, changes))

    async def delete_handler(ctx: Context, id: Any) -> Reply:
        await resources.delete_row(ctx.svc, ctx.user, m.rules, id)
        return Reply(None, status=204)

    plural = res.path.replace("-", " ")
    if "list" in res.ops:
        api.get(collection, summary=f"List {plural} you may see", tags=tags, query=m.query, response=m.page)(
            _named(list_handler, "list", res))
    if "create" in res.ops:
        api.post(collection, summary=f"Create a {res.singular}", tags=tags, body=m.create_in, response=m.out,
                 status=201, errors=("forbidden", "conflict"))(_named(create_handler, "create", res))
    if "get" in res.ops:
        api.get(item, summary=f"A {res.singular}", tags=tags, response=m.out, errors=("not_found",),
                path_types=key_types)(_named(get_handler, "get", res))
    if "update" in res.ops:
        api.patch(item, summary=f"Change a {res.singular}", tags=tags, body=m.update_in, response=m.out,
                  errors=("not_found", "forbidden", "conflict"), path_types=key_types)(
            _named(update_handler, "update", res))
    if "delete" in res.ops:
        api.delete(item, summary=f"Delete a {res.singular}", tags=tags, status=204,
                   errors=("not_found", "forbidden"), path_types=key_types)(_named(delete_handler, "delete", res))
    return m
