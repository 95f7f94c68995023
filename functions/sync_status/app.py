"""GET /api/integration/v1/sync-status — API client with read (or full) scope."""

from __future__ import annotations

from typing import Any

from ponte.domain.tenancy import Scope
from ponte.http.api import api_client, create_app, json_response, lambda_handler, principal
from ponte.http.envelopes import Flavor
from ponte.services import sync_status

app = create_app(Flavor.ERP)


@app.get("/api/integration/v1/sync-status", middlewares=[api_client(Scope.READ)])
def get_sync_status() -> Any:
    data = sync_status.describe(principal(app))
    return json_response(200, {"success": True, "data": data})


handler = lambda_handler(app)
