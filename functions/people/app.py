"""/api/v1/people… — people across systems: search, a person and their timeline, the links a
person settles, a relink; and /admin/people, the page that signs its user in. Admins see
everyone; coordinators, the people of the units the hierarchy lets them see; other roles 403.
Every read of a person writes one audit line (who, what, scope), refusals included.

One module serves the routes; the template deploys each route as its own function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.auth.principals import Role
from ponte.domain.people import PersonKind, PersonRef
from ponte.errors import DomainError
from ponte.http import pages
from ponte.http import people as rows
from ponte.http.api import (
    create_app,
    json_response,
    lambda_handler,
    parse_body,
    parse_query,
    principal,
    user,
)
from ponte.http.envelopes import Flavor, status_of
from ponte.http.params import DIGITS
from ponte.http.responses import CursorMeta
from ponte.http.responses import people as out
from ponte.observability import logger
from ponte.repository.people import Entry
from ponte.services import paging
from ponte.services.hierarchy.visibility import resolve
from ponte.services.people import relink_job
from ponte.services.people.views import PeopleService, known_connections

app = create_app(Flavor.CONNECTORS)
BASE = "/api/v1/people"
readers = [user(Role.ADMIN, Role.COORDINATOR)]
admins = [user(Role.ADMIN)]
Cursor = Annotated[str, Field(max_length=2048)]
Limit = Annotated[int, Field(ge=1, le=100), DIGITS]


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, Field(min_length=2, max_length=120)]


class TimelineParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Limit = 20
    cursor: Cursor = ""


class LinkParams(TimelineParams):
    status: Literal["conflict", "rejected"] = "conflict"


class NoBody(BaseModel):
    """A route that takes no fields: a body, if any, must be an empty JSON object."""

    model_config = ConfigDict(extra="forbid")


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PersonKind
    id: Annotated[str, Field(min_length=1, max_length=320)]


def _query[M: BaseModel](model: type[M]) -> M:
    return parse_query(app, model, refusal=errors.invalid_fields)


def _service() -> PeopleService:
    caller = principal(app)
    visibility = resolve(caller)
    # A timeline's cursor is bound to the caller as they are now: who, and what they may see.
    bound = json.dumps([caller.id, visibility.describe()], sort_keys=True)
    return PeopleService(caller.tenant_id, visibility, paging.sealer, bound)


def _places(tenant: str, entries: Iterable[Entry] = ()) -> rows.Places:
    return rows.Places(known_connections(tenant, {e.connection_id for e in entries}))


def _audited(what: str, params: dict[str, Any], read: Callable[[PeopleService], Any]) -> Any:
    """Answer ``read`` (a read or a decision) and write the audit line (personal values stay
    out of it)."""
    service = _service()
    caller = principal(app)
    audit = {"who": caller.id, "tenant": caller.tenant_id, "what": what, "params": params,
             "scope": service.visibility.describe()}  # fmt: skip
    try:
        answer = read(service)
    except DomainError as exc:
        logger.info("people read", extra={"audit": audit | {"status": status_of(exc)}})
        raise
    logger.info("people read", extra={"audit": audit | {"status": 200}})
    return answer


def _admin() -> bool:
    return principal(app).role is Role.ADMIN


@app.get(BASE, middlewares=readers)
def search() -> Any:
    params = _query(SearchParams)

    def read(service: PeopleService) -> Any:
        found = service.search(params.q)
        data = [rows.person_row(f, admin=_admin()) for f in found]
        return json_response(200, out.PersonList(data=data))

    return _audited("search", {"q_length": len(params.q)}, read)


@app.get(f"{BASE}/links", middlewares=readers)
def links() -> Any:
    params = _query(LinkParams)

    def read(service: PeopleService) -> Any:
        found, next_cursor = service.links(params.status, limit=params.limit, cursor=params.cursor)
        places = _places(service.tenant, (link.entry for link in found))
        data = [rows.link_row(link, places) for link in found]
        meta = CursorMeta(limit=params.limit, nextCursor=next_cursor or None)
        return json_response(200, out.LinkList(data=data, meta=meta))

    return _audited("links", {"status": params.status}, read)


def _decide(link_id: str, choice: PersonRef | None) -> Any:
    def decide(service: PeopleService) -> Any:
        decided = service.decide(link_id, choice)
        places = _places(service.tenant, [decided.entry])
        return json_response(200, out.LinkAnswer(data=rows.link_row(decided, places)))

    return _audited("confirm" if choice else "reject", {}, decide)


@app.post(f"{BASE}/links/<link_id>/confirm", middlewares=readers)
def confirm(link_id: str) -> Any:
    body = parse_body(app, Choice, refusal=errors.invalid_fields)
    return _decide(link_id, PeopleService.ref(body.kind.value, body.id))


@app.post(f"{BASE}/links/<link_id>/reject", middlewares=readers)
def reject(link_id: str) -> Any:
    parse_body(app, NoBody, refusal=errors.invalid_fields, default={})
    return _decide(link_id, None)


@app.post(f"{BASE}/relink", middlewares=admins)
def relink() -> Any:
    parse_body(app, NoBody, refusal=errors.invalid_fields, default={})
    relink_job.start(principal(app).tenant_id)
    return json_response(202, out.RelinkQueued(message="Relink queued"))


@app.get(f"{BASE}/<kind>/<person_id>", middlewares=readers)
def person(kind: str, person_id: str) -> Any:
    params = _query(TimelineParams)

    def read(service: PeopleService) -> Any:
        card = service.person(kind, unquote(person_id))
        entries, next_cursor = service.timeline(card.ref, limit=params.limit, cursor=params.cursor)
        answer = rows.person_answer(
            card, service.links_of(card.ref), entries, next_cursor, params.limit,
            admin=_admin(), places=_places(service.tenant, entries),
        )  # fmt: skip
        return json_response(200, answer)

    return _audited("person", {"kind": kind}, read)


@app.get(f"{BASE}/<kind>/<person_id>/timeline", middlewares=readers)
def timeline(kind: str, person_id: str) -> Any:
    """The next pages of a person's records without their card: one Query a page."""
    params = _query(TimelineParams)

    def read(service: PeopleService) -> Any:
        ref = service.ref(kind, unquote(person_id))
        entries, next_cursor = service.timeline(ref, limit=params.limit, cursor=params.cursor)
        places = _places(service.tenant, entries)
        data = [rows.timeline_entry(e, ref, places) for e in entries]
        meta = CursorMeta(limit=params.limit, nextCursor=next_cursor or None)
        return json_response(200, out.TimelinePage(data=data, meta=meta))

    return _audited("timeline", {"kind": kind, "page": bool(params.cursor)}, read)


@app.get("/admin/people")
def page() -> Any:
    return pages.page("people", BASE)


handler = lambda_handler(app)
