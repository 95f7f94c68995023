"""The toolkit under the vendor clients: pacing, retries, redaction, base URLs (virtual time;
the vendor side is a fake mounted in httpx)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from devstack.hubspot_fake import HubSpotFake
from ponte.domain.connectors import RunStatus, duration_text, final_status
from ponte.vendors import hubspot
from ponte.vendors.http import (
    PinnedTransport,
    UnsafeUrl,
    VendorAuthError,
    VendorBlocked,
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


@pytest.mark.parametrize("token", ["m\u00e4ster-token", "tok\u200ben", "tok\nen"])
def test_a_token_a_header_cannot_carry_is_refused_before_sending_never_named(
    clock: VirtualClock, token: str
) -> None:
    fake = HubSpotFake()
    with pytest.raises(VendorAuthError) as raised:
        hubspot.check(_client(fake, token))
    assert raised.value.status == 0
    assert "printable ASCII" in str(raised.value)
    assert not any(c in str(raised.value) for c in token if not c.isascii() or c == "\n")
    assert fake.requests == []


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 307, 308])
def test_a_redirect_is_an_error_that_names_its_status(clock: VirtualClock, status: int) -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": "https://login.example.com/"})

    http = VendorHttp("Vendor", "http://v.test", {}, transport=httpx.MockTransport(redirect))
    with pytest.raises(VendorRejected, match=f"HTTP {status}") as raised:
        http.get("/x")
    assert raised.value.status == status
    assert http.requests == 1  # not retried, not followed


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
        # IPv4 written as IPv6: mapped, compatible (deprecated), NAT64, 6to4
        ("https://[::ffff:127.0.0.1]", "private or local"),
        ("https://[::7f00:1]", "private or local"),
        ("https://[::127.0.0.1]", "private or local"),
        ("https://[::a9fe:a9fe]", "private or local"),
        ("https://[64:ff9b::a9fe:a9fe]", "private or local"),
        ("https://[64:ff9b::10.0.0.1]", "private or local"),
        ("https://[2002:a9fe:a9fe::1]", "private or local"),
        ("https://[fe80::1%25eth0]", "not a host name"),
        # numbers that resolve to loopback
        ("https://2130706433", "private or local"),
        ("https://0177.0.0.1", "private or local"),
    ]:
        with pytest.raises(UnsafeUrl, match=why):
            safe_base_url(url, private_hosts=local)


@pytest.mark.parametrize(
    "url",
    [
        "https://[1.1.1.1]", "https://1.1.1.1:99999", "https://example.com:abc",
        "https://example.com:-1", "https://example.com:0", "https://[::1", "https://]",
        "https://exa\r\nmple.com", "https://example.com/\r\nX-Injected: 1", "https://a\x00.com",
        "https://exa mple.com", "https://ex%41mple.com", "https://b\u00fccher.example",
        "https://a..b", "https://-a.com", "https://evil.com\\@good.com", "https://",
        "https://example.com?", "https://example.com#", "https://:443", "//example.com",
    ],
)  # fmt: skip
def test_a_base_url_that_does_not_parse_is_unsafe_never_a_value_error(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        safe_base_url(url)


class Dns:
    """A resolver whose answers change (rebinding), checked as the transport checks them."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        from ponte.vendors import http as toolkit

        self.asked.append(host)
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if not toolkit.is_public(ipaddress.ip_address(address)):
            raise UnsafeUrl(f"the host {host} resolves to a private or local address")
        return [address]


Sent = tuple[str, str, str]  # (the address connected to, Host, SNI) as the request left


def _pinned(dns: Dns, private: tuple[str, ...] = ()) -> tuple[VendorHttp, list[Sent]]:
    seen: list[Sent] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        sni = request.extensions.get("sni_hostname", "")
        seen.append((request.url.host, request.headers["Host"], sni))
        return httpx.Response(200, json={"ok": True})

    pinned = PinnedTransport(private, resolve=dns, inner=httpx.MockTransport(vendor))
    return VendorHttp("Vendor", "https://vendor.example", {}, transport=pinned), seen


def test_each_request_connects_to_the_address_it_checked_keeping_sni_and_host(
    clock: VirtualClock,
) -> None:
    dns = Dns("93.184.216.34", "2606:4700::1111")
    http, seen = _pinned(dns)
    http.get("/a")
    http.get("/b")

    assert dns.asked == ["vendor.example", "vendor.example"]  # resolved on every request
    assert seen == [
        ("93.184.216.34", "vendor.example", "vendor.example"),
        ("2606:4700::1111", "vendor.example", "vendor.example"),
    ]


@pytest.mark.parametrize(
    "rebound", ["127.0.0.1", "169.254.169.254", "10.0.0.8", "::1", "::ffff:127.0.0.1",
                "::7f00:1", "64:ff9b::a9fe:a9fe", "fd00::1"],
)  # fmt: skip
def test_a_host_rebound_to_a_private_address_is_never_connected_to(
    clock: VirtualClock, rebound: str
) -> None:
    dns = Dns("93.184.216.34", rebound)
    http, seen = _pinned(dns)
    http.get("/checked")
    with pytest.raises(VendorBlocked, match="private or local"):
        http.get("/rebound")

    assert [address for address, _, _ in seen] == ["93.184.216.34"]  # never the private one
    assert http.requests == 2  # refused at once, not retried


def test_only_the_named_private_hosts_pass_unpinned_and_may_be_http(clock: VirtualClock) -> None:
    dns = Dns("93.184.216.34")
    seen: list[str] = []

    def fake(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    local = PinnedTransport(("127.0.0.1",), resolve=dns, inner=httpx.MockTransport(fake))
    VendorHttp("Fake", "http://127.0.0.1:8080", {}, transport=local).get("/x")
    assert dns.asked == []
    assert seen == ["http://127.0.0.1:8080/x"]
    plain = PinnedTransport((), resolve=dns, inner=httpx.MockTransport(fake))
    with pytest.raises(VendorBlocked, match="https"):
        VendorHttp("Vendor", "http://vendor.example", {}, transport=plain).get("/x")


def test_durations_and_final_statuses_read_as_the_seed_shows() -> None:
    assert duration_text(330) == "5m 30s"
    assert duration_text(45.4) == "45s"
    assert duration_text(3723) == "1h 2m 3s"
    assert final_status(10, 0, 0, 3) is RunStatus.SUCCESS
    assert final_status(10, 1, 0, 3) is RunStatus.PARTIAL
    assert final_status(10, 0, 2, 3) is RunStatus.PARTIAL
    assert final_status(0, 3, 0, 3) is RunStatus.ERROR
