"""GET reads of the ERP API — API client with read (or full) scope.

``/api/integration/v1/<entity>`` (list), ``/<entity>/{code}``, ``/professors/{code}/subjects``.
One module serves them; the template deploys each route as its own function.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field

from ponte.domain.academic import Entity
from ponte.domain.tenancy import Scope
from ponte.http.api import (
    api_client,
    create_app,
    json_response,
    lambda_handler,
    principal,
    validated,
)
from ponte.http.envelopes import Flavor
from ponte.http.params import DIGITS, Page
from ponte.http.responses import erp as out
from ponte.services.erp_reads import ListQuery, ReadService

app = create_app(Flavor.ERP)
BASE = "/api/integration/v1"
readers = [api_client(Scope.READ)]


class ListParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    per_page: Annotated[int, Field(ge=1, le=100), DIGITS] = 15
    page: Page = 1
    search: Annotated[str, Field(max_length=100)] = ""
    status: Literal["active", "inactive"] | None = None
    updated_since: datetime | None = None
    cursor: Annotated[str, Field(max_length=2048)] = ""


def _query() -> ListQuery:
    params = validated(ListParams, app.current_event.query_string_parameters or {})
    since = params.updated_since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return ListQuery(
        per_page=params.per_page,
        page=params.page,
        search=params.search.strip(),
        status=params.status or "",
        updated_since=since,
        cursor=params.cursor,
    )


def _list_route(entity: Entity) -> Callable[[], Any]:
    def list_records() -> Any:
        page = ReadService(principal(app).tenant_id).page(entity, _query())
        meta = out.ListMeta(
            current_page=page.current_page,
            per_page=page.per_page,
            total=page.total,
            last_page=page.last_page,
        )
        answer = out.RecordList(data=page.data, meta=meta, next_cursor=page.next_cursor or None)
        return json_response(200, answer)

    return list_records


def _get_route(entity: Entity) -> Callable[[str], Any]:
    def get_record(code: str) -> Any:
        data = ReadService(principal(app).tenant_id).get(entity, unquote(code))
        return json_response(200, out.RecordAnswer(data=data))

    return get_record


for _entity in Entity:
    app.get(f"{BASE}/{_entity.value}", middlewares=readers)(_list_route(_entity))
    app.get(f"{BASE}/{_entity.value}/<code>", middlewares=readers)(_get_route(_entity))


@app.get(f"{BASE}/professors/<code>/subjects", middlewares=readers)
def professor_subjects(code: str) -> Any:
    data = ReadService(principal(app).tenant_id).professor_subjects(unquote(code))
    return json_response(200, out.SubjectList(data=data))


handler = lambda_handler(app)
