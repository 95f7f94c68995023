"""SaaS connections and their sync runs: platforms, credentials, statuses (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from ponte.validation import header_safe

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]
# A vendor token or key: it travels in a header, so printable ASCII only (never echoed back).
Token = Annotated[Text, AfterValidator(header_safe)]
Subdomain = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
]


class Platform(StrEnum):
    RDSTATION = "rdstation"
    HUBSPOT = "hubspot"
    ZENDESK = "zendesk"
    CHATWOOT = "chatwoot"
    MOVIDESK = "movidesk"  # one per tenant, managed by the Movidesk admin API


class Credentials(BaseModel):
    """A platform's credentials model (each connector declares its own)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RunStatus(StrEnum):
    """A sync run's status, as the connectors API shows it."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    PARTIAL = "partial"  # some records or streams failed, the rest landed
    ERROR = "error"
    SKIPPED = "skipped"  # a schedule fired while another run held the connection

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCESS, RunStatus.PARTIAL, RunStatus.ERROR, RunStatus.SKIPPED)


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"


AUTH_FAILURES_BEFORE_DISABLE: Final = 3
REASON_CHARS: Final = 300  # of the vendor's reason, in a disabled connection's listing


def refusal(failures: int, message: str) -> dict[str, Any]:
    """A connection's fields after its ``failures``-th refusal in a row (``message``: why,
    with no secret in it): from the limit on, disabled with the reason shown."""
    fields: dict[str, Any] = {"auth_failures": failures}
    if failures >= AUTH_FAILURES_BEFORE_DISABLE:
        fields["enabled"] = False
        fields["disabled_reason"] = (
            f"Disabled after {failures} consecutive refusals of its credentials "
            f"(INVALID_CREDENTIALS: {message[:REASON_CHARS]}); update the credentials and "
            "enable it again"
        )
    return fields


def duration_text(seconds: float) -> str:
    """A duration as the connectors API has always written it: ``5m 30s``, ``1h 2m 3s``, ``45s``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


def final_status(landed: int, failed_streams: int, record_errors: int, streams: int) -> RunStatus:
    """success when everything landed; partial when something failed but the rest landed;
    error when every stream failed."""
    if failed_streams == 0 and record_errors == 0:
        return RunStatus.SUCCESS
    if failed_streams >= streams and landed == 0:
        return RunStatus.ERROR
    return RunStatus.PARTIAL


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    name: str
    platform: Platform
    enabled: bool
    created_at: str
    updated_at: str
    last_sync_at: str | None = None
    last_sync_status: RunStatus | None = None
    synced_records: int = 0
    disabled_reason: str | None = None
    auth_failures: int = 0  # consecutive runs refused with INVALID_CREDENTIALS
    cursors: dict[str, Any] = field(default_factory=dict)  # where each stream resumes
    active_run: str | None = None  # the run holding the connection
    workspace_id: str | None = None  # RD Station's workspace: shown, not secret
    schedule: str | None = None  # rate(…) or cron(…): EventBridge Scheduler fires a run
    timezone: str | None = None  # IANA zone of a cron schedule
    # Where the institution keeps a person's identifiers in custom fields ({"cpf": "cpf_aluno"})
    identity: dict[str, str] | None = None
    web_base: str | None = None  # where the vendor's web app shows the account's records


@dataclass(frozen=True, slots=True)
class StreamState:
    status: str = "pending"  # pending | running | done | failed
    cursor: dict[str, Any] | None = None
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    error: str | None = None
    deleted: int = 0  # records the vendor reported deleted, marked so by this run


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One stored page of a run: where its stream goes on from, and what it did. The page
    records are the run's cursor saves and its log."""

    seq: int  # the run's page number, every stream together
    stream: str
    cursor: dict[str, Any]
    done: bool  # the stream's last page
    at: str
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # records the vendor reported deleted, marked so by this page
    failed: int = 0  # records the vendor sent that could not be stored
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first ones: {stream,
    # record, page, message}


ERRORS_KEPT: Final = 100  # on the run; the rest are counted
ERRORS_PER_PAGE: Final = 20  # on a page record


@dataclass(frozen=True, slots=True)
class PullRun:
    id: str
    connection_id: str
    connection_name: str
    platform: Platform
    status: RunStatus
    trigger: Trigger
    full_sync: bool
    created_at: str
    streams: dict[str, StreamState]  # in the order they are pulled
    started_at: str | None = None
    completed_at: str | None = None
    page_seq: int = 0  # the pages its streams' state includes (every stream together)
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first ones
    error_count: int = 0
    error: str | None = None  # why the run as a whole failed
    error_code: str | None = None
    heartbeat_at: str | None = None
    lease_id: str | None = None
    lease_until: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)  # what a run covers (a window)
    result: str | None = None  # a person's summary line (Movidesk: Novos/Atualizados/Total)

    def total(self, count: str) -> int:
        return sum(int(getattr(s, count)) for s in self.streams.values())

    @property
    def records_synced(self) -> int:
        """Created plus updated, as the API has always counted them."""
        return self.total("created") + self.total("updated")

    def with_pages(self, pages: list[PageRecord]) -> PullRun:
        """The run with the pages stored after its last checkpoint counted in."""
        streams = dict(self.streams)
        errors = list(self.errors)
        error_count, seq = self.error_count, self.page_seq
        for page in sorted(pages, key=lambda p: p.seq):
            if page.seq <= seq:
                continue
            state = streams.get(page.stream, StreamState())
            streams[page.stream] = replace(
                state,
                status="done" if page.done else "running",
                cursor=page.cursor,
                pages=state.pages + 1,
                fetched=state.fetched + page.fetched,
                created=state.created + page.created,
                updated=state.updated + page.updated,
                unchanged=state.unchanged + page.unchanged,
                deleted=state.deleted + page.deleted,
                errors=state.errors + page.failed,
            )
            errors.extend(page.errors[: max(0, ERRORS_KEPT - len(errors))])
            error_count += page.failed
            seq = page.seq
        return replace(self, streams=streams, errors=errors, error_count=error_count, page_seq=seq)
