"""Full sync API (scope write/full): start inline or from an upload, status, history, stop.

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ponte import errors
from ponte.adapters import bundles
from ponte.domain.tenancy import Scope
from ponte.http.api import api_client, create_app, json_response, lambda_handler, principal
from ponte.http.envelopes import Flavor
from ponte.services import full_sync
from ponte.validation import field_errors

app = create_app(Flavor.ERP)
BASE = "/api/integration/v1/full-sync"
MAX_INLINE_BYTES = 5 * 1024 * 1024
writers = [api_client(Scope.WRITE)]
readers = [api_client(Scope.READ)]


class StartUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    options: full_sync.Options = full_sync.Options()


def _body() -> Any:
    raw = app.current_event.decoded_body or ""
    if len(raw.encode()) > MAX_INLINE_BYTES:
        raise errors.payload_too_large(
            "Pacote acima de 5 MB: use POST /api/integration/v1/full-sync/uploads"
        )
    try:
        return json.loads(raw or "null")
    except json.JSONDecodeError as exc:
        raise errors.bad_request("JSON inválido no corpo da requisição") from exc


def _options(raw: Any) -> full_sync.Options:
    try:
        return full_sync.Options.model_validate(raw or {})
    except ValidationError as exc:
        raise errors.validation_error(
            {f"options.{k}": v for k, v in field_errors(exc.errors()).items()}
        ) from exc


def _accepted(started: full_sync.Started) -> Any:
    return json_response(
        202,
        {
            "success": True,
            "message": "Sincronização completa iniciada.",
            "data": {
                "run_id": started.run_id,
                "status": started.status,
                "status_url": f"{BASE}/{started.run_id}",
            },
        },
    )


@app.post(BASE, middlewares=writers)
def start_inline() -> Any:
    tenant_id = principal(app).tenant_id
    bundle = _body()
    if not isinstance(bundle, dict):
        raise errors.validation_error({"body": ["Envie um objeto JSON com as entidades"]})
    options = _options(bundle.pop("options", None))
    key = bundles.bundle_key(tenant_id, uuid.uuid4().hex)
    bundles.put_json(key, bundle)
    return _accepted(full_sync.start(tenant_id, key, options, source="inline"))


@app.post(f"{BASE}/uploads", middlewares=writers)
def create_upload() -> Any:
    tenant_id = principal(app).tenant_id
    upload_id = uuid.uuid4().hex
    return json_response(
        201,
        {
            "success": True,
            "message": "Envie o pacote JSON (opcionalmente gzip) com PUT para upload_url.",
            "data": {
                "upload_id": upload_id,
                "upload_url": bundles.presign_upload(tenant_id, upload_id),
                "expires_in": bundles.UPLOAD_TTL_SECONDS,
                "start_url": f"{BASE}/uploads/{upload_id}/start",
            },
        },
    )


@app.post(f"{BASE}/uploads/<upload_id>/start", middlewares=writers)
def start_upload(upload_id: str) -> Any:
    tenant_id = principal(app).tenant_id
    raw = _body() or {}
    try:
        body = StartUpload.model_validate(raw)
    except ValidationError as exc:
        raise errors.validation_error(field_errors(exc.errors())) from exc
    key = bundles.upload_key(tenant_id, upload_id)
    if not bundles.exists(key):
        raise errors.not_found("Upload não encontrado: envie o pacote para upload_url primeiro")
    return _accepted(full_sync.start(tenant_id, key, body.options, source="upload"))


@app.get(BASE, middlewares=readers)
def list_runs() -> Any:
    return json_response(
        200, {"success": True, "data": full_sync.history(principal(app).tenant_id)}
    )


@app.get(f"{BASE}/<run_id>", middlewares=readers)
def get_run(run_id: str) -> Any:
    tenant_id = principal(app).tenant_id
    data = full_sync.describe(tenant_id, full_sync.require_run(tenant_id, run_id))
    return json_response(200, {"success": True, "data": data})


@app.post(f"{BASE}/<run_id>/stop", middlewares=writers)
def stop_run(run_id: str) -> Any:
    data = full_sync.stop(principal(app).tenant_id, run_id)
    return json_response(
        200, {"success": True, "message": "Sincronização completa interrompida.", "data": data}
    )


handler = lambda_handler(app)
