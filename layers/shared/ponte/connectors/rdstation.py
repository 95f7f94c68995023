"""RD Station CRM streams: contacts and leads (deals).

Records are listed in ``updated_at`` order. A full sync (or the first run) starts with no
filter; an increment filters on ``updated_at`` from the newest change the previous run saw
(records changed at that second come back once more and are recognised as unchanged). A
query never pages past its first 10,000 rows: before it would, it restarts from the last
``updated_at`` seen, so none is skipped.

Authentication is OAuth2 (``vendors/oauth.py`` keeps the tokens): a person gives the app's
client id and secret with a refresh token, or with the code of an authorization and its
redirect URI; either is spent when the connection is saved, for the tokens that are stored.
A refresh token unused for 14 days dies, so the daily keep-alive renews those older than 7.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails

from ponte.clock import get_clock
from ponte.connectors.base import (
    Connector,
    Cursor,
    Page,
    StreamStuck,
    items_of,
    normalised_time,
)
from ponte.connectors.spec import Build, ConnectorSpec
from ponte.domain.connectors import Credentials, Platform, Text
from ponte.vendors import oauth, rdstation
from ponte.vendors.http import VendorHttp

STREAMS = tuple(rdstation.RESOURCES)
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

    clientId: Text
    clientSecret: Text
    refreshToken: Text | None = None
    code: Text | None = None
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
    since: str = ""  # the filter's lower bound (a normalised time; '' for none)
    page: int = 1
    high: str = ""  # the newest update seen: the next run's start
    last: str = ""  # the last update read, where a capped query restarts


class UpdatedSince(Cursor):
    since: str


class ListStream:
    cursor_type = ListCursor
    resume_type = UpdatedSince

    def __init__(self, http: VendorHttp, name: str) -> None:
        self.http = http
        self.name = name

    def start(self, saved: UpdatedSince | None, full: bool) -> ListCursor:
        since = "" if full or saved is None else saved.since
        return ListCursor(since=since, high=since, last=since)

    def page(self, cursor: ListCursor) -> Page[ListCursor]:
        since, number = cursor.since, cursor.page
        if number * rdstation.PAGE_SIZE > rdstation.ROW_CEILING:
            if not cursor.last or cursor.last <= since:
                raise StreamStuck(
                    f"more than {rdstation.ROW_CEILING} {self.name} share one update time: "
                    "the list cannot page past them"
                )
            since, number = cursor.last, 1  # restart from the last update time seen
        records = rdstation.list_page(self.http, self.name, number, since)
        items, problems = items_of(
            records,
            lambda raw: normalised_time(raw.get("updated_at") or raw.get("created_at")),
            "record without an id or an updated_at",
        )
        times = [i.updated_at for i in items]
        next_cursor = ListCursor(
            since=since,
            page=number + 1,
            high=max([*times, cursor.high]),
            last=times[-1] if times else cursor.last,
        )
        return Page(items, next_cursor, len(records) < rdstation.PAGE_SIZE, problems)

    def resume_point(self, cursor: ListCursor, saved: UpdatedSince | None) -> UpdatedSince | None:
        return UpdatedSince(since=cursor.high) if cursor.high else saved


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
