"""/api/v1/sync/run and /api/v1/sync/runs… — start a run, run history and logs; admins only.

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.auth.principals import Role
from ponte.clock import isoformat
from ponte.domain.connectors import Trigger
from ponte.http import connectors as rows
from ponte.http.api import (
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
from ponte.http.responses import PageMeta
from ponte.http.responses import connectors as out
from ponte.services.pulls import starting, views

app = create_app(Flavor.CONNECTORS)
admins = [user(Role.ADMIN)]


class StartRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connectionId: Annotated[str, Field(min_length=1, max_length=64)]
    fullSync: bool = False  # camelCase: the API's documented field names


class RunParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: Page = 1
    limit: Annotated[int, Field(ge=1, le=100), DIGITS] = 20
    connectionId: Annotated[str, Field(max_length=64)] = ""
    status: Annotated[str, Field(max_length=20)] = ""


def _tenant() -> str:
    return principal(app).tenant_id


@app.post("/api/v1/sync/run", middlewares=admins)
def start_run() -> Any:
    body = parse_body(app, StartRun, refusal=errors.invalid_fields)
    run = starting.start(_tenant(), body.connectionId, full=body.fullSync, trigger=Trigger.MANUAL)
    data = out.QueuedRun(
        runId=run.id,
        connectionId=run.connection_id,
        status=run.status,
        createdAt=isoformat(datetime.fromisoformat(run.created_at)),
    )
    return json_response(200, out.RunQueued(data=data))


@app.get("/api/v1/sync/runs", middlewares=admins)
def list_runs() -> Any:
    params = parse_query(app, RunParams, refusal=errors.invalid_fields)
    found, total = views.list_runs(
        _tenant(),
        page=params.page,
        limit=params.limit,
        connection_id=params.connectionId,
        status=params.status,
    )
    meta = PageMeta.of(total, params.page, params.limit)
    return json_response(200, out.RunList(data=[rows.run(r) for r in found], meta=meta))


@app.get("/api/v1/sync/runs/<run_id>", middlewares=admins)
def get_run(run_id: str) -> Any:
    data = rows.run_detail(views.get_run(_tenant(), run_id))
    return json_response(200, out.RunAnswer(data=data))


@app.get("/api/v1/sync/runs/<run_id>/logs", middlewares=admins)
def get_logs(run_id: str) -> Any:
    data = rows.run_logs(*views.run_log(_tenant(), run_id))
    return json_response(200, out.RunLogAnswer(data=data))


handler = lambda_handler(app)
