"""Connections API (seed 003): create with a credentials test, list, read, change, delete;
every error in the seed's envelope {success: false, error, code, details}."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devstack.fakes import Answer, Request
from ponte import aws, tls
from ponte.repository import keys
from ponte.settings import get_settings
from tests.integration.conftest import TenantFixture
from tests.integration.connectors.conftest import CONNECTIONS, RUNS, Connectors


def _secrets() -> list[str]:
    listed = aws.client("secretsmanager").list_secrets()["SecretList"]
    return [s["Name"] for s in listed if "/hubspot/" in s["Name"] or "/zendesk/" in s["Name"]]


def test_a_connection_is_created_listed_and_never_shows_its_credentials(
    connectors: Connectors,
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=1)
    listing = connectors.api.get(CONNECTIONS, headers=connectors.headers)

    assert listing.status_code == 200
    body = listing.json()
    assert body["meta"] == {"total": 1, "page": 1, "limit": 10, "totalPages": 1}
    row = body["data"][0]
    assert row["id"] == connection_id
    assert {k: row[k] for k in ("name", "platform", "enabled", "lastSyncAt", "syncedRecords")} == {
        "name": "HubSpot", "platform": "hubspot", "enabled": True, "lastSyncAt": None,
        "syncedRecords": 0,
    }  # fmt: skip
    assert row["createdAt"].endswith("Z")
    for answer in (listing, connectors.api.get(f"{CONNECTIONS}/{connection_id}",
                                               headers=connectors.headers)):  # fmt: skip
        assert token not in answer.text
        assert "accessToken" not in answer.text


def test_refused_credentials_store_nothing(connectors: Connectors) -> None:
    before = _secrets()
    response = connectors.create(
        {"name": "HubSpot", "platform": "hubspot", "credentials": {"accessToken": "wrong-token"}}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "INVALID_CREDENTIALS"
    assert "refused" in body["error"]
    assert "wrong-token" not in response.text
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"] == []
    assert _secrets() == before


def test_zendesk_credentials_are_tested_with_basic_auth(connectors: Connectors) -> None:
    connectors.zendesk.add_account("acme-basic", "admin@acme.com", "right-token")
    wrong = {"email": "admin@acme.com", "apiToken": "wrong-token", "subdomain": "acme-basic"}
    refused = connectors.create({"name": "Z", "platform": "zendesk", "credentials": wrong})
    right = connectors.create(
        {"name": "Z", "platform": "zendesk", "credentials": wrong | {"apiToken": "right-token"}}
    )

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert right.status_code == 201, right.text
    assert set(right.json()["data"]) == {"id", "name", "platform", "enabled", "createdAt"}


def test_a_zendesk_agents_token_is_refused_as_it_cannot_export(connectors: Connectors) -> None:
    """Zendesk's incremental exports are "Allowed for: Admins": an agent's token passes a
    who-am-I call, then every export is 403. The connection needs an administrator's."""
    connectors.zendesk.add_account("acme-roles", "admin@acme.com", "admin-token", tickets=1)
    connectors.zendesk.add_user("acme-roles", "agent@acme.com", "agent-token", role="agent")
    before = _secrets()
    agent = {"email": "agent@acme.com", "apiToken": "agent-token", "subdomain": "acme-roles"}

    refused = connectors.create({"name": "Z", "platform": "zendesk", "credentials": agent})

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert "administrator" in refused.json()["error"]
    assert "agent-token" not in refused.text
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"] == []
    assert _secrets() == before
    admin = agent | {"email": "admin@acme.com", "apiToken": "admin-token"}
    created = connectors.create({"name": "Z", "platform": "zendesk", "credentials": admin})
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("platform", ["salesforce", "pipedrive", ""])
def test_platforms_without_a_connector_are_not_supported(
    connectors: Connectors, platform: str
) -> None:
    response = connectors.create({"name": "X", "platform": platform, "credentials": {}})

    assert response.status_code == 400
    assert response.json()["code"] == "PLATFORM_NOT_SUPPORTED"


def test_a_bad_body_is_a_validation_error_with_details(connectors: Connectors) -> None:
    missing = connectors.create({"platform": "hubspot", "credentials": {"accessToken": "x"}})
    wrong_credentials = connectors.create(
        {"name": "H", "platform": "hubspot", "credentials": {"apiKey": "x"}}
    )
    not_json = connectors.api.post(
        CONNECTIONS, headers=connectors.headers, content=b"{", timeout=10
    )

    assert missing.status_code == 400
    assert missing.json()["code"] == "VALIDATION_ERROR"
    assert missing.json()["details"][0]["field"] == "name"
    fields = {d["field"] for d in wrong_credentials.json()["details"]}
    assert fields == {"credentials.accessToken", "credentials.apiKey"}
    assert not_json.status_code == 400
    assert not_json.json()["success"] is False
    nested = connectors.api.post(CONNECTIONS, headers=connectors.headers, content=b"[" * 100_000)
    assert (nested.status_code, nested.json()["code"]) == (400, "BAD_REQUEST")
    huge = connectors.api.get(CONNECTIONS, headers=connectors.headers, params={"limit": "²"})
    assert (huge.status_code, huge.json()["code"]) == (400, "VALIDATION_ERROR")


NON_ASCII = ["\u00df", "tok\u00e9n-123", "token\u200b123", "tok en", "tok\x00en", "\u0663"]


@pytest.mark.parametrize(
    ("platform", "credentials", "field"),
    [
        ("hubspot", {"accessToken": "{}"}, "accessToken"),
        ("chatwoot", {"accountId": "1", "accessToken": "{}"}, "accessToken"),
        (
            "rdstation",
            {"clientId": "app", "clientSecret": "{}", "refreshToken": "rt"},
            "clientSecret",
        ),
        (
            "rdstation",
            {"clientId": "app", "clientSecret": "s", "refreshToken": "{}"},
            "refreshToken",
        ),
        ("zendesk", {"email": "a@b.com", "apiToken": "{}", "subdomain": "acme"}, "apiToken"),
    ],
)
def test_credentials_a_header_cannot_carry_are_400_stored_nowhere_never_echoed(
    connectors: Connectors, platform: str, credentials: dict[str, str], field: str
) -> None:
    """A token travels in a header: non-ASCII, a space or a control character was a 500
    (httpx's UnicodeEncodeError, naming the character)."""
    hubspot, _ = connectors.hubspot_connection()

    def secrets() -> list[str]:
        listed = aws.client("secretsmanager").list_secrets()["SecretList"]
        return sorted(s["Name"] for s in listed if f"/{connectors.tenant.id}/" in s["Name"])

    before = secrets()
    for raw in NON_ASCII:
        given = {k: (raw if v == "{}" else v) for k, v in credentials.items()}
        created = connectors.create({"name": "X", "platform": platform, "credentials": given})
        assert (created.status_code, created.json()["code"]) == (400, "VALIDATION_ERROR"), raw
        assert created.json()["details"][0]["field"] == f"credentials.{field}"
        assert raw.strip() not in created.text
    changed = connectors.api.patch(
        f"{CONNECTIONS}/{hubspot}", headers=connectors.headers,
        json={"credentials": {"accessToken": "\u00df"}},
    )  # fmt: skip
    assert (changed.status_code, changed.json()["code"]) == (400, "VALIDATION_ERROR")
    assert secrets() == before
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["meta"]["total"] == 1


def _create_concurrently(connectors: Connectors, token: str, n: int) -> list[httpx.Response]:
    body = {"name": "CRM", "platform": "hubspot", "credentials": {"accessToken": token}}
    barrier = threading.Barrier(n)

    def create(_: int) -> httpx.Response:
        with httpx.Client(
            base_url=str(connectors.api.base_url), timeout=60, verify=tls.context()
        ) as client:
            barrier.wait()
            return client.post(CONNECTIONS, headers=connectors.headers, json=body)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(create, range(n)))


def test_ten_concurrent_creates_with_one_token_all_get_a_pacing_slot(
    connectors: Connectors,
) -> None:
    """The ten share one HubSpot account's pacing schedule: each round of contention has one
    winner, and the losers wait their turn (8 rounds used to be all: 2 answers of 500)."""
    token = f"pat-{connectors.prefix}-shared"
    connectors.hubspot.add_account(token, contacts=1)

    answers = _create_concurrently(connectors, token, 10)

    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
    listing = connectors.api.get(CONNECTIONS, headers=connectors.headers, params={"limit": 50})
    assert listing.json()["meta"]["total"] == 10


def test_contention_for_a_pacing_slot_is_a_429_with_retry_after_never_a_500(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ponte.repository import pacing

    monkeypatch.setattr(pacing, "_ATTEMPTS", 1)  # no waiting: contention shows at once
    token = f"pat-{connectors.prefix}-busy"
    connectors.hubspot.add_account(token, contacts=1)

    answers = _create_concurrently(connectors, token, 8)

    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 429}, [a.text for a in answers]
    assert 429 in statuses
    for answer in answers:
        if answer.status_code == 429:
            assert answer.headers["Retry-After"] == "1"
            assert answer.json() == {
                "success": False, "code": "RATE_LIMITED", "details": [],
                "error": "Too many concurrent requests to this platform account: "
                         "try again in a moment",
            }  # fmt: skip
    created = statuses.count(201)
    listing = connectors.api.get(CONNECTIONS, headers=connectors.headers, params={"limit": 50})
    assert listing.json()["meta"]["total"] == created  # a refused create stored nothing
    secrets = aws.client("secretsmanager").list_secrets()["SecretList"]
    assert sum(f"/{connectors.tenant.id}/" in s["Name"] for s in secrets) == created


def test_unknown_connections_are_404_everywhere(connectors: Connectors) -> None:
    url = f"{CONNECTIONS}/01900000-0000-7000-8000-000000000000"
    h = connectors.headers
    answers = [
        connectors.api.get(url, headers=h),
        connectors.api.patch(url, headers=h, json={"name": "x"}),
        connectors.api.delete(url, headers=h),
        connectors.api.post(f"{url}/sync", headers=h, json={}),
        connectors.api.get(f"{url}/records", headers=h, params={"stream": "contacts"}),
        connectors.api.post(
            "/api/v1/sync/run", headers=h, json={"connectionId": url.rsplit("/", 1)[1]}
        ),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json() == {
            "success": False, "error": "Connection not found", "code": "CONNECTION_NOT_FOUND",
            "details": [],
        }  # fmt: skip
    run = connectors.api.get(f"{RUNS}/01900000-0000-7000-8000-000000000000", headers=h)
    assert (run.status_code, run.json()["code"]) == (404, "RUN_NOT_FOUND")


def test_only_admins_and_only_with_a_token(
    connectors: Connectors, api: httpx.Client, tenant: TenantFixture
) -> None:
    coordinator = {"Authorization": f"Bearer {tenant.token('coordinator')}"}
    forbidden = api.get(CONNECTIONS, headers=coordinator)
    anonymous = api.get(CONNECTIONS)
    api_key = api.get(CONNECTIONS, headers=tenant.headers(tenant.api_key()))

    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "FORBIDDEN")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED")
    assert api_key.status_code == 403


def test_connections_are_the_tenants_own(
    connectors: Connectors, other_tenant: TenantFixture, api: httpx.Client
) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=1)
    other = other_tenant.headers(other_tenant.token("admin"))

    assert api.get(CONNECTIONS, headers=other).json()["data"] == []
    assert api.get(f"{CONNECTIONS}/{connection_id}", headers=other).status_code == 404
    assert api.post(f"{CONNECTIONS}/{connection_id}/sync", headers=other).status_code == 404


def test_listing_filters_and_pages(connectors: Connectors) -> None:
    first, _ = connectors.hubspot_connection()
    connectors.hubspot_connection()
    connectors.zendesk_connection()
    connectors.api.patch(
        f"{CONNECTIONS}/{first}", headers=connectors.headers, json={"enabled": False}
    )

    def listed(**params: object) -> dict[str, object]:
        answer = connectors.api.get(CONNECTIONS, headers=connectors.headers, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    assert listed(platform="hubspot")["meta"]["total"] == 2  # type: ignore[index]
    assert listed(enabled="false")["meta"]["total"] == 1  # type: ignore[index]
    page = listed(limit=2, page=2)
    assert page["meta"] == {"total": 3, "page": 2, "limit": 2, "totalPages": 2}
    assert len(page["data"]) == 1  # type: ignore[arg-type]
    bad = connectors.api.get(CONNECTIONS, headers=connectors.headers, params={"limit": 0})
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")


def test_changes_rename_disable_and_retest_new_credentials(connectors: Connectors) -> None:
    connection_id, token = connectors.hubspot_connection()
    url = f"{CONNECTIONS}/{connection_id}"
    h = connectors.headers

    renamed = connectors.api.patch(url, headers=h, json={"name": "CRM", "enabled": False})
    refused = connectors.api.patch(url, headers=h, json={"credentials": {"accessToken": "nope"}})
    start = connectors.start(connection_id)

    assert renamed.status_code == 200
    assert (renamed.json()["data"]["name"], renamed.json()["data"]["enabled"]) == ("CRM", False)
    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert (start.status_code, start.json()["code"]) == (409, "CONNECTION_DISABLED")
    new_token = f"{token}-rotated"
    connectors.hubspot.add_account(new_token)
    accepted = connectors.api.patch(
        url, headers=h, json={"credentials": {"accessToken": new_token}}
    )
    assert accepted.status_code == 200, accepted.text


def test_a_purge_during_a_run_leaves_none_of_its_records(connectors: Connectors) -> None:
    """A purge two pages into a run: it answers, then the worker receives its next page from
    the vendor. Nothing of the connection is left in the table, not even that page."""
    connection_id, token = connectors.hubspot_connection(contacts=350)
    fake = connectors.hubspot
    first_page = threading.Event()

    def hold_after_the_first_page(request: Request, answer: Answer) -> None:
        mine = request.path.endswith("/objects/contacts") and token in str(request.headers)
        if mine and not first_page.is_set():
            first_page.set()
            fake.hold()  # the worker's next request waits for the vendor

    fake.listeners.append(hold_after_the_first_page)
    try:
        run_id = connectors.start(connection_id).json()["data"]["runId"]
        assert fake.holding.wait(30), "the run never asked for its second page"
        purged = connectors.api.delete(
            f"{CONNECTIONS}/{connection_id}", headers=connectors.headers, params={"purge": "true"}
        )
    finally:
        fake.listeners.remove(hold_after_the_first_page)
        fake.release()
    poller = connectors.stack.poller
    assert poller is not None
    assert poller.wait_idle(60), "the worker did not stop"

    assert purged.status_code == 200, purged.text
    assert purged.json()["data"]["purged"] == {"runs": 1, "records": 100}
    pages = [r for r in fake.made(token[-6:]) if r.path.endswith("/objects/contacts")]
    assert len(pages) >= 2  # the worker did receive its second page, after the purge
    assert _stored(connectors.tenant.id, connection_id) == []  # page two was taken back
    assert connectors.api.get(f"{RUNS}/{run_id}", headers=connectors.headers).status_code == 404


def _stored(tenant_id: str, connection_id: str) -> list[str]:
    """Every item left in the table under the connection's record partitions."""
    client = aws.client("dynamodb")
    return [
        item["SK"]["S"]
        for stream in ("contacts", "companies", "deals")
        for item in client.query(
            TableName=get_settings().table_name,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={
                ":p": {"S": keys.pulled_records(tenant_id, connection_id, stream)}
            },
            ConsistentRead=True,
        )["Items"]
    ]


def test_delete_keeps_runs_and_records_unless_purged(connectors: Connectors) -> None:
    kept, _ = connectors.hubspot_connection(contacts=3)
    purged, _ = connectors.hubspot_connection(contacts=3)
    kept_run = connectors.run(kept)
    purged_run = connectors.run(purged)
    h = connectors.headers
    before = set(_secrets())

    assert connectors.api.delete(f"{CONNECTIONS}/{kept}", headers=h).status_code == 200
    gone = connectors.api.delete(f"{CONNECTIONS}/{purged}", headers=h, params={"purge": "true"})

    assert gone.json()["data"]["purged"] == {"runs": 1, "records": 3}
    assert len(before - set(_secrets())) == 2  # both secrets deleted
    assert connectors.api.get(f"{RUNS}/{kept_run['id']}", headers=h).status_code == 200
    assert connectors.api.get(f"{RUNS}/{purged_run['id']}", headers=h).status_code == 404
    assert connectors.api.get(f"{CONNECTIONS}/{kept}", headers=h).status_code == 404
