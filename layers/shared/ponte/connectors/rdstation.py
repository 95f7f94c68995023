"""RD Station CRM streams: contacts and leads (deals).

RD Station pages lists by page number only: an offset, over which a record that changes moves
to the end of the ``updated_at`` sort and shifts every record after it. So Ponte pages by key:
each query asks for its first page of records updated at or after the second of the last
update read (RDQL compares whole seconds), skipping the ids already read in that second; the
boundary is read again, never jumped.

More records in one second than a page holds can only be paged by number (the query from that
second, page 2, 3, …, until a page runs past it): there a record already read that changes
moves away and shifts the rest, so the record at a page's edge can slide onto a page already
read. Every change lands after the stream's key, so the stream reads it before it ends: if
the newest update it read is later than when a second's paging began (less a margin for the
clocks and RD Station's whole seconds), that stretch is read once more at the end.

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
# close to when Ponte began paging a second by number counts as a change during it.
CLOCK_MARGIN: Final = timedelta(seconds=2)
# Stretches paged by number a cursor remembers; past that the oldest is read again at once.
TIES_KEPT: Final = 100
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


class Tie(Cursor):
    """A stretch paged by number: from the second ``first`` up to (not including) the second
    ``until`` ('' for the stream's end), begun at ``began`` (normalised, Ponte's clock)."""

    first: str
    until: str = ""
    began: str


class ListCursor(Cursor):
    """``mode``: "list" (by key: the first page from ``since``'s second, ``seen`` skipped) or
    "tie" (page ``page`` of the query from ``since``'s second: more records in that second
    than a page holds). ``again``: a stretch being read once more, at ``again_page``."""

    mode: Literal["list", "tie"] = "list"
    since: str = ""  # the key: a normalised time, compared by its second ('' for none)
    seen: tuple[str, ...] = ()  # ids already read in the key's second
    page: int = 1  # tie: the page of the query from the key's second
    high: str = ""  # the newest update seen: the next run's start
    ties: tuple[Tie, ...] = ()  # stretches paged by number, to read again if changed
    again: Tie | None = None
    again_page: int = 1
    ending: bool = False  # read to its end: the stretches left in ``ties`` are read again

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


def _now() -> str:
    return normalised_time(get_clock().now().isoformat())


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
        if cursor.again is not None:
            return self._again(cursor)
        return self._paged(cursor)

    def _read(
        self, number: int, since: str, before: str = ""
    ) -> tuple[list[Item], list[tuple[str, str]], int]:
        records = rdstation.list_page(self.http, self.name, number, since, before=before)
        items, problems = items_of(
            records,
            lambda raw: normalised_time(raw.get("updated_at") or raw.get("created_at")),
            "record without an id or an updated_at",
        )
        return items, problems, len(records)

    def _paged(self, cursor: ListCursor) -> Page[ListCursor]:
        """A page by key (mode "list": the first page from the key's second) or by number
        within a crowded second (mode "tie")."""
        began = _now()
        tie = cursor.mode == "tie"
        number = cursor.page if tie else 1
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            raise StreamStuck(
                f"more than {rdstation.ROW_CEILING} {self.name} share one update second: "
                "the list cannot page past them"
            )
        items, problems, count = self._read(number, cursor.since)
        key = _second(cursor.since)
        fresh = [i for i in items if not (_second(i.updated_at) == key and i.id in cursor.seen)]
        high = max([*(i.updated_at for i in items), cursor.high])
        if count < rdstation.PAGE_SIZE:  # the end of the stream
            ties = _closed(cursor.ties, "") if tie else cursor.ties
            return self._end(cursor.model_copy(update={"high": high, "ties": ties}), fresh,
                             problems)  # fmt: skip
        if not items:
            raise StreamStuck(f"a page of {self.name} without update times")
        first, last = _second(items[0].updated_at), _second(items[-1].updated_at)
        if tie and last == key:  # still in the crowded second: its next page
            return Page(fresh, cursor.model_copy(update={"page": number + 1, "high": high}),
                        False, problems)  # fmt: skip
        ties = _closed(cursor.ties, last) if tie else cursor.ties
        if first == last:  # a whole page in one second (its first page): the next by number
            seen = cursor.seen if last == key else ()
            opened = (*ties, Tie(first=last, began=began))
            following = cursor.model_copy(update={
                "mode": "tie", "since": items[-1].updated_at, "seen": seen, "page": 2,
                "high": high, "ties": opened,
            })  # fmt: skip
            return Page(fresh, _capped(following), False, problems)
        seen = tuple(i.id for i in items if _second(i.updated_at) == last)
        following = cursor.model_copy(update={
            "mode": "list", "since": items[-1].updated_at, "seen": seen, "page": 1,
            "high": high, "ties": ties,
        })  # fmt: skip
        return Page(fresh, following, False, problems)

    def _end(
        self, cursor: ListCursor, items: list[Item], problems: list[tuple[str, str]]
    ) -> Page[ListCursor]:
        """The stream read to its end: the stretches paged by number since which something
        changed (the newest update read is later) are read again; then it is done."""
        changed = tuple(t for t in cursor.ties if cursor.high >= _earlier(t.began, CLOCK_MARGIN))
        if not changed:
            return Page(items, cursor.model_copy(update={"ties": ()}), True, problems)
        following = cursor.model_copy(
            update={"ties": changed[1:], "again": changed[0], "again_page": 1, "ending": True}
        )
        return Page(items, following, False, problems)

    def _again(self, cursor: ListCursor) -> Page[ListCursor]:
        """A stretch paged by number, read once more (by number: what it reads twice is
        unchanged)."""
        stretch, number = cursor.again, cursor.again_page
        assert stretch is not None
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            raise StreamStuck(f"a stretch of {self.name} too long to read again by page")
        items, problems, count = self._read(number, stretch.first, stretch.until)
        high = max([*(i.updated_at for i in items), cursor.high])
        if count >= rdstation.PAGE_SIZE:
            following = cursor.model_copy(update={"again_page": number + 1, "high": high})
            return Page(items, following, False, problems)
        read = cursor.model_copy(update={"again": None, "again_page": 1, "high": high})
        if not cursor.ending:  # read again before its turn (too many kept): on with paging
            return Page(items, read, False, problems)
        if read.ties:  # the next one changed
            following = read.model_copy(update={"again": read.ties[0], "ties": read.ties[1:]})
            return Page(items, following, False, problems)
        return Page(items, read, True, problems)

    def resume_point(self, cursor: ListCursor, saved: UpdatedSince | None) -> UpdatedSince | None:
        return UpdatedSince(since=cursor.high) if cursor.high else saved


def _earlier(moment: str, by: timedelta) -> str:
    return normalised_time((datetime.fromisoformat(moment.replace("Z", "+00:00")) - by).isoformat())


def _closed(ties: tuple[Tie, ...], until: str) -> tuple[Tie, ...]:
    """The last stretch paged by number ends before the second ``until`` ('' at the end)."""
    if not ties:
        return ties
    return (*ties[:-1], ties[-1].model_copy(update={"until": until}))


def _capped(cursor: ListCursor) -> ListCursor:
    """Past TIES_KEPT stretches, the oldest is read again at once, changed or not."""
    if len(cursor.ties) <= TIES_KEPT:
        return cursor
    return cursor.model_copy(
        update={"ties": cursor.ties[1:], "again": cursor.ties[0], "again_page": 1}
    )


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
    web=lambda _: rdstation.WEB_BASE,
    record_url=rdstation.web_url,
)
