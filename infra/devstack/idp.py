"""The local stack's identity provider: one RSA key, its JWKS, and tokens signed with it.

The key is kept in ``.ponte/local-idp.pem`` (git-ignored) so tokens survive a restart.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "ponte-local"
ISSUER_PATH = "/local-idp"
JWKS_PATH = f"{ISSUER_PATH}/.well-known/jwks.json"


class LocalIdentityProvider:
    def __init__(self, key_path: Path, issuer: str, audience: str = AUDIENCE) -> None:
        self.issuer = issuer
        self.audience = audience
        if key_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} is not an RSA key")
            self._key = loaded
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key_path.parent.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(
                self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.kid = f"local-{public['n'][:16]}"
        self._jwk = {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def jwks_json(self) -> str:
        return json.dumps(self.jwks())

    def mint(
        self,
        tenant_id: str,
        role: str,
        *,
        subject: str = "",
        ttl_seconds: int = 3600,
        claims: dict[str, Any] | None = None,
        now: int | None = None,
    ) -> str:
        issued = int(time.time()) if now is None else now
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or f"{role}-{uuid.uuid4().hex[:8]}",
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "custom:tenant_id": tenant_id,
            "custom:role": role,
            **(claims or {}),
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})
