"""Admin API for API clients (JWT admin of the tenant): create, list, revoke.

One module serves the three routes; the template deploys each route as its own function.
"""

from __future__ import annotations

from typing import Any

from ponte.auth.principals import Role
from ponte.http import admin as rows
from ponte.http.api import (
    create_app,
    json_response,
    lambda_handler,
    parse_body,
    principal,
    user,
)
from ponte.http.envelopes import Flavor
from ponte.http.responses import admin as out
from ponte.services import tenancy

app = create_app(Flavor.ERP)
admin_only = [user(Role.ADMIN)]


@app.post("/api/admin/api-clients", middlewares=admin_only)
def create_api_client() -> Any:
    body = parse_body(app, tenancy.NewApiClient)
    issued = tenancy.create_api_client(
        principal(app).tenant_id, body.name, body.scope, body.rate_limit
    )
    message = "Cliente de API criado. Guarde a chave: ela não será exibida novamente."
    return json_response(201, out.ApiClientCreated(message=message, data=rows.issued(issued)))


@app.get("/api/admin/api-clients", middlewares=admin_only)
def list_api_clients() -> Any:
    clients = tenancy.list_api_clients(principal(app).tenant_id)
    return json_response(200, out.ApiClientList(data=[rows.api_client(c) for c in clients]))


@app.delete("/api/admin/api-clients/<client_id>", middlewares=admin_only)
def revoke_api_client(client_id: str) -> Any:
    client = tenancy.revoke_api_client(principal(app).tenant_id, client_id)
    data = rows.api_client(client)
    return json_response(200, out.ApiClientRevoked(message="Cliente de API revogado", data=data))


handler = lambda_handler(app)
