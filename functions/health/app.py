"""GET /api/integration/v1/health — public; the table is really read on every call."""

from __future__ import annotations

from typing import Any

from ponte.http.api import create_app, json_response, lambda_handler
from ponte.http.envelopes import Flavor
from ponte.repository.health import probe_table
from ponte.services import health

app = create_app(Flavor.ERP)


@app.get("/api/integration/v1/health")
def get_health() -> Any:
    report = health.check({"database": probe_table})
    return json_response(200 if report.healthy else 503, report.body())


handler = lambda_handler(app)
