"""Chatwoot connections and runs through the API, the worker and the Chatwoot fake:
conversations, their messages and contacts; increments; the base URL rule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ponte.settings import get_settings
from tests.integration.connectors.conftest import CONNECTIONS, Connectors, counts
from tests.support.virtual_time import VirtualClock

_MESSAGES = re.compile(r"/conversations/(\d+)/messages$")


def _stream(run: dict[str, object], name: str) -> dict[str, int]:
    return run["streams"][name]  # type: ignore[index, no-any-return]


def test_a_first_run_stores_conversations_messages_and_contacts(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, account_id = connectors.chatwoot_connection(
        conversations=60, messages=3, contacts=40
    )
    before = len(connectors.chatwoot.made(str(account_id)))

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert counts(run) == (60 + 180 + 40, 0, 0, 0)
    assert {n: _stream(run, n)["created"] for n in ("conversations", "messages", "contacts")} == {
        "conversations": 60, "messages": 180, "contacts": 40,
    }  # fmt: skip
    paths = [r.path for r in connectors.chatwoot.made(str(account_id))[before:]]
    assert paths.count(f"/api/v1/accounts/{account_id}/contacts") == 3  # 15 a page
    # 25 conversations a page, read by the conversations and messages streams, and by the
    # contacts stream for the senders the contacts list leaves out; one request per
    # conversation's messages
    assert paths.count(f"/api/v1/accounts/{account_id}/conversations") == 3 * 3
    assert len(paths) == 3 + 3 * 3 + 60
    # Small vendor pages are stored together: one stored page per 100 records or more.
    assert [_stream(run, n)["pages"] for n in ("conversations", "messages", "contacts")] == [
        1, 2, 1,
    ]  # fmt: skip
    stored = connectors.records(connection_id, "conversations", limit=1).json()["data"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stored["updatedAt"])
    assert stored["data"]["last_activity_at"].endswith("Z")  # Unix seconds became ISO-8601
    assert stored["data"]["agent_last_seen_at"] is None  # 0 = never
    message = connectors.records(connection_id, "messages", limit=1).json()["data"][0]
    assert message["data"]["created_at"].endswith("Z")
    assert isinstance(message["data"]["conversation_id"], int)


def test_a_new_message_is_synced_without_rereading_the_other_conversations(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, account_id = connectors.chatwoot_connection(contacts=3)
    for _ in range(30):  # activity one second apart: the newest comes first
        connectors.chatwoot.add_conversation(account_id, messages=2)
        clock.advance(1)
    connectors.run(connection_id)
    clock.advance(600)
    quiet = sorted(connectors.chatwoot.accounts[account_id].conversations)[4]
    connectors.chatwoot.add_message(account_id, quiet, "Olá de novo")
    before = len(connectors.chatwoot.made(str(account_id)))

    second = connectors.run(connection_id)

    assert second["status"] == "success"
    assert (_stream(second, "messages")["created"], _stream(second, "messages")["updated"]) == (
        1,
        0,
    )
    assert _stream(second, "conversations")["updated"] == 1
    read = {
        int(found.group(1))
        for r in connectors.chatwoot.made(str(account_id))[before:]
        if (found := _MESSAGES.search(r.path))
    }
    newest = max(connectors.chatwoot.accounts[account_id].conversations)
    # The changed conversation, and the one at the previous run's high-water mark (its
    # activity second is read again, so nothing that landed in it is missed): no others.
    assert read == {quiet, newest}
    assert _stream(second, "conversations")["fetched"] == 2


def test_429_and_5xx_are_recovered(connectors: Connectors, clock: VirtualClock) -> None:
    connection_id, account_id = connectors.chatwoot_connection(conversations=5, contacts=2)
    failures = connectors.chatwoot.accounts[account_id].failures
    failures.fail_next(429, retry_after=3)
    failures.fail_next(502, 503)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert counts(run)[0] == 5 + 5 + 2
    assert 3.0 in clock.slept


def test_a_run_continues_across_invocations(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch, clock: VirtualClock
) -> None:
    monkeypatch.setenv("CHATWOOT_REQUESTS_PER_MINUTE", "30")  # 2 s a request (virtual)
    monkeypatch.setenv("PULL_TIME_MARGIN_SECONDS", str(900 - 5))
    get_settings.cache_clear()
    connection_id, _ = connectors.chatwoot_connection(conversations=120, messages=1, contacts=20)
    runtime = connectors.stack.provisioned.runtime
    before = runtime.invocations.count("PullWorkerFunction")
    try:
        run = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("CHATWOOT_REQUESTS_PER_MINUTE")
        monkeypatch.delenv("PULL_TIME_MARGIN_SECONDS")
        get_settings.cache_clear()

    assert run["status"] == "success"
    assert counts(run) == (120 + 120 + 20, 0, 0, 0)
    # A stored page takes at most 40 requests (80 s here): one page, then a continuation.
    assert runtime.invocations.count("PullWorkerFunction") - before >= 5


def test_a_refused_token_is_invalid_credentials(connectors: Connectors) -> None:
    account_id = 424242
    connectors.chatwoot.add_account(account_id, "right-token")
    refused = connectors.create({
        "name": "Chatwoot", "platform": "chatwoot",
        "credentials": {"accountId": str(account_id), "accessToken": "wrong-token"},
    })  # fmt: skip

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert "wrong-token" not in refused.text


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        ("http://169.254.169.254", "https"),
        ("http://10.0.0.1", "https"),
        ("https://10.0.0.1", "private or local"),
        ("https://169.254.169.254/latest/meta-data", "private or local"),
        ("https://user:pw@app.chatwoot.com", "credentials"),
        ("file:///etc/passwd", "http(s)"),
    ],
)
def test_a_base_url_that_must_not_be_called_is_refused(
    connectors: Connectors, base_url: str, why: str
) -> None:
    connectors.chatwoot.add_account(777, "token-777", conversations=1)
    made = len(connectors.chatwoot.requests)
    refused = connectors.create({
        "name": "Chatwoot", "platform": "chatwoot",
        "credentials": {"accountId": "777", "accessToken": "token-777", "baseUrl": base_url},
    })  # fmt: skip

    body = refused.json()
    assert (refused.status_code, body["code"]) == (400, "INVALID_CREDENTIALS")
    assert "baseUrl" in body["error"]
    assert why in body["error"]
    assert len(connectors.chatwoot.requests) == made  # nothing was called


MALFORMED = [
    "https://[1.1.1.1]", "https://1.1.1.1:99999", "https://app.chatwoot.com:abc",
    "https://app.chatwoot.com:-1", "https://[::1", "https://]", "https://app\r\n.chatwoot.com",
    "https://app.chatwoot.com/\r\nX: y", "https://app\x00.chatwoot.com", "https://[::7f00:1]",
    "https://[::127.0.0.1]", "https://[64:ff9b::a9fe:a9fe]",
]  # fmt: skip


def test_a_base_url_that_does_not_parse_is_a_400_on_create_and_change(
    connectors: Connectors,
) -> None:
    """Each was a 500 (urlsplit's ValueError), or passed as a public address."""
    connection_id, account_id = connectors.chatwoot_connection(conversations=1)
    token = connectors.chatwoot.accounts[account_id].token
    before = connectors.connection(connection_id)
    for base_url in MALFORMED:
        credentials = {"accountId": str(account_id), "accessToken": token, "baseUrl": base_url}
        created = connectors.create(
            {"name": "Chatwoot", "platform": "chatwoot", "credentials": credentials}
        )
        changed = connectors.api.patch(
            f"{CONNECTIONS}/{connection_id}", headers=connectors.headers,
            json={"credentials": credentials},
        )  # fmt: skip
        for answer in (created, changed):
            body = answer.json()
            assert (answer.status_code, body["code"]) == (400, "INVALID_CREDENTIALS"), base_url
            assert "baseUrl" in body["error"]
    listing = connectors.api.get(CONNECTIONS, headers=connectors.headers).json()
    assert listing["meta"]["total"] == 1
    assert connectors.connection(connection_id) == before


def test_a_host_rebound_to_a_private_address_after_its_check_is_never_connected_to(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the base URL's host resolves to a public address when it is checked,
    then to loopback. The request connects to the address it checked (or to none): httpx
    never gets to resolve the name again and reach the private one."""
    import socket

    port = 9  # nothing listens here; a connection attempt is what the test looks for
    real_lookup, real_connect = socket.getaddrinfo, socket.create_connection
    answers = iter(["93.184.216.34"])
    attempts: list[tuple[str, int]] = []

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return real_lookup(address, *args, **kwargs)
        return real_lookup(host, *args, **kwargs)

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        if address[1] == port:
            attempts.append(address)
            raise ConnectionRefusedError(address)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket, "create_connection", connect)
    connectors.chatwoot.add_account(779, "token-779")
    refused = connectors.create({
        "name": "Chatwoot", "platform": "chatwoot",
        "credentials": {"accountId": "779", "accessToken": "token-779",
                        "baseUrl": f"https://rebind.example:{port}"},
    })  # fmt: skip

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert "private or local address" in refused.json()["error"]
    assert attempts == []  # neither the name (resolved again by httpx) nor 127.0.0.1
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"] == []


def test_the_seeds_base_url_with_api_v1_is_accepted(connectors: Connectors) -> None:
    connectors.chatwoot.add_account(778, "token-778", conversations=2)
    origin = get_settings().chatwoot_base_url
    created = connectors.create({
        "name": "Chatwoot", "platform": "chatwoot",
        "credentials": {"accountId": "778", "accessToken": "token-778",
                        "baseUrl": f"{origin}/api/v1/"},
    })  # fmt: skip

    assert created.status_code == 201, created.text
    run = connectors.run(created.json()["data"]["id"])
    assert _stream(run, "conversations")["created"] == 2


def test_an_agents_token_is_refused_as_it_sees_only_its_inboxes(connectors: Connectors) -> None:
    """A Chatwoot agent's token sees only the conversations of the agent's inboxes, without
    a word: the connection needs an administrator's."""
    account_id = 515151
    connectors.chatwoot.add_account(account_id, "admin-token-5151")
    connectors.chatwoot.add_agent(account_id, "agent-token-5151", inboxes={1})
    connectors.chatwoot.add_conversation(account_id, inbox=1)
    connectors.chatwoot.add_conversation(account_id, inbox=2)
    credentials = {"accountId": str(account_id), "accessToken": "agent-token-5151"}

    refused = connectors.create({"name": "C", "platform": "chatwoot", "credentials": credentials})

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert "administrator" in refused.json()["error"]
    assert "agent-token-5151" not in refused.text
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"] == []
    admin = credentials | {"accessToken": "admin-token-5151"}
    created = connectors.create({"name": "C", "platform": "chatwoot", "credentials": admin})
    assert created.status_code == 201, created.text
    run = connectors.run(created.json()["data"]["id"])
    assert _stream(run, "conversations")["created"] == 2  # every inbox's


def test_contacts_the_list_leaves_out_are_stored_from_their_conversations(
    connectors: Connectors, clock: VirtualClock
) -> None:
    """Chatwoot's contacts list shows only contacts with an email, a phone number or an
    identifier; the others (a website's visitors) are named by their conversations."""
    connection_id, account_id = connectors.chatwoot_connection(contacts=2)
    fake = connectors.chatwoot
    visitors = fake.add_contacts(account_id, 3, identified=False)
    for contact in [*visitors, *sorted(fake.accounts[account_id].contacts)[:2]]:
        fake.add_conversation(account_id, contact=contact)

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert _stream(run, "contacts")["created"] == 5
    stored = {
        r["id"] for r in connectors.records(connection_id, "contacts", limit=50).json()["data"]
    }
    conversations = connectors.records(connection_id, "conversations", limit=50).json()["data"]
    named = {str(c["data"]["meta"]["sender"]["id"]) for c in conversations}
    assert named <= stored  # every contact a conversation names
    assert {str(v) for v in visitors} <= stored
    # A later visitor is found by the next (incremental) run, from its conversation only.
    clock.advance(60)
    late = fake.add_contacts(account_id, 1, identified=False)[0]
    fake.add_conversation(account_id, contact=late)
    second = connectors.run(connection_id)
    assert (_stream(second, "contacts")["created"], _stream(second, "contacts")["updated"]) == (
        1, 0,
    )  # fmt: skip


@pytest.mark.parametrize("page_size", [7, 40])
def test_paging_ends_on_what_chatwoot_says_whatever_its_page_size(
    connectors: Connectors, clock: VirtualClock, page_size: int
) -> None:
    """The conversation page size is an instance setting (CONVERSATION_RESULTS_PER_PAGE):
    pages end on the answer's count or an empty page, never on an assumed 25."""
    connection_id, account_id = connectors.chatwoot_connection(contacts=2)
    for _ in range(60):
        connectors.chatwoot.add_conversation(account_id)
        clock.advance(1)
    connectors.chatwoot.results_per_page = page_size
    before = len(connectors.chatwoot.made(str(account_id)))
    try:
        run = connectors.run(connection_id)
    finally:
        connectors.chatwoot.results_per_page = 25

    assert run["status"] == "success", run
    assert [_stream(run, n)["created"] for n in ("conversations", "messages")] == [60, 60]
    paths = [r.path for r in connectors.chatwoot.made(str(account_id))[before:]]
    pages = -(-60 // page_size)  # and no request past the last one
    assert paths.count(f"/api/v1/accounts/{account_id}/conversations") == 3 * pages
