"""Ponte's pages for people (``*.html`` beside this module): each is one document with its
script inline, signed in by OIDC code + PKCE against the API's own issuer (``signin.js``,
shared, as ``base.css`` is), and served with a strict content security policy."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from ponte.settings import get_settings

HERE = Path(__file__).parent


@cache
def _template(name: str) -> str:
    page = (HERE / f"{name}.html").read_text(encoding="utf-8")
    for marker, shared in (("__PONTE_SIGNIN__", "signin.js"), ("__PONTE_BASE_CSS__", "base.css")):
        page = page.replace(marker, (HERE / shared).read_text(encoding="utf-8").rstrip("\n"))
    return page


def page(name: str, api: str) -> Response[str]:
    """The page ``name``, with where to sign in (the API's own issuer and client) and the
    API it calls."""
    jwt = get_settings().jwt
    config = {"issuer": jwt.issuer, "clientId": jwt.audience[0] if jwt.audience else "", "api": api}
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=_template(name).replace("__PONTE_CONFIG__", json.dumps(config)),
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "connect-src *; form-action *; frame-ancestors 'none'; base-uri 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
