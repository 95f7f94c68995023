"""The template's routes as a client sees them: which credential each takes and which
error envelope its API answers in (seeds 000-004)."""

from __future__ import annotations

import re
from typing import Any

from ponte.http.envelopes import Flavor

ERP_PREFIX = "/api/integration/"


def flavor_of(path: str) -> Flavor:
    if path.startswith("/api/hierarquia/"):
        return Flavor.HIERARCHY
    if path.startswith("/sync/"):
        return Flavor.KOMMO
    if path.startswith(("/api/v1/sync/", "/api/v1/people", "/admin/people")):
        return Flavor.CONNECTORS
    if path.startswith("/admin/integrations/movidesk/"):
        return Flavor.MOVIDESK
    return Flavor.ERP


def takes_api_key(path: str) -> bool:
    """ERP routes take an API client's key; every other route a user's JWT."""
    return path.startswith(ERP_PREFIX)


def concrete(path: str, value: str = "x") -> str:
    """The path with each {parameter} filled in."""
    return re.sub(r"\{[^}]+\}", value, path)


def is_envelope(flavor: Flavor, body: Any) -> bool:
    """Whether ``body`` is an error in the API's documented envelope."""
    if not isinstance(body, dict):
        return False
    if flavor is Flavor.HIERARCHY:
        return {"error", "message", "details", "timestamp"} <= body.keys()
    if body.get("success") is not False:
        return False
    if flavor is Flavor.KOMMO:
        return isinstance(body.get("error"), str)
    if flavor in (Flavor.CONNECTORS, Flavor.MOVIDESK):
        return isinstance(body.get("code"), str) and isinstance(body.get("details"), list)
    return isinstance(body.get("message"), str) and isinstance(body.get("errors"), dict)
