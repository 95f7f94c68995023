"""Full sync API (scope write/full): start inline or from an upload, status, history, stop.

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ponte import errors
from ponte.domain.tenancy import Scope
from ponte.http import full_sync as rows
from ponte.http.api import (
    api_client,
    create_app,
    json_body,
    json_response,
    lambda_handler,
    principal,
    validated,
)
from ponte.http.envelopes import Flavor
from ponte.http.responses import full_sync as out
from ponte.services.full_sync import api as full_sync
from ponte.services.full_sync.model import Options

app = create_app(Flavor.ERP)
BASE = "/api/integration/v1/full-sync"
MAX_INLINE_BYTES = 5 * 1024 * 1024
writers = [api_client(Scope.WRITE)]
readers = [api_client(Scope.READ)]


class StartUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    options: Options = Options()


def _body(default: Any) -> Any:
    return json_body(
        app,
        default=default,
        max_bytes=MAX_INLINE_BYTES,
        too_large="Pacote acima de 5 MB: use POST /api/integration/v1/full-sync/uploads",
    )


def _accepted(started: full_sync.Started) -> Any:
    data = out.RunStarted(
        run_id=started.run_id, status=started.status, status_url=f"{BASE}/{started.run_id}"
    )
    message = "Sincronização completa iniciada."
    return json_response(202, out.FullSyncAccepted(message=message, data=data))


@app.post(BASE, middlewares=writers)
def start_inline() -> Any:
    bundle = _body(None)
    if not isinstance(bundle, dict):
        raise errors.validation_error({"body": ["Envie um objeto JSON com as entidades"]})
    options = validated(Options, bundle.pop("options", None) or {}, prefix="options.")
    return _accepted(full_sync.start_inline(principal(app).tenant_id, bundle, options))


@app.post(f"{BASE}/uploads", middlewares=writers)
def create_upload() -> Any:
    upload = full_sync.create_upload(principal(app).tenant_id)
    data = out.Upload(
        upload_id=upload.upload_id,
        upload_url=upload.url,
        expires_in=upload.expires_in,
        start_url=f"{BASE}/uploads/{upload.upload_id}/start",
    )
    message = "Envie o pacote JSON (opcionalmente gzip) com PUT para upload_url."
    return json_response(201, out.UploadCreated(message=message, data=data))


@app.post(f"{BASE}/uploads/<upload_id>/start", middlewares=writers)
def start_upload(upload_id: str) -> Any:
    body = validated(StartUpload, _body({}) or {})
    started = full_sync.start_upload(principal(app).tenant_id, upload_id, body.options)
    return _accepted(started)


@app.get(BASE, middlewares=readers)
def list_runs() -> Any:
    data = [rows.run(r) for r in full_sync.history(principal(app).tenant_id)]
    return json_response(200, out.FullSyncHistory(data=data))


@app.get(f"{BASE}/<run_id>", middlewares=readers)
def get_run(run_id: str) -> Any:
    tenant_id = principal(app).tenant_id
    run = full_sync.require_run(tenant_id, run_id)
    data = rows.run_detail(run, full_sync.first_errors(tenant_id, run_id))
    return json_response(200, out.FullSyncRunAnswer(data=data))


@app.post(f"{BASE}/<run_id>/stop", middlewares=writers)
def stop_run(run_id: str) -> Any:
    tenant_id = principal(app).tenant_id
    run = full_sync.stop(tenant_id, run_id)
    data = rows.run_detail(run, full_sync.first_errors(tenant_id, run_id))
    message = "Sincronização completa interrompida."
    return json_response(200, out.FullSyncStopped(message=message, data=data))


handler = lambda_handler(app)
