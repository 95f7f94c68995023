"""Records of any size through the API on the local stack: a record too large for a
DynamoDB item (400 KB) is kept whole, its run goes on, and the records endpoint answers it
whole, inline while the answer fits Lambda's 6 MB, else by a short-lived link."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import requests

from ponte.settings import get_settings
from tests.integration.connectors.conftest import CONNECTIONS, Connectors, counts

MB = 1024 * 1024
LAMBDA_RESPONSE_LIMIT = 6 * MB


def _noise(size: int) -> str:
    """Text that barely compresses (as a long pasted log or an encoded attachment)."""
    return secrets.token_urlsafe(size)[:size]


def _walk(connectors: Connectors, connection_id: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of the tickets' records; each answer checked to fit one Lambda answer."""
    pages, cursor = [], ""
    while True:
        answer = connectors.records(
            connection_id, "tickets", **params, **({"cursor": cursor} if cursor else {})
        )
        assert answer.status_code == 200, answer.text[:300]
        assert len(answer.content) < LAMBDA_RESPONSE_LIMIT
        body = answer.json()
        pages.append(body["data"])
        cursor = body["meta"]["nextCursor"]
        if not cursor:
            return pages


def _objects(connectors: Connectors, connection_id: str) -> list[str]:
    prefix = f"records/{connectors.tenant.id}/{connection_id}/"
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().record_bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_record_of_any_size_is_kept_and_answered_whole(connectors: Connectors) -> None:
    connection_id, subdomain = connectors.zendesk_connection()
    fake = connectors.zendesk
    descriptions = {
        "small": "A impressora não liga.",
        "compressible": "A impressora do terceiro andar não imprime. " * 15_000,  # 660 KB
        "large": _noise(3 * MB),
        "largest": _noise(6 * MB),  # with its fields, over 6 MB: more than one answer holds
    }
    ids = {
        name: fake.add(subdomain, "tickets", 1, description=text)[0]
        for name, text in descriptions.items()
    }

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert run["streams"]["tickets"]["created"] == 4
    assert counts(run)[3] == 0
    rows = {row["id"]: row for page in _walk(connectors, connection_id) for row in page}
    for name in ("small", "compressible", "large"):
        row = rows[str(ids[name])]
        assert row["data"]["description"] == descriptions[name], name  # whole, inline
        assert "dataUrl" not in row
    largest = rows[str(ids["largest"])]
    assert largest["data"] is None
    assert largest["dataUrlExpiresAt"].endswith("Z")
    fetched = requests.get(largest["dataUrl"], timeout=60)
    assert fetched.status_code == 200
    assert fetched.json()["description"] == descriptions["largest"]
    assert fetched.json()["id"] == ids["largest"]


def test_pages_shrink_to_what_one_answer_holds(connectors: Connectors) -> None:
    connection_id, subdomain = connectors.zendesk_connection()
    texts: dict[int, str] = {}
    for _ in range(8):
        text = _noise(MB)
        texts[connectors.zendesk.add(subdomain, "tickets", 1, description=text)[0]] = text

    connectors.run(connection_id)
    pages = _walk(connectors, connection_id, limit=50)

    assert len(pages) > 1  # 8 MB of tickets do not fit one answer, whatever the limit
    seen = [row for page in pages for row in page]
    assert len(seen) == len({row["id"] for row in seen})  # none twice
    by_id = {int(row["id"]): row for row in seen}
    for ticket_id, text in texts.items():
        assert by_id[ticket_id]["data"]["description"] == text  # every one inline, whole


def test_a_large_records_stored_versions_go_with_it(connectors: Connectors) -> None:
    connection_id, subdomain = connectors.zendesk_connection()
    large = connectors.zendesk.add(subdomain, "tickets", 2, description=_noise(MB))
    connectors.run(connection_id)
    first = _objects(connectors, connection_id)
    connectors.zendesk.change(subdomain, "tickets", large[:1])

    second = connectors.run(connection_id)

    assert second["streams"]["tickets"]["updated"] == 1
    now = _objects(connectors, connection_id)
    assert len(first) == len(now) == 2  # the changed one's old version was deleted
    assert len(set(first) & set(now)) == 1
    purged = connectors.api.delete(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers, params={"purge": "true"}
    )
    assert purged.status_code == 200
    assert _objects(connectors, connection_id) == []
