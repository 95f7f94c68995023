"""/admin/integrations/movidesk/… — Movidesk ticket sync: the admin page, its
settings, manual syncs, runs and tickets. Admin users only (the page signs them in).

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.auth.principals import Role
from ponte.http import movidesk as rows
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
from ponte.http.responses import movidesk as out
from ponte.services import movidesk
from ponte.services.pulls.answers import Fit

app = create_app(Flavor.MOVIDESK)
BASE = "/admin/integrations/movidesk"
admins = [user(Role.ADMIN)]


class RunParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: Page = 1
    limit: Annotated[int, Field(ge=1, le=100), DIGITS] = 20


class TicketParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, Field(max_length=100)] = ""
    status: Annotated[str, Field(max_length=40)] = ""
    updated_from: date | None = None
    updated_to: date | None = None
    limit: Annotated[int, Field(ge=1, le=100), DIGITS] = 50
    cursor: Annotated[str, Field(max_length=2048)] = ""


def _query[M: BaseModel](model: type[M]) -> M:
    return parse_query(app, model, refusal=errors.invalid_fields)


def _body[M: BaseModel](model: type[M]) -> M:
    return parse_body(app, model, refusal=errors.invalid_fields)


def _tenant() -> str:
    return principal(app).tenant_id


@app.get(f"{BASE}/tickets")
def page() -> Any:
    return rows.page()


@app.get(f"{BASE}/api/settings", middlewares=admins)
def get_settings() -> Any:
    data = rows.settings(movidesk.settings(_tenant()))
    return json_response(200, out.SettingsAnswer(data=data))


@app.put(f"{BASE}/api/settings", middlewares=admins)
def put_settings() -> Any:
    saved = movidesk.save_settings(_tenant(), _body(movidesk.SettingsChange))
    return json_response(200, out.SettingsAnswer(data=rows.settings(saved)))


@app.post(f"{BASE}/api/sync", middlewares=admins)
def sync() -> Any:
    tenant = _tenant()
    run = movidesk.start_manual(tenant, _body(movidesk.ManualSync))
    wait = (app.current_event.query_string_parameters or {}).get("wait", "") == "true"
    finished = movidesk.wait_for(tenant, run.id) if wait else None
    if finished is not None:
        return json_response(200, out.MovideskRunAnswer(data=rows.run(finished)))
    data = out.StartedRun(runId=run.id, status=run.status, statusUrl=f"{BASE}/api/runs/{run.id}")
    return json_response(202, out.MovideskAccepted(message="Sincronização iniciada", data=data))


@app.get(f"{BASE}/api/runs", middlewares=admins)
def runs() -> Any:
    params = _query(RunParams)
    found, total = movidesk.runs(_tenant(), page=params.page, limit=params.limit)
    meta = PageMeta.of(total, params.page, params.limit)
    return json_response(200, out.MovideskRunList(data=[rows.run(r) for r in found], meta=meta))


@app.get(f"{BASE}/api/runs/<run_id>", middlewares=admins)
def run(run_id: str) -> Any:
    return json_response(200, out.MovideskRunAnswer(data=rows.run(movidesk.run(_tenant(), run_id))))


@app.get(f"{BASE}/api/tickets", middlewares=admins)
def tickets() -> Any:
    params = _query(TicketParams)
    query = movidesk.TicketQuery(
        q=params.q, status=params.status, updated_from=params.updated_from,
        updated_to=params.updated_to, limit=params.limit, cursor=params.cursor,
    )  # fmt: skip
    fit = Fit(ANSWER_BUDGET, lambda t, link: answer_bytes(rows.ticket(t, link)))
    found = movidesk.tickets(_tenant(), query, fit)
    data = [rows.ticket(t, found.links.get(t.vendor_id)) for t in found.records]
    meta = CursorMeta(limit=params.limit, nextCursor=found.next_cursor or None)
    return json_response(200, out.TicketPage(data=data, meta=meta))


@app.get(f"{BASE}/api/tickets/<ticket_id>", middlewares=admins)
def ticket(ticket_id: str) -> Any:
    found = movidesk.ticket(_tenant(), ticket_id)
    return json_response(200, out.TicketAnswer(data=rows.ticket_detail(found)))


handler = lambda_handler(app)
