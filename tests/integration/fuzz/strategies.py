"""Hostile requests, generated: texts a client should not send, JSON of every shape, bodies
that are no JSON at all, query strings and credentials."""

from __future__ import annotations

import gzip
import json
from typing import Any

from hypothesis import strategies as st

# Texts that broke parsers, keys or lookups somewhere once.
NASTY = [
    "", " ", "\t", "²", "\uff15", "\u0663", "-1", "0", "1_0", "+5", "5.0", "1e309", "NaN",
    "null", "true", "[]", "{}", "%", "%%", "%00", "%2F", "%C2%B2", "../..", "#", "?", "&",
    "T#x", "PK", "GSI1PK", "\u202eevil", "' OR 1=1 --", "<script>x</script>", "${jndi:x}",
    "eyJQSyI6IngifQ==", "AQ" + "A" * 40, "9" * 30, "a" * 300, "é" * 256, "\u00a0", "😀" * 5,
]  # fmt: skip

hostile_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))

# Field and parameter names the routes read, so generated values reach real code paths.
FIELDS = [
    "code", "name", "status", "email", "cpf", "type", "unit_code", "area_code", "course_code",
    "subject_code", "professor_code", "institution_code", "responsible", "students", "members",
    "schedules", "guardians", "username", "role", "description", "id", "subdomain", "token",
    "platform", "credentials", "enabled", "fullSync", "connectionId", "options", "scope",
    "rate_limit", "accounts", "mode", "max_concurrency", "schedule", "apiKey", "accessToken",
    "clientId", "clientSecret", "refreshToken", "redirectUri", "workspaceId",
]  # fmt: skip
QUERY_NAMES = [
    "page", "per_page", "limit", "cursor", "search", "status", "updated_since", "updatedSince",
    "stream", "platform", "enabled", "papel", "instituicaoId", "unidadeId", "turmaId", "wait",
    "purge", "connectionId",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | hostile_text, inner, max_size=5)
    ),
    max_leaves=25,
)
records = st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8), max_size=4)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


@st.composite
def bodies(draw: st.DrawFn, route: str) -> tuple[bytes, dict[str, str]]:
    """A body for ``route`` and its headers: near-valid JSON for that route, any JSON, or
    something that is not JSON (broken, too deep, binary, gzip, a lone surrogate)."""
    entity = route.split("/")[-2] if route.endswith("/sync") else ""
    near = (
        st.builds(lambda rs: {entity: rs}, records)
        if entity and route.startswith("/api/integration/")
        else st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
    )
    body = draw(
        st.one_of(
            near.map(_json),
            json_values.map(_json),
            st.binary(max_size=80),
            st.integers(min_value=33, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
            st.sampled_from([b'{"a": "\\ud800"}', b"{", b"{'a': 1}", b"NaN", b"\xef\xbb\xbf{}"]),
        )
    )
    kind = draw(st.sampled_from(["json", "json", "json", "text", "binary", "gzip"]))
    headers = {"content-type": "application/json"}
    if kind == "text":
        headers["content-type"] = "text/plain; charset=latin-1"
    elif kind == "binary":
        headers["content-type"] = "application/octet-stream"
    elif kind == "gzip":
        headers["content-encoding"] = "gzip"
        body = gzip.compress(body)
    return body, headers


query_strings = st.lists(
    st.tuples(st.sampled_from(QUERY_NAMES) | hostile_text, hostile_text), max_size=5
)
path_values = hostile_text.filter(lambda v: v.strip() != "")


def _header_safe(value: str) -> bool:
    """What HTTP lets a header carry at all (no control characters, no edge spaces)."""
    raw = value.encode()
    return raw == raw.strip() and not any(b < 0x20 or b == 0x7F for b in raw)


credentials = st.one_of(
    st.sampled_from(
        [
            "",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Bearer null",
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
            "Bearer pk_live_0000000000000000",
        ]
    ),
    hostile_text.map(lambda t: f"Bearer {t}"),
    hostile_text,
).filter(_header_safe)
