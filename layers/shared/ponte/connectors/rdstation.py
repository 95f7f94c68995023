"""RD Station CRM streams: contacts and leads (deals).

RD Station pages lists by page number only: an offset, over which a record that changes moves
to the end of the ``updated_at`` sort and shifts every record after it. So Ponte pages by key:
each query asks for its first page of records updated at or after the second of the last
update read (RDQL compares whole seconds), skipping the ids already read in that second; the
boundary is read again, never jumped.

More records in one second than a page holds can only be paged by number, within that second
alone: there a record that changes leaves the second and shifts the pages after it. After
such a second, one cheap query asks for the account's newest update: if anything changed
since Ponte began that second, the second is read once more from its first page.

A full sync (or the first run) starts with no filter; an increment from the newest change the
previous run saw (that second read again, found unchanged). No query pages near the 10,000
rows RD Station lists.

Authentication is OAuth2 (``vendors/oauth.py`` keeps the tokens): a person gives the app's
client id and secret with a refresh token, or with the code of an authorization and its
redirect URI; either is spent when the connection is saved, for the tokens that are stored.
A refresh token unused for 14 days dies, so the daily keep-alive renews those older than 7.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails

from ponte.clock import get_clock
from ponte.connectors.base import (
    Connector,
    Cursor,
    Item,
    Page,
    StreamStuck,
    items_of,
    normalised_time,
)
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform, Text, Token
from ponte.vendors import oauth, rdstation
from ponte.vendors.http import VendorHttp

STREAMS = tuple(rdstation.RESOURCES)
# How far RD Station's clock (and its whole-second times) may be from ours: a change this
# close to when Ponte began reading a second counts as a change during it.
CLOCK_MARGIN: Final = timedelta(seconds=2)
RENEW_AFTER = timedelta(days=7)  # half a refresh token's 14 days unused


def _problem(field: str, kind: str, message: str = "") -> InitErrorDetails:
    if kind == "value_error":
        return InitErrorDetails(
            type="value_error", loc=(field,), input=None, ctx={"error": ValueError(message)}
        )
    return InitErrorDetails(type="missing", loc=(field,), input=None)


class RdStationGrant(Credentials):
    """What a person gives: the app's ``clientId`` and ``clientSecret`` with a
    ``refreshToken``, or with the ``code`` of an authorization (valid 5 minutes) and the
    ``redirectUri`` it was issued for. ``workspaceId`` is optional: shown on the connection,
    never sent to RD Station."""

    clientId: Token
    clientSecret: Token
    refreshToken: Token | None = None
    code: Token | None = None
    redirectUri: Text | None = None
    workspaceId: Text | None = None

    @model_validator(mode="after")
    def _one_grant(self) -> RdStationGrant:
        problems: list[InitErrorDetails] = []
        if self.refreshToken and self.code:
            problems.append(_problem("code", "value_error", "Give refreshToken or code, not both"))
        elif not self.refreshToken and not self.code:
            problems.append(_problem("refreshToken", "value_error", "Campo obrigatório (or code)"))
        elif self.code and not self.redirectUri:
            problems.append(_problem("redirectUri", "missing"))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


class RdStationCredentials(Credentials):
    """What is stored (Secrets Manager): the app, the current tokens (``vendors/oauth.py``
    rewrites them on every refresh) and the name pacing gives the account."""

    clientId: str
    clientSecret: str
    refreshToken: str
    accessToken: str = ""
    expiresAt: float = 0.0
    refreshedAt: float = 0.0
    version: int = 0
    account: str  # a digest of the first grant: stable while the tokens rotate
    workspaceId: str | None = None


class ListCursor(Cursor):
    """``mode``: "list" (by key from ``since``), "tie" (the second of ``since`` alone, by
    page number: more records in it than a page holds), "check" (did anything change while
    that second was read?), "verify" (that second once more, from its first page)."""

    mode: Literal["list", "tie", "check", "verify"] = "list"
    since: str = ""  # the key: a normalised time, compared by its second ('' for none)
    seen: tuple[str, ...] = ()  # ids already read in the key's second
    page: int = 1  # tie / verify: the page of the second's own query
    high: str = ""  # the newest update seen: the next run's start
    tie_started: str = ""  # when Ponte began reading the second by page (normalised)

    @model_validator(mode="before")
    @classmethod
    def _saved_before_key_paging(cls, raw: Any) -> Any:
        """A cursor saved by an earlier version paged by number from ``since``; it goes on
        from the last update it read (``last``), that second read again."""
        if isinstance(raw, dict) and "mode" not in raw:
            since = raw.get("last") or raw.get("since") or ""
            return {"since": since, "high": raw.get("high", "")}
        return raw


class UpdatedSince(Cursor):
    since: str


def _second(moment: str) -> str:
    return moment[:19]


def _next_second(moment: str) -> str:
    start = datetime.fromisoformat(_second(moment) + "+00:00") + timedelta(seconds=1)
    return normalised_time(start.isoformat())


class ListStream:
    cursor_type = ListCursor
    resume_type = UpdatedSince

    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: UpdatedSince | None, full: bool) -> ListCursor:
        since = "" if full or saved is None else saved.since
        return ListCursor(since=since, high=since)

    def page(self, cursor: ListCursor) -> Page[ListCursor]:
        if cursor.mode == "list":
            return self._by_key(cursor)
        if cursor.mode == "check":
            return self._check(cursor)
        return self._one_second(cursor)

    def _read(self, number: int, since: str, before: str = "") -> tuple[list[Item], Any, int]:
        records = rdstation.list_page(self.http, self.name, number, since, before=before)
        items, problems = items_of(
            records,
            lambda raw: normalised_time(raw.get("updated_at") or raw.get("created_at")),
            "record without an id or an updated_at",
        )
        return items, problems, len(records)

    def _by_key(self, cursor: ListCursor) -> Page[ListCursor]:
        started = normalised_time(get_clock().now().isoformat())
        items, problems, count = self._read(1, cursor.since)
        key = _second(cursor.since)
        fresh = [i for i in items if not (_second(i.updated_at) == key and i.id in cursor.seen)]
        high = max([*(i.updated_at for i in items), cursor.high])
        if count < rdstation.PAGE_SIZE:
            return Page(fresh, cursor.model_copy(update={"high": high}), True, problems)
        if not items:
            raise StreamStuck(f"a page of {self.name} without update times")
        first, last = items[0].updated_at, items[-1].updated_at
        if _second(first) == _second(last):
            # A whole page in one second: this is its first page; the next by number.
            following = cursor.model_copy(update={
                "mode": "tie", "since": last, "page": 2, "high": high, "tie_started": started,
                "seen": cursor.seen if _second(last) == key else (),
            })  # fmt: skip
            return Page(fresh, following, False, problems)
        seen = tuple(i.id for i in items if _second(i.updated_at) == _second(last))
        following = cursor.model_copy(update={"since": last, "seen": seen, "high": high})
        return Page(fresh, following, False, problems)

    def _one_second(self, cursor: ListCursor) -> Page[ListCursor]:
        number = cursor.page
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            raise StreamStuck(
                f"more than {rdstation.ROW_CEILING} {self.name} share one update second: "
                "the list cannot page past them"
            )
        since = cursor.since
        items, problems, count = self._read(number, since, _next_second(since))
        fresh = [i for i in items if i.id not in cursor.seen]
        high = max([*(i.updated_at for i in items), cursor.high])
        if count >= rdstation.PAGE_SIZE:
            following = cursor.model_copy(update={"page": number + 1, "high": high})
        elif cursor.mode == "tie":  # paged by number: was a record moved meanwhile?
            following = cursor.model_copy(update={"mode": "check", "high": high})
        else:
            following = _after_the_second(cursor, high)
        return Page(fresh, following, False, problems)

    def _check(self, cursor: ListCursor) -> Page[ListCursor]:
        """One row: the account's newest update. Changed since the second's pages began (or
        too close to tell): that second is read once more."""
        newest = rdstation.newest(self.http, self.name)
        moment = normalised_time((newest or {}).get("updated_at") or "")
        began = datetime.fromisoformat(cursor.tie_started.replace("Z", "+00:00"))
        quiet = normalised_time((began - CLOCK_MARGIN).isoformat())
        if moment and moment >= quiet:
            return Page([], cursor.model_copy(update={"mode": "verify", "page": 1}), False)
        return Page([], _after_the_second(cursor, cursor.high), False)

    def resume_point(self, cursor: ListCursor, saved: UpdatedSince | None) -> UpdatedSince | None:
        return UpdatedSince(since=cursor.high) if cursor.high else saved


def _after_the_second(cursor: ListCursor, high: str) -> ListCursor:
    """The second is read: on by key from the next one."""
    return cursor.model_copy(update={
        "mode": "list", "since": _next_second(cursor.since), "seen": (), "page": 1,
        "high": high, "tie_started": "",
    })  # fmt: skip


TOKEN_ATTEMPTS = 2  # a refresh holds the token claim: its tries must fit in the claim


def _token_client(account: str, build: Build) -> VendorHttp:
    settings = build.settings
    pace = rdstation.pacer(account, settings.rdstation_requests_per_minute, build.schedule)
    return rdstation.token_client(
        base_url=settings.rdstation_base_url,
        pace=pace,
        max_attempts=min(build.attempts, TOKEN_ATTEMPTS),
    )


def _prepare(given: RdStationGrant, build: Build) -> RdStationCredentials:
    """The tokens of the grant a person gave (the code exchanged, or the refresh token
    spent): what is stored."""
    first = given.refreshToken or given.code or ""
    account = hashlib.sha256(f"{given.clientId}:{first}".encode()).hexdigest()[:16]
    tokens = _token_client(account, build)
    try:
        if given.refreshToken:
            grant = rdstation.refresh(
                tokens, given.clientId, given.clientSecret, given.refreshToken
            )
        else:
            grant = rdstation.exchange_code(
                tokens, given.clientId, given.clientSecret, given.code or "",
                given.redirectUri or "",
            )  # fmt: skip
    finally:
        tokens.close()
    now = get_clock().now().timestamp()
    stored = {
        "clientId": given.clientId,
        "clientSecret": given.clientSecret,
        "refreshToken": given.refreshToken or "",
        "account": account,
        "workspaceId": given.workspaceId,
    }
    return RdStationCredentials.model_validate(oauth.granted(stored, grant, now, 1))


def _build(credentials: RdStationCredentials, build: Build) -> Connector:
    settings = build.settings
    tokens = _token_client(credentials.account, build)

    def refresh(stored: Any) -> oauth.Grant:
        current = RdStationCredentials.model_validate(stored)
        return rdstation.refresh(
            tokens, current.clientId, current.clientSecret, current.refreshToken
        )

    vault = build.vault or oauth.MemoryVault(credentials.model_dump(mode="json"))
    keeper = oauth.Keeper(vault, refresh)
    http = rdstation.client(
        keeper,
        base_url=settings.rdstation_base_url,
        pace=rdstation.pacer(credentials.account, settings.rdstation_requests_per_minute,
                             build.schedule),
        max_attempts=build.attempts,
    )  # fmt: skip

    def close() -> None:
        http.close()
        tokens.close()

    streams = [ListStream(http, name) for name in STREAMS]
    return Connector(
        Platform.RDSTATION, streams, lambda: rdstation.check(http), close, renew=keeper.renew
    )


def _workspace(credentials: RdStationCredentials) -> str | None:
    return credentials.workspaceId


SPEC = ConnectorSpec(
    Platform.RDSTATION,
    RdStationCredentials,
    STREAMS,
    _build,
    workspace=_workspace,
    given=RdStationGrant,
    prepare=_prepare,
    renew_after=RENEW_AFTER,
)
