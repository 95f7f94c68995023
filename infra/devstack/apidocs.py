"""``/docs`` on the local stack: Swagger UI over each API's OpenAPI document, generated from
the handlers at start (``openapi``), with Swagger UI's assets from the swagger-ui-py package:
nothing is fetched from the internet."""

from __future__ import annotations

import functools
import html
import json
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

import swagger_ui

if TYPE_CHECKING:
    from openapi.spec import Api

from devstack.gateway import Answer, Extra, Gateway, Request

DOCS = "/docs"
ASSETS = Path(swagger_ui.__file__).parent / "static"
SHIPPED = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")


def document_path(name: str) -> str:
    return f"{DOCS}/openapi/{name}.json"


def _page(apis: list[Api]) -> str:
    urls = [{"url": document_path(api.name), "name": api.title} for api in apis]
    links = "\n".join(
        f'<li><a href="{document_path(api.name)}">{html.escape(api.title)}</a> — '
        f"{html.escape(api.description)}</li>"
        for api in apis
    )
    config = {
        "urls": urls,
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "persistAuthorization": True,
        "validatorUrl": None,  # Swagger UI would ask validator.swagger.io otherwise
    }
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ponte — API documents</title>
<link rel="stylesheet" href="{DOCS}/assets/swagger-ui.css">
<style>body {{ margin: 0; font-family: sans-serif; }} #apis {{ margin: 1rem 2rem; }}</style>
</head>
<body>
<nav id="apis"><h1>Ponte APIs</h1><ul>
{links}
</ul></nav>
<div id="swagger-ui"></div>
<script src="{DOCS}/assets/swagger-ui-bundle.js"></script>
<script src="{DOCS}/assets/swagger-ui-standalone-preset.js"></script>
<script>
const config = {json.dumps(config)};
window.ui = SwaggerUIBundle(Object.assign(config, {{
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
}}));
</script>
</body>
</html>
"""


def mount(gateway: Gateway) -> None:
    """Serve the page, the documents and the assets; called once the functions' environment
    is set (describing the routes imports the function modules)."""
    from openapi.apis import APIS

    gateway.extra[("GET", DOCS)] = _serve("text/html; charset=utf-8", _page(APIS).encode())
    for api in APIS:
        gateway.extra[("GET", document_path(api.name))] = _document(api)
    for name in SHIPPED:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        gateway.extra[("GET", f"{DOCS}/assets/{name}")] = _serve(kind, (ASSETS / name).read_bytes())


def _document(api: Api) -> Extra:
    """An API's document, described at its first request rather than at start: describing
    the eight APIs imports their functions, ~2 s that `make dev` no longer waits for."""
    from openapi.spec import document

    @functools.cache
    def body() -> bytes:  # two first requests at once may both build it: the same bytes
        return json.dumps(document(api), ensure_ascii=False).encode()

    def serve(request: Request) -> Answer:
        return _serve("application/json", body())(request)

    return serve


def _serve(kind: str, body: bytes) -> Extra:
    return lambda _request: Answer(200, {"content-type": kind, "cache-control": "no-cache"}, body)
