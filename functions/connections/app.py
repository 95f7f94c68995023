"""/api/v1/sync/connections… — SaaS connections and their manual syncs; admin users only.

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.auth.principals import Role
from ponte.domain.connectors import RunStatus, Trigger
from ponte.http import connectors as rows
from ponte.http.api import (
    ANSWER_BUDGET,
    answer_bytes,
    create_app,
    json_response,
    lambda_handler,
    parse_body,
    parse_query,
    principal,
    user,
)
from ponte.http.envelopes import Flavor
from ponte.http.params import DIGITS, Page
from ponte.http.responses import CursorMeta, PageMeta
from ponte.http.responses import connectors as out
from ponte.services import connections
from ponte.services.pulls import starting, views
from ponte.services.pulls.answers import Fit

app = create_app(Flavor.CONNECTORS)
BASE = "/api/v1/sync/connections"
admins = [user(Role.ADMIN)]


class ListParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: Page = 1
    limit: Annotated[int, Field(ge=1, le=100), DIGITS] = 10
    platform: Annotated[str, Field(max_length=40)] = ""
    enabled: bool | None = None


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fullSync: bool = False


class RecordParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stream: Annotated[str, Field(min_length=1, max_length=40)]
    updatedSince: datetime | None = None
    cursor: Annotated[str, Field(max_length=2048)] = ""
    limit: Annotated[int, Field(ge=1, le=100), DIGITS] = 50
    includeDeleted: Annotated[
        bool, Field(description="also the records the vendor reported deleted (with deletedAt)")
    ] = False


def _query[M: BaseModel](model: type[M]) -> M:
    return parse_query(app, model, refusal=errors.invalid_fields)


def _body[M: BaseModel](model: type[M], **default: Any) -> M:
    return parse_body(app, model, refusal=errors.invalid_fields, **default)


def _tenant() -> str:
    return principal(app).tenant_id


@app.get(BASE, middlewares=admins)
def list_connections() -> Any:
    params = _query(ListParams)
    found = connections.listing(_tenant(), platform=params.platform, enabled=params.enabled)
    start = (params.page - 1) * params.limit
    data = [rows.connection(c) for c in found[start : start + params.limit]]
    meta = PageMeta.of(len(found), params.page, params.limit)
    return json_response(200, out.ConnectionList(data=data, meta=meta))


@app.post(BASE, middlewares=admins)
def create_connection() -> Any:
    created = connections.create(_tenant(), _body(connections.NewConnection))
    return json_response(201, out.ConnectionCreated(data=rows.created_connection(created)))


@app.get(f"{BASE}/<connection_id>", middlewares=admins)
def get_connection(connection_id: str) -> Any:
    found = connections.get(_tenant(), connection_id)
    return json_response(200, out.ConnectionAnswer(data=rows.connection(found)))


@app.patch(f"{BASE}/<connection_id>", middlewares=admins)
def change_connection(connection_id: str) -> Any:
    changed = connections.change(_tenant(), connection_id, _body(connections.ConnectionChange))
    return json_response(200, out.ConnectionAnswer(data=rows.connection(changed)))


@app.delete(f"{BASE}/<connection_id>", middlewares=admins)
def delete_connection(connection_id: str) -> Any:
    purge = (app.current_event.query_string_parameters or {}).get("purge", "") == "true"
    removed = connections.remove(_tenant(), connection_id, purge=purge)
    purged = out.Purged(**removed) if purge else None
    data = out.Deleted(id=connection_id, deleted=True, purged=purged)
    return json_response(200, out.ConnectionDeleted(data=data))


@app.post(f"{BASE}/<connection_id>/sync", middlewares=admins)
def sync_connection(connection_id: str) -> Any:
    body = _body(SyncBody, default={})
    run = starting.start(_tenant(), connection_id, full=body.fullSync, trigger=Trigger.MANUAL)
    data = out.SyncJob(runId=run.id, status=RunStatus.IN_PROGRESS, message="Sync job started")
    return json_response(200, out.SyncStarted(data=data))


@app.get(f"{BASE}/<connection_id>/records", middlewares=admins)
def list_records(connection_id: str) -> Any:
    params = _query(RecordParams)
    page = views.records(
        _tenant(),
        connection_id,
        stream=params.stream,
        updated_since=params.updatedSince,
        cursor=params.cursor,
        limit=params.limit,
        include_deleted=params.includeDeleted,
        fit=Fit(ANSWER_BUDGET, lambda r, link: answer_bytes(rows.record(params.stream, r, link))),
    )
    data = [rows.record(params.stream, r, page.links.get(r.vendor_id)) for r in page.records]
    meta = CursorMeta(limit=params.limit, nextCursor=page.next_cursor)
    return json_response(200, out.RecordPage(data=data, meta=meta))


handler = lambda_handler(app)
