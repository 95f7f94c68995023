"""The Movidesk admin API's presenters: settings, runs with the result line (``Novos: …``)
and their window, tickets and one ticket's detail, as the models of
:mod:`ponte.http.responses.movidesk`; and the admin page itself."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from ponte.domain import movidesk as rules
from ponte.domain.connectors import PullRun
from ponte.domain.records import PulledRecord
from ponte.http import connectors, pages
from ponte.http.api import ANSWER_BUDGET, answer_bytes
from ponte.http.responses import movidesk as out
from ponte.services.movidesk import Settings, StoredTicket
from ponte.services.pulls.answers import Link


def settings(s: Settings) -> out.MovideskSettings:
    return out.MovideskSettings(
        schedules=s.schedules,
        timezone=s.timezone,
        tokenConfigured=s.token_configured,
        nextRuns=[moment.isoformat() for moment in s.next_runs],
        subdomain=s.subdomain,
    )


def run(r: PullRun) -> out.MovideskRun:
    created, updated = r.total("created"), r.total("updated")
    stream = r.streams.get("tickets")
    return out.MovideskRun(
        **dict(connectors.run(r)),
        window=out.Window(
            start=r.options.get("start"),
            end=r.options.get("end"),
            period=r.options.get("period"),
            firstDay=r.options.get("first_day"),
            lastDay=r.options.get("last_day"),
        ),
        result=r.result or rules.result_line(created, updated),
        counts=out.TicketCounts(
            novos=created,
            atualizados=updated,
            total=created + updated,
            inalterados=r.total("unchanged"),
        ),
        progress=out.Progress(
            pages=stream.pages if stream else 0,
            tickets=stream.fetched if stream else 0,
        ),
    )


def ticket(record: PulledRecord, link: Link | None = None) -> dict[str, Any]:
    """The ticket as stored; one too large for an answer is its id, its last update and a
    short-lived link to the whole ticket (``dataUrl``)."""
    if link is None:
        return record.data | {"syncedAt": record.synced_at}
    ticket_id = int(record.vendor_id) if record.vendor_id.isdigit() else record.vendor_id
    shown = {"id": ticket_id, "lastUpdate": record.updated_at, "syncedAt": record.synced_at}
    return shown | connectors.large(link)


PARTS = ("actions", "clients", "statusHistories")  # shown apart from the ticket's fields


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ticket_detail(found: StoredTicket, budget: int = ANSWER_BUDGET) -> out.TicketDetail:
    """The ticket with its parts apart. One too large for an answer (Lambda answers at most
    6 MB: a ticket with many long actions) keeps its newest actions that fit, says how many
    it has, and links to the whole ticket."""
    data = found.record.data
    actions = _dicts(data.get("actions"))
    histories = data.get("statusHistories")
    detail = out.TicketDetail(
        id=str(data.get("id") or found.record.vendor_id),
        ticket={k: v for k, v in data.items() if k not in PARTS},
        clients=_dicts(data.get("clients")),
        actions=actions,
        actionsTotal=len(actions),
        statusHistories=_dicts(histories) if isinstance(histories, list) else None,
        syncedAt=found.record.synced_at,
        movideskUrl=found.url,
    )
    if answer_bytes(detail) <= budget:
        return detail
    link = found.link
    cut = detail.model_copy(
        update={"actions": [], "dataUrl": link and link.url,
                "dataUrlExpiresAt": link and link.expires_at}
    )  # fmt: skip
    left = budget - answer_bytes(cut)
    kept: list[dict[str, Any]] = []
    for action in reversed(actions):  # Movidesk lists a ticket's actions oldest first
        size = answer_bytes(action)
        if size > left:
            break
        left -= size
        kept.append(action)
    return cut.model_copy(update={"actions": kept[::-1]})


def page() -> Response[str]:
    """The admin page (``pages/movidesk.html``)."""
    return pages.page("movidesk", "/admin/integrations/movidesk/api")
