"""/sync/… — Kommo accounts and role sync; admin users only.

One module serves the eight routes; the template deploys each as its own function.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.auth.principals import Role
from ponte.domain.runs import RunStatus
from ponte.http import kommo as rows
from ponte.http.api import create_app, json_body, json_response, lambda_handler, principal, user
from ponte.http.envelopes import Flavor
from ponte.http.params import DIGITS, is_integer_text
from ponte.http.responses import kommo as out
from ponte.services import kommo_accounts
from ponte.services.role_sync import api as role_sync
from ponte.services.role_sync.model import RoleSyncRequest

app = create_app(Flavor.KOMMO)
admins = [user(Role.ADMIN)]


def _body() -> Any:
    return json_body(app, default={})


def _account_id(raw: str) -> int:
    if not is_integer_text(raw):
        raise errors.bad_request("O id da conta deve ser um número inteiro")
    return int(raw)


def _tenant() -> str:
    return principal(app).tenant_id


@app.get("/sync/accounts", middlewares=admins)
def list_accounts() -> Any:
    accounts = kommo_accounts.listing(_tenant())
    return json_response(200, out.KommoAccountList(data=[rows.account(a) for a in accounts]))


@app.post("/sync/accounts", middlewares=admins)
def create_account() -> Any:
    new = kommo_accounts.parse(kommo_accounts.NewAccount, _body())
    account = kommo_accounts.create(_tenant(), new)
    return json_response(201, out.KommoAccountAnswer(data=rows.account(account)))


@app.patch("/sync/accounts/<account_id>", middlewares=admins)
def change_account(account_id: str) -> Any:
    change = kommo_accounts.parse(kommo_accounts.AccountChange, _body())
    account = kommo_accounts.change(_tenant(), _account_id(account_id), change)
    return json_response(200, out.KommoAccountAnswer(data=rows.account(account)))


@app.delete("/sync/accounts/<account_id>", middlewares=admins)
def delete_account(account_id: str) -> Any:
    kommo_accounts.remove(_tenant(), _account_id(account_id))
    return json_response(200, out.KommoMessage(message="Conta removida"))


@app.post("/sync/roles", middlewares=admins)
def sync_roles() -> Any:
    request = kommo_accounts.parse(RoleSyncRequest, _body())
    wait = (app.current_event.query_string_parameters or {}).get("wait", "") == "true"
    tenant = _tenant()
    started = role_sync.start(tenant, request, wait=wait)
    run = started.run
    if run is None:
        message = "Sincronização de roles iniciada"
        answer = out.RoleSyncStarted(
            message=message, sync_id=started.sync_id, status_url="/sync/status"
        )
        return json_response(202, answer)
    if run.status is RunStatus.FAILED:
        return json_response(500, {"success": False, "error": run.error or "Erro"})
    results = role_sync.results(tenant, run)
    done = out.RoleSyncDone(message=role_sync.DONE, sync_id=started.sync_id, results=results)
    return json_response(200, done)


@app.get("/sync/status", middlewares=admins)
def sync_status() -> Any:
    return json_response(200, out.RoleSyncStatus(data=role_sync.status(_tenant())))


@app.post("/sync/stop", middlewares=admins)
def sync_stop() -> Any:
    stopped = role_sync.stop(_tenant())
    return json_response(200, out.RoleSyncStopped(message=role_sync.STOPPED, data=stopped))


class LogParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200), DIGITS] = 50


@app.get("/sync/logs", middlewares=admins)
def sync_logs() -> Any:
    raw = app.current_event.query_string_parameters or {}
    limit = kommo_accounts.parse(LogParams, raw).limit
    return json_response(200, out.RoleSyncLogs(data=role_sync.logs(_tenant(), limit)))


handler = lambda_handler(app)
