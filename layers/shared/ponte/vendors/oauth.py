"""OAuth2 access tokens that expire, refreshed with refresh tokens that rotate on every use.

A :class:`Keeper` gives a vendor client its access token (``http.BearerTokens``). The tokens
live with the connection's credentials in a :class:`Vault` (Secrets Manager for a stored
connection; memory while a new one is tested), and every refresh follows one rule:

- refresh when less than ``MARGIN_SECONDS`` remain, or once when the vendor answers 401;
- only the holder of the vault's *claim* refreshes: a conditional write that succeeds for one
  process at a time, and only while nobody has stored a newer version than the one it read.
  Another process that wants a refresh meanwhile waits and reads the holder's result, so a
  refresh token is never spent twice (the vendor would refuse the second: ``invalid_grant``);
- the new tokens are written to the vault *before* the new access token is used and before
  the claim is let go: a process killed after the vendor rotated the refresh token but before
  it used the access token leaves the new refresh token stored;
- a claim its holder never let go (it was killed) expires after ``CLAIM_SECONDS``, longer
  than a token request can take.

The keeper names no vendor: the vendor's token request is the ``refresh`` it is given.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from ponte.clock import Clock, get_clock
from ponte.vendors.http import VendorAuthError, VendorUnavailable

MARGIN_SECONDS = 300.0  # refresh when less than 5 minutes remain
# A claim outlives the token request it covers: its pacing, two tries (timeouts of 35 s, a
# Retry-After of at most 60 s) fit well within it.
CLAIM_SECONDS = 180.0
WAIT_SECONDS = 1.0  # between looks at another process's refresh
REPLACE_WAIT_SECONDS = 10.0  # how long a person's credentials change waits for a refresh


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token endpoint answered."""

    access_token: str
    expires_in: float
    refresh_token: str | None  # None: the vendor kept the refresh token as it was


class TokenSet(BaseModel):
    """The fields of a connection's stored credentials that a keeper reads and writes (the
    rest, the app's client id and secret say, it leaves as they are)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    refreshToken: str
    accessToken: str = ""
    expiresAt: float = 0.0  # epoch seconds
    refreshedAt: float = 0.0  # when the refresh token was issued (epoch seconds)
    version: int = 0  # one more on every refresh or replacement

    def fresh(self, now: float) -> bool:
        return bool(self.accessToken) and self.expiresAt - now > MARGIN_SECONDS


def granted(stored: Mapping[str, Any], grant: Grant, now: float, version: int) -> dict[str, Any]:
    """``stored`` with the tokens of ``grant`` (issued at ``now``) as ``version``."""
    current = TokenSet.model_validate(stored)
    return dict(stored) | {
        "accessToken": grant.access_token,
        "expiresAt": now + grant.expires_in,
        "refreshToken": grant.refresh_token or current.refreshToken,
        "refreshedAt": now,
        "version": version,
    }


class Vault(Protocol):
    """Where a connection's credentials live, with the claim that serialises refreshes."""

    def read(self) -> dict[str, Any]:
        """The stored credentials, as last written."""
        ...

    def write(self, stored: Mapping[str, Any]) -> None: ...

    def claim(self, version: int | None, now: float, until: float) -> int | None:
        """Take the right to change the credentials until ``until``, unless another process
        holds it (and it has not expired) or, with ``version``, a version newer than
        ``version`` was recorded. The recorded version when taken; None when not."""
        ...

    def release(self, version: int, refreshed_at: float) -> None:
        """Record ``version`` (and when its refresh token was issued) and let go of the claim
        (also the first record of a connection's tokens, which needs no claim)."""
        ...

    def abandon(self) -> None:
        """Let go of the claim, recording nothing (the refresh failed)."""
        ...


class MemoryVault:
    """Credentials in memory: a new connection's while its credentials are tested, before
    anything is stored (one process, so a claim always succeeds)."""

    def __init__(self, stored: Mapping[str, Any]) -> None:
        self._stored = dict(stored)
        self._version = int(stored.get("version") or 0)
        self._lock = threading.Lock()

    def read(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._stored)

    def write(self, stored: Mapping[str, Any]) -> None:
        with self._lock:
            self._stored = dict(stored)

    def claim(self, version: int | None, now: float, until: float) -> int | None:
        return self._version

    def release(self, version: int, refreshed_at: float) -> None:
        self._version = version

    def abandon(self) -> None:
        return None


Refresh = Callable[[Mapping[str, Any]], Grant]  # the stored credentials -> the vendor's answer


class Keeper:
    """A connection's access token for its vendor client (``http.BearerTokens``), refreshed
    as the module says. ``refresh`` asks the vendor for new tokens from the stored
    credentials; it raises ``VendorAuthError`` when the vendor refuses (``invalid_grant``)."""

    def __init__(self, vault: Vault, refresh: Refresh, *, clock: Clock | None = None) -> None:
        self.vault = vault
        self._refresh = refresh
        self._clock = clock
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()
        self.refreshes = 0  # made by this keeper (the others' results it only read)

    @property
    def clock(self) -> Clock:
        return self._clock or get_clock()

    def token(self) -> str:
        with self._lock:
            now = self.clock.now().timestamp()
            if self._tokens is None or not self._tokens.fresh(now):
                self._tokens = self._renewed(lambda t, now: not t.fresh(now))
            return self._tokens.accessToken

    def rejected(self, token: str) -> str:
        with self._lock:
            self._tokens = self._renewed(lambda t, now: t.accessToken == token or not t.fresh(now))
            return self._tokens.accessToken

    def renew(self, issued_before: float) -> bool:
        """Refresh now if the stored refresh token was issued before ``issued_before`` (a
        keep-alive: a refresh token unused for too long dies). True when this call did."""
        with self._lock:
            before = self.refreshes
            self._tokens = self._renewed(lambda t, now: t.refreshedAt < issued_before)
            return self.refreshes > before

    def _renewed(self, stale: Callable[[TokenSet, float], bool]) -> TokenSet:
        """The stored tokens once they are not ``stale``: refreshed here under the vault's
        claim, or by another process whose result is read."""
        clock = self.clock
        give_up = clock.now().timestamp() + 2 * CLAIM_SECONDS
        while True:
            tokens = TokenSet.model_validate(self.vault.read())
            now = clock.now().timestamp()
            if not stale(tokens, now):
                return tokens
            held = self.vault.claim(tokens.version, now, now + CLAIM_SECONDS)
            if held is not None:
                return self._refresh_held(stale)
            if now >= give_up:
                raise VendorUnavailable(
                    "another process's token refresh did not finish", "token refresh", 1
                )
            clock.sleep(WAIT_SECONDS)  # another process is refreshing: read its result

    def _refresh_held(self, stale: Callable[[TokenSet, float], bool]) -> TokenSet:
        try:
            # Read again under the claim: what was read before it may predate a refresh that
            # ended meanwhile, and that refresh token is spent.
            stored = self.vault.read()
            tokens = TokenSet.model_validate(stored)
            now = self.clock.now().timestamp()
            if not stale(tokens, now):
                self.vault.release(tokens.version, tokens.refreshedAt)
                return tokens
            try:
                grant = self._refresh(stored)
            except VendorAuthError:
                # Refused: unless a process whose claim had expired under it stored newer
                # tokens meanwhile (the vendor then refused the refresh token it spent).
                latest = TokenSet.model_validate(self.vault.read())
                if latest.version > tokens.version and not stale(latest, now):
                    self.vault.abandon()
                    return latest
                raise
            now = self.clock.now().timestamp()
            renewed = granted(stored, grant, now, tokens.version + 1)
            # Stored before the new access token is used: the old refresh token is spent.
            self.vault.write(renewed)
        except BaseException:
            self.vault.abandon()
            raise
        self.refreshes += 1
        self.vault.release(tokens.version + 1, now)
        return TokenSet.model_validate(renewed)


def replace(vault: Vault, stored: Mapping[str, Any], *, clock: Clock | None = None) -> None:
    """Store new credentials (a person gave them) as the next version, after any refresh
    under way: a refresh that ended later would otherwise store the old grant's tokens over
    them. A claim that outlives ``REPLACE_WAIT_SECONDS`` is not waited for."""
    clock = clock or get_clock()
    give_up = clock.now().timestamp() + REPLACE_WAIT_SECONDS
    while True:
        now = clock.now().timestamp()
        held = vault.claim(None, now, now + CLAIM_SECONDS)
        if held is not None or now >= give_up:
            break
        clock.sleep(WAIT_SECONDS)
    try:
        previous = int(vault.read().get("version") or 0)
    except Exception:  # none yet, or of a kind that had no version
        previous = 0
    version = max(held or 0, previous) + 1
    tokens = TokenSet.model_validate(stored)
    vault.write(dict(stored) | {"version": version})
    vault.release(version, tokens.refreshedAt)
