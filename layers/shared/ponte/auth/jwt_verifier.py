"""JWT verification against the issuer's JWKS (RS256/ES256 only).

Refused: ``alg: none``, HMAC (a public key used as a shared secret), an algorithm the key's
type cannot sign with, a bad signature, an unknown ``kid``, a wrong issuer or audience, an
expired or not-yet-valid token, a subject that is empty or not a text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from jwt import PyJWK

from ponte import tls
from ponte.settings import JwtSettings

Fetch = Callable[[str], Mapping[str, Any]]

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
# An unknown kid may mean the issuer rotated keys; refetch, but not more often than this,
# so random kids cannot turn the authorizer into a JWKS flooder.
_MIN_REFRESH_SECONDS = 30


class InvalidToken(Exception):
    """The token is not acceptable; the message says why (for logs, never for clients)."""


def fetch_jwks(url: str) -> Mapping[str, Any]:
    import httpx

    response = httpx.get(url, timeout=5.0, follow_redirects=False, verify=tls.context())
    response.raise_for_status()
    body: Mapping[str, Any] = response.json()
    return body


class JwksCache:
    def __init__(
        self,
        url: str,
        ttl_seconds: int,
        fetch: Fetch = fetch_jwks,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._ttl = ttl_seconds
        self._fetch = fetch
        self._monotonic = monotonic
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK:
        with self._lock:
            now = self._monotonic()
            stale = self._fetched_at is None or now - self._fetched_at > self._ttl
            may_refresh = self._fetched_at is None or now - self._fetched_at > _MIN_REFRESH_SECONDS
            if stale or (kid not in self._keys and may_refresh):
                self._refresh(now)
            found = self._keys.get(kid)
        if found is None:
            raise InvalidToken(f"unknown kid {kid!r}")
        return found

    def _refresh(self, now: float) -> None:
        if not self._url:
            raise InvalidToken("no JWKS configured")
        try:
            document = self._fetch(self._url)
        except Exception as exc:
            if self._keys:  # keep serving the keys we have while the issuer is unreachable
                return
            raise InvalidToken(f"JWKS unavailable: {type(exc).__name__}") from exc
        keys: dict[str, PyJWK] = {}
        for raw in document.get("keys", []):
            kid = raw.get("kid")
            if not kid or raw.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = PyJWK(raw)
            except jwt.PyJWTError:
                continue  # a key type or algorithm we do not support
        self._keys, self._fetched_at = keys, now


class JwtVerifier:
    def __init__(self, settings: JwtSettings, jwks: JwksCache) -> None:
        self._settings = settings
        self._jwks = jwks

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        alg = header.get("alg")
        if alg not in self._settings.algorithms:
            raise InvalidToken(f"algorithm {alg!r} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("missing kid")
        jwk = self._jwks.key(kid)
        if jwk.key_type != _KEY_TYPES.get(str(alg)[:2]):
            raise InvalidToken(f"key {kid!r} of type {jwk.key_type} cannot verify {alg}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=jwk.key,
                algorithms=[str(alg)],
                issuer=self._settings.issuer or None,
                leeway=self._settings.leeway_seconds,
                options={
                    "require": ["exp", "iat", "sub", "iss"],
                    "verify_aud": False,  # checked below: Cognito access tokens use client_id
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            # "require" only checks that the claim is there: an empty subject names no one,
            # and every such caller would share one rate-limit key.
            raise InvalidToken("empty subject")
        self._check_audience(claims)
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        expected = set(self._settings.audience)
        if not expected:
            return
        aud = claims.get("aud") or claims.get("client_id")
        presented = {aud} if isinstance(aud, str) else set(aud or [])
        if not presented & expected:
            raise InvalidToken("audience not accepted")
