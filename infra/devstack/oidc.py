"""The local identity provider's OpenID Connect side: discovery, an authorization endpoint
with a development sign-in page (pick a tenant and a role), and a token endpoint for the
authorization-code flow with PKCE (S256), as Cognito's hosted UI offers when deployed.

Codes are one-time, live 5 minutes, and are bound to the client, the redirect URI and the
code challenge. Redirects go only to the stack's own origin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from devstack.gateway import Answer, Gateway, Request
from devstack.idp import ISSUER_PATH, JWKS_PATH, LocalIdentityProvider

ROLES = ("admin", "coordinator", "professor", "guardian")
CODE_SECONDS = 300


@dataclass(frozen=True)
class _Grant:
    tenant: str
    role: str
    email: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


def _json(status: int, body: Any) -> Answer:
    return Answer(status, {"content-type": "application/json", "cache-control": "no-store"},
                  json.dumps(body).encode())  # fmt: skip


def _html(status: int, text: str) -> Answer:
    return Answer(status, {"content-type": "text/html; charset=utf-8"}, text.encode())


class LocalOidc:
    def __init__(self, idp: LocalIdentityProvider, base_url: str) -> None:
        self.idp = idp
        self.origin = base_url.rstrip("/")
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def mount(self, gateway: Gateway) -> None:
        jwks = self.idp.jwks_json().encode()
        gateway.extra[("GET", JWKS_PATH)] = lambda _request: Answer(
            200, {"content-type": "application/json"}, jwks
        )
        gateway.extra[("GET", f"{ISSUER_PATH}/.well-known/openid-configuration")] = (
            lambda _request: _json(200, self.discovery())
        )
        gateway.extra[("GET", f"{ISSUER_PATH}/authorize")] = self.sign_in_page
        gateway.extra[("POST", f"{ISSUER_PATH}/authorize")] = self.authorize
        gateway.extra[("POST", f"{ISSUER_PATH}/token")] = self.token

    def discovery(self) -> dict[str, Any]:
        issuer = self.idp.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def _request_error(self, query: dict[str, str]) -> str:
        if query.get("response_type") != "code":
            return "response_type must be code"
        if query.get("client_id") != self.idp.audience:
            return "unknown client_id"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE (S256) is required"
        target = urlsplit(query.get("redirect_uri", ""))
        if f"{target.scheme}://{target.netloc}" != self.origin:
            return "redirect_uri must be on the local stack"
        return ""

    def sign_in_page(self, request: Request) -> Answer:
        query = dict(parse_qsl(request.query))
        problem = self._request_error(query)
        if problem:
            return _html(400, f"<!doctype html><meta charset='utf-8'><p>{html.escape(problem)}</p>")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        roles = "".join(f'<option value="{r}">{r}</option>' for r in ROLES)
        return _html(
            200,
            f"""<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Entrar (ambiente local)</title>
<style>body{{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.75rem 0 .25rem}}
input,select,button{{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}}
button{{margin-top:1rem}}</style></head>
<body><h1>Entrar (ambiente local)</h1>
<p>Provedor de identidade de desenvolvimento: escolha o tenant e o papel.</p>
<form method="post" action="{ISSUER_PATH}/authorize">{hidden}
<label for="tenant">Tenant</label><input id="tenant" name="tenant" value="demo" required>
<label for="email">E-mail</label>
<input id="email" name="email" type="email" value="admin@demo.local">
<label for="role">Papel</label><select id="role" name="role">{roles}</select>
<button type="submit">Entrar</button></form></body></html>""",
        )

    def authorize(self, request: Request) -> Answer:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        problem = self._request_error(form)
        if problem or form.get("role") not in ROLES or not form.get("tenant"):
            return _html(400, "<!doctype html><meta charset='utf-8'><p>Pedido inválido</p>")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                form["tenant"], form["role"], form.get("email", ""), form["client_id"],
                form["redirect_uri"], form["code_challenge"], time.time() + CODE_SECONDS,
            )  # fmt: skip
        query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        return Answer(302, {"location": f"{form['redirect_uri']}?{urlencode(query)}"}, b"")

    def token(self, request: Request) -> Answer:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # one use only
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.expires < time.time()
            or grant.client_id != form.get("client_id")
            or grant.redirect_uri != form.get("redirect_uri")
            or challenge.decode().rstrip("=") != grant.challenge
        ):
            return _json(400, {"error": "invalid_grant"})
        claims = {"email": grant.email, "email_verified": bool(grant.email)} if grant.email else {}
        token = self.idp.mint(grant.tenant, grant.role, subject=f"{grant.role}-{grant.tenant}",
                              claims=claims)  # fmt: skip
        return _json(200, {"id_token": token, "access_token": token, "token_type": "Bearer",
                           "expires_in": 3600})  # fmt: skip
