"""JwtVerifier and its JWKS cache, with keys made here and a JWKS document served in memory."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ponte.auth.jwt_verifier import InvalidToken, JwksCache, JwtVerifier
from ponte.settings import JwtSettings

ISSUER = "https://idp.example.com"


class Issuer:
    """An OIDC issuer: keys, its JWKS document, tokens; counts JWKS fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0

    def add_rsa(self, kid: str) -> Any:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def add_ec(self, kid: str) -> Any:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        return self.keys[kid]

    def jwks(self, _url: str) -> dict[str, Any]:
        self.fetches += 1
        docs = []
        for kid, key in self.keys.items():
            algo = (
                jwt.algorithms.RSAAlgorithm
                if isinstance(key, rsa.RSAPrivateKey)
                else (jwt.algorithms.ECAlgorithm)
            )
            docs.append({**algo.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"})
        return {"keys": docs}

    def token(self, kid: str, alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "sub": "u1", "iat": now, "exp": now + 60, "aud": "app", **claims}
        return jwt.encode(payload, self.keys[kid], algorithm=alg, headers={"kid": kid})


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Issuer:
    issuer = Issuer()
    issuer.add_rsa("k1")
    return issuer


def verifier(issuer: Issuer, monotonic: Monotonic | None = None, **settings: Any) -> JwtVerifier:
    config = JwtSettings(issuer=ISSUER, audience=("app",), jwks_url="https://idp/jwks", **settings)
    cache = JwksCache(config.jwks_url, 600, fetch=issuer.jwks, monotonic=monotonic or Monotonic())
    return JwtVerifier(config, cache)


def test_valid_rs256_and_es256(issuer: Issuer) -> None:
    issuer.add_ec("e1")
    v = verifier(issuer)
    assert v.verify(issuer.token("k1"))["sub"] == "u1"
    assert v.verify(issuer.token("e1", alg="ES256"))["sub"] == "u1"


def test_jwks_is_cached_then_refreshed_for_a_new_kid(issuer: Issuer) -> None:
    clock = Monotonic()
    v = verifier(issuer, clock)
    v.verify(issuer.token("k1"))
    v.verify(issuer.token("k1"))
    assert issuer.fetches == 1

    issuer.add_rsa("k2")  # the issuer rotates keys
    clock.now += 31
    assert v.verify(issuer.token("k2"))["sub"] == "u1"
    assert issuer.fetches == 2


def test_unknown_kids_cannot_flood_the_issuer(issuer: Issuer) -> None:
    v = verifier(issuer)
    v.verify(issuer.token("k1"))
    stranger = Issuer()
    stranger.add_rsa("nope")
    for _ in range(5):
        with pytest.raises(InvalidToken, match="unknown kid"):
            v.verify(stranger.token("nope"))
    assert issuer.fetches == 1


def test_audience_accepts_cognito_client_id(issuer: Issuer) -> None:
    token = issuer.token("k1", aud=None, client_id="app")
    assert verifier(issuer).verify(token)["client_id"] == "app"


def test_audience_mismatch(issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="audience"):
        verifier(issuer).verify(issuer.token("k1", aud="other"))


def test_required_claims(issuer: Issuer) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "aud": "app"}, issuer.keys["k1"], algorithm="RS256", headers={"kid": "k1"}
    )
    with pytest.raises(InvalidToken):
        verifier(issuer).verify(token)


@pytest.mark.parametrize("subject", ["", " ", "\t"])
def test_an_empty_subject_is_refused(issuer: Issuer, subject: str) -> None:
    with pytest.raises(InvalidToken, match="subject"):
        verifier(issuer).verify(issuer.token("k1", sub=subject))


def test_missing_kid_and_disallowed_algorithm(issuer: Issuer) -> None:
    no_kid = jwt.encode({"sub": "x"}, issuer.keys["k1"], algorithm="RS256")
    with pytest.raises(InvalidToken, match="kid"):
        verifier(issuer).verify(no_kid)
    with pytest.raises(InvalidToken, match="not allowed"):
        verifier(issuer).verify(issuer.token("k1", alg="RS512"))


def test_unreachable_jwks_keeps_serving_known_keys(issuer: Issuer) -> None:
    clock = Monotonic()
    v = verifier(issuer, clock)
    v.verify(issuer.token("k1"))

    def down(_url: str) -> dict[str, Any]:
        raise OSError("issuer down")

    v._jwks._fetch = down  # the issuer goes away after the first fetch
    clock.now += 3600
    assert v.verify(issuer.token("k1"))["sub"] == "u1"
