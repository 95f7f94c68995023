"""POST /api/integration/v1/{entity}/sync — API client with write (or full) scope.

One module serves the seven entities; the template deploys each route as its own function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ponte.domain.academic import Entity
from ponte.domain.tenancy import Scope
from ponte.http.api import api_client, create_app, json_body, lambda_handler, principal
from ponte.http.envelopes import Flavor
from ponte.http.erp import sync_records, sync_response
from ponte.services.erp_sync import SyncService
from ponte.services.tenancy import tenant_setting

app = create_app(Flavor.ERP)
# A batch holds at most 100 records (the API's documented limit); 4 MB leaves 40 KB for each.
MAX_BATCH_BYTES = 4 << 20


def _sync(entity: Entity) -> Any:
    tenant_id = principal(app).tenant_id
    body = json_body(
        app,
        max_bytes=MAX_BATCH_BYTES,
        too_large="Lote acima de 4 MB: envie lotes de até 100 registros por requisição",
    )
    records = sync_records(entity, body)
    service = SyncService(
        tenant_id, strict_cpf=lambda: bool(tenant_setting(tenant_id, "strict_cpf_check_digits"))
    )
    return sync_response(service.sync(entity, records))


def _route(entity: Entity) -> Callable[[], Any]:
    def sync() -> Any:
        return _sync(entity)

    sync.__name__ = f"sync_{entity.value}"
    return sync


for _entity in Entity:
    app.post(f"/api/integration/v1/{_entity.value}/sync", middlewares=[api_client(Scope.WRITE)])(
        _route(_entity)
    )

handler = lambda_handler(app)
