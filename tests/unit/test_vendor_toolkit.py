"""The toolkit under the vendor clients: pacing, retries, redaction, base URLs (virtual time;
the vendor side is a fake mounted in httpx)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.hubspot_fake import HubSpotFake
from ponte.domain.connectors import RunStatus, duration_text, final_status
from ponte.vendors import hubspot
from ponte.vendors.http import (
    UnsafeUrl,
    VendorAuthError,
    VendorHttp,
    VendorRejected,
    VendorUnavailable,
    safe_base_url,
)
from ponte.vendors.pacing import Limit, LocalSchedule, Spaced
from tests.support.virtual_time import VirtualClock, virtual_time


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with virtual_time() as virtual:
        yield virtual


def _client(fake: HubSpotFake, token: str = "secret-token", **kwargs: object) -> VendorHttp:
    return hubspot.client(
        token,
        base_url="http://hubspot.test",
        account="a",
        per_ten_seconds=100,
        schedule=LocalSchedule(),
        transport=httpx.WSGITransport(app=fake),
        **kwargs,  # type: ignore[arg-type]
    )


def test_spaced_requests_never_exceed_the_limit_in_any_window(clock: VirtualClock) -> None:
    schedule = LocalSchedule()
    first, second = (Spaced("acct", Limit(5, 1.0), schedule) for _ in range(2))
    sent = []
    for i in range(100):  # two "processes" pacing the same account
        (first if i % 2 else second).wait(clock)
        sent.append(clock.now().timestamp())

    in_any_second = max(sum(1 for u in sent if t <= u < t + 1.0) for t in sent)
    assert in_any_second <= 5
    steady = sent[20:]  # once each has seen the other, they take one slot at a time
    assert (len(steady) - 1) / (steady[-1] - steady[0]) >= 0.9 * 5  # close to the limit


def test_alone_a_pacer_reserves_a_second_of_slots_at_a_time(clock: VirtualClock) -> None:
    class Counting(LocalSchedule):
        calls = 0

        def reserve(self, key: str, count: int, interval: float, now: float) -> float:
            Counting.calls += 1
            return super().reserve(key, count, interval, now)

    pacer = Spaced("acct", Limit(100, 10.0), Counting())
    for _ in range(100):
        pacer.wait(clock)

    assert Counting.calls == 10  # ten requests per reservation (one write in DynamoDB)


def test_retry_after_is_honoured_and_5xx_retried(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("secret-token", contacts=1)
    fake.accounts["secret-token"].failures.fail_next(429, retry_after=4)
    fake.accounts["secret-token"].failures.fail_next(500)

    hubspot.check(_client(fake))

    assert [r.status for r in fake.requests] == [429, 500, 200]
    assert 4.0 in clock.slept


def test_retries_end_and_the_message_holds_no_secret(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("secret-token")
    fake.accounts["secret-token"].failures.fail_next(503, 503, 503)
    http = _client(fake)
    http.max_attempts = 3

    with pytest.raises(VendorUnavailable) as raised:
        hubspot.modified_since(http, "contacts", 0)

    assert (raised.value.problem, raised.value.attempts) == ("HTTP 503", 3)
    assert "secret-token" not in str(raised.value)
    assert "POST /crm/v3/objects/contacts/search" in str(raised.value)


def test_refused_credentials_are_not_retried(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    with pytest.raises(VendorAuthError, match="HTTP 401") as raised:
        hubspot.check(_client(fake, "wrong-token"))
    assert len(fake.requests) == 1
    assert "wrong-token" not in str(raised.value)


def test_an_answer_that_is_not_json_is_reported_not_crashed_on(clock: VirtualClock) -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    http = VendorHttp("Vendor", "http://v.test", {}, transport=httpx.MockTransport(html))
    with pytest.raises(VendorRejected, match="not JSON"):
        http.get("/x")


def test_user_supplied_base_urls_must_be_https_and_public() -> None:
    local = {"localhost"}  # the local stack names its fakes' host; no other host is exempt
    assert safe_base_url("http://localhost:8080/", private_hosts=local) == "http://localhost:8080"
    for url, why in [
        ("http://169.254.169.254/latest", "https"),
        ("http://10.0.0.1", "https"),
        ("https://10.0.0.1", "private or local"),
        ("https://example.com/?x=1", "query"),
        ("http://app.example.com", "https"),
        ("https://127.0.0.1", "private or local"),
        ("https://169.254.169.254/latest", "private or local"),
        ("https://10.0.0.8", "private or local"),
        ("https://[::1]/", "private or local"),
        ("https://user:pw@example.com", "credentials"),
        ("ftp://example.com", "absolute http"),
    ]:
        with pytest.raises(UnsafeUrl, match=why):
            safe_base_url(url, private_hosts=local)


def test_durations_and_final_statuses_read_as_the_seed_shows() -> None:
    assert duration_text(330) == "5m 30s"
    assert duration_text(45.4) == "45s"
    assert duration_text(3723) == "1h 2m 3s"
    assert final_status(10, 0, 0, 3) is RunStatus.SUCCESS
    assert final_status(10, 1, 0, 3) is RunStatus.PARTIAL
    assert final_status(10, 0, 2, 3) is RunStatus.PARTIAL
    assert final_status(0, 3, 0, 3) is RunStatus.ERROR
