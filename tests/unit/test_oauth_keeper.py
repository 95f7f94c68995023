"""The OAuth2 token keeper's rules (``vendors/oauth.py``), on a vault that records what was
done to it, in virtual time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ponte.vendors import oauth
from ponte.vendors.http import VendorAuthError
from tests.support.virtual_time import VirtualClock

NOW = VirtualClock().now().timestamp()


class Recorder:
    """A vault with one other process in it: ``others`` says what that process does when
    this one asks for the claim."""

    def __init__(self, stored: Mapping[str, Any], *, others: list[str] | None = None) -> None:
        self.stored = dict(stored)
        self.version = int(stored.get("version", 0))
        self.done: list[str] = []
        self.others = others or []  # "holds": the claim is taken; "refreshed": it refreshed

    def read(self) -> dict[str, Any]:
        self.done.append("read")
        return dict(self.stored)

    def write(self, stored: Mapping[str, Any]) -> None:
        self.done.append(f"write {stored['refreshToken']}")
        self.stored = dict(stored)

    def claim(self, version: int | None, now: float, until: float) -> int | None:
        other = self.others.pop(0) if self.others else ""
        if other == "refreshed":  # it finished just now: a newer version is recorded
            self.stored |= {"accessToken": "theirs", "refreshToken": "r-theirs",
                            "expiresAt": now + 7200, "version": self.version + 1}  # fmt: skip
            self.version += 1
        if other or (version is not None and version < self.version):
            self.done.append("claim lost")
            return None
        self.done.append("claim")
        return self.version

    def release(self, version: int, refreshed_at: float) -> None:
        self.done.append(f"release {version}")
        self.version = version

    def abandon(self) -> None:
        self.done.append("abandon")


def _stored(expires_in: float, **extra: Any) -> dict[str, Any]:
    stored = {"clientId": "c", "refreshToken": "r-1", "accessToken": "a-1",
              "expiresAt": NOW + expires_in, "refreshedAt": NOW - 3600, "version": 1}  # fmt: skip
    return stored | extra


class Vendor:
    def __init__(self) -> None:
        self.spent: list[str] = []

    def __call__(self, stored: Mapping[str, Any]) -> oauth.Grant:
        token = str(stored["refreshToken"])
        if token in self.spent:
            raise VendorAuthError("RD Station refused the token refresh (invalid_grant: used)")
        self.spent.append(token)
        n = len(self.spent) + 1
        return oauth.Grant(f"a-{n}", 7200, f"r-{n}")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def test_a_token_with_more_than_five_minutes_left_is_used_as_it_is(clock: VirtualClock) -> None:
    vault, vendor = Recorder(_stored(301)), Vendor()
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    assert [keeper.token(), keeper.token()] == ["a-1", "a-1"]
    assert vendor.spent == []
    assert vault.done == ["read"]  # read once, then kept in memory


def test_less_than_five_minutes_left_refreshes_and_stores_before_it_is_used(
    clock: VirtualClock,
) -> None:
    vault, vendor = Recorder(_stored(299)), Vendor()
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    token = keeper.token()

    assert token == "a-2"
    assert vendor.spent == ["r-1"]
    # The new refresh token is written under the claim, before the claim is let go and
    # before the access token is handed to the request.
    assert vault.done == ["read", "claim", "read", "write r-2", "release 2"]
    assert vault.stored["refreshToken"] == "r-2"
    assert vault.stored["expiresAt"] == clock.now().timestamp() + 7200
    assert vault.stored["clientId"] == "c"  # the rest is left as it was


def test_a_401_refreshes_once_unless_another_process_already_did(clock: VirtualClock) -> None:
    vault, vendor = Recorder(_stored(3600)), Vendor()
    keeper = oauth.Keeper(vault, vendor, clock=clock)
    assert keeper.token() == "a-1"

    assert keeper.rejected("a-1") == "a-2"  # refused early: refreshed
    vault.stored |= {"accessToken": "a-other", "version": 9}
    vault.version = 9
    assert keeper.rejected("a-2") == "a-other"  # another process's newer token: no refresh
    assert vendor.spent == ["r-1"]


def test_a_refresher_that_finds_the_claim_taken_waits_and_uses_the_result(
    clock: VirtualClock,
) -> None:
    vault, vendor = Recorder(_stored(0), others=["holds", "refreshed"]), Vendor()
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    assert keeper.token() == "theirs"

    assert vendor.spent == []  # never spent r-1, which the other process had spent
    assert clock.slept == [oauth.WAIT_SECONDS, oauth.WAIT_SECONDS]


def test_a_stale_read_is_read_again_under_the_claim(clock: VirtualClock) -> None:
    """This process read version 1; another refreshed and stored version 2, but its record
    of the version never reached the claim (it was killed before letting go, and its claim
    expired): the claim succeeds, and the read under it finds version 2's tokens, so the
    spent refresh token is not presented again."""
    vault, vendor = Recorder(_stored(0)), Vendor()
    real_claim = vault.claim

    def claim_after_their_refresh(version: int | None, now: float, until: float) -> int | None:
        vault.stored |= {"accessToken": "theirs", "refreshToken": "r-theirs",
                         "expiresAt": now + 7200, "version": 2}  # fmt: skip
        return real_claim(None, now, until)

    vault.claim = claim_after_their_refresh  # type: ignore[method-assign]
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    assert keeper.token() == "theirs"
    assert vendor.spent == []
    assert vault.done[-1] == "release 2"


def test_a_refused_refresh_lets_go_of_the_claim_and_says_why(clock: VirtualClock) -> None:
    vault, vendor = Recorder(_stored(0)), Vendor()
    vendor.spent.append("r-1")  # spent elsewhere
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    with pytest.raises(VendorAuthError, match="invalid_grant"):
        keeper.token()
    assert vault.done[-1] == "abandon"
    assert vault.stored["refreshToken"] == "r-1"


def test_a_refusal_after_another_process_stored_newer_tokens_uses_them(
    clock: VirtualClock,
) -> None:
    """This process's claim was taken over while another's refresh, slower than the claim,
    was under way; the other spent the refresh token and stored its result: the vendor's
    refusal here is no failure of the connection."""
    vault = Recorder(_stored(0))

    def spent_by_the_other(stored: Mapping[str, Any]) -> oauth.Grant:
        vault.stored |= {"accessToken": "theirs", "refreshToken": "r-theirs",
                         "expiresAt": clock.now().timestamp() + 7200, "version": 2}  # fmt: skip
        raise VendorAuthError("RD Station refused the token refresh (invalid_grant: used)")

    keeper = oauth.Keeper(vault, spent_by_the_other, clock=clock)

    assert keeper.token() == "theirs"
    assert vault.done[-1] == "abandon"


def test_a_keepalive_renews_only_a_refresh_token_issued_before_its_bound(
    clock: VirtualClock,
) -> None:
    vault, vendor = Recorder(_stored(7000)), Vendor()
    keeper = oauth.Keeper(vault, vendor, clock=clock)

    assert keeper.renew(NOW - 7200) is False  # issued an hour ago
    assert keeper.renew(NOW) is True
    assert vault.stored["refreshedAt"] == NOW
    assert keeper.renew(NOW) is False  # already renewed
    assert vendor.spent == ["r-1"]


def test_new_credentials_become_the_next_version_under_the_claim(clock: VirtualClock) -> None:
    vault = Recorder(_stored(7000) | {"version": 4})

    oauth.replace(vault, _stored(7200, refreshToken="r-new", version=1), clock=clock)

    assert vault.stored["refreshToken"] == "r-new"
    assert vault.stored["version"] == 5
    assert vault.done == ["claim", "read", "write r-new", "release 5"]
