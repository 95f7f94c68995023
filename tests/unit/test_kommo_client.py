"""The Kommo client against the Kommo fake (mounted in httpx), in virtual time."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.kommo_fake import KommoFake
from ponte.vendors.kommo import KommoAuthError, KommoClient, KommoUnavailable, Pacer
from tests.support.virtual_time import VirtualClock, virtual_time

BASE = "http://kommo.test/{subdomain}"


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with virtual_time() as virtual:
        yield virtual


@pytest.fixture
def fake() -> KommoFake:
    return KommoFake()


def client(fake: KommoFake, subdomain: str = "acme", token: str = "tok") -> KommoClient:
    return KommoClient(subdomain, token, base_url=BASE, transport=httpx.WSGITransport(app=fake))


def roles(n: int) -> list[dict[str, object]]:
    return [{"name": f"Role {i:03}", "rights": {"mail_access": i % 2 == 0}} for i in range(n)]


def max_per_second(times: list[float]) -> int:
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


def test_roles_follow_hal_pages_of_250(fake: KommoFake, clock: VirtualClock) -> None:
    fake.add_account("acme", "tok", roles(300))

    found = client(fake).roles()

    assert len(found) == 300
    assert [r.path for r in fake.reads("acme")] == ["/api/v4/roles", "/api/v4/roles"]


def test_an_empty_list_is_a_204(fake: KommoFake, clock: VirtualClock) -> None:
    fake.add_account("acme", "tok")

    assert client(fake).roles() == []
    assert fake.requests[-1].status == 204


def test_never_more_than_7_requests_a_second(fake: KommoFake, clock: VirtualClock) -> None:
    fake.add_account("acme", "tok", roles(3))
    kommo = client(fake)

    for _ in range(30):
        kommo.account()

    times = [r.at for r in fake.requests]
    assert max_per_second(times) == 7
    assert all(r.status == 200 for r in fake.requests)  # the fake never had to say 429
    assert times[-1] - times[0] >= 4.0  # 30 requests take at least 4 s at 7/s


def test_the_pace_carries_over_to_the_next_client(fake: KommoFake, clock: VirtualClock) -> None:
    fake.add_account("acme", "tok")
    first = client(fake)
    for _ in range(7):
        first.account()

    second = KommoClient(
        "acme",
        "tok",
        base_url=BASE,
        transport=httpx.WSGITransport(app=fake),
        pacer=Pacer(first.pacer.state()),
    )
    second.account()

    assert max_per_second([r.at for r in fake.requests]) == 7


def test_429_with_an_html_body_and_5xx_are_retried(fake: KommoFake, clock: VirtualClock) -> None:
    account = fake.add_account("acme", "tok", roles(2))
    account.fail_next = [429, 503, 500]

    assert len(client(fake).roles()) == 2
    assert [r.status for r in fake.requests] == [429, 503, 500, 200]
    assert len(clock.slept) >= 3  # backed off between attempts, in virtual time


def test_an_account_that_stays_down_fails_after_the_retries(
    fake: KommoFake, clock: VirtualClock
) -> None:
    fake.add_account("acme", "tok").down = True

    with pytest.raises(KommoUnavailable, match="HTTP 500 após 5 tentativas"):
        client(fake).account()
    assert len(fake.requests) == 5


SECRET = "s3cr3t-xyz"


@pytest.mark.parametrize(
    ("token", "blocked", "status"), [("wr0ng-xyz", False, 401), (SECRET, True, 403)]
)
def test_401_and_403_fail_the_account_at_once(
    fake: KommoFake, clock: VirtualClock, token: str, blocked: bool, status: int
) -> None:
    fake.add_account("acme", SECRET).blocked = blocked

    with pytest.raises(KommoAuthError, match=f"HTTP {status}") as raised:
        client(fake, token=token).account()
    assert len(fake.requests) == 1
    assert "xyz" not in str(raised.value)  # no token in the message


def test_create_update_delete(fake: KommoFake, clock: VirtualClock) -> None:
    fake.add_account("acme", "tok", [{"name": "Old", "rights": {}}])
    kommo = client(fake)
    old = kommo.roles()[0]

    created = kommo.create_roles([{"name": "A", "rights": {}}, {"name": "B", "rights": {}}])
    kommo.update_role(created[0]["id"], "A", {"mail_access": True})
    kommo.delete_role(old["id"])

    assert fake.role_names("acme") == ["A", "B"]
    assert [r.method for r in fake.writes("acme")] == ["POST", "PATCH", "DELETE"]


def test_a_create_whose_answer_was_lost_is_not_repeated(
    fake: KommoFake, clock: VirtualClock
) -> None:
    fake.add_account("acme", "tok", roles(1))
    fake.accounts["acme"].lose_answers = 1  # the roles are created, the answer is a 502

    created = client(fake).create_roles([{"name": "A", "rights": {}}, {"name": "B", "rights": {}}])

    assert sorted(r["name"] for r in created) == ["A", "B"]
    assert fake.role_names("acme") == ["A", "B", "Role 000"]  # each once
    assert [(r.method, r.status) for r in fake.requests] == [("POST", 502), ("GET", 200)]


def test_a_create_that_did_not_land_sends_only_the_missing_roles(
    fake: KommoFake, clock: VirtualClock
) -> None:
    fake.add_account("acme", "tok")
    fake.accounts["acme"].fail_next = [503]  # refused before anything was created

    created = client(fake).create_roles([{"name": "A", "rights": {}}])

    assert [r["name"] for r in created] == ["A"]
    assert [(r.method, r.status) for r in fake.requests] == [
        ("POST", 503), ("GET", 204), ("POST", 200)
    ]  # fmt: skip
