"""Response shapes of the seven APIs, as the presenters render them (``ponte/http/*``,
``services/*/api.py``). Every shape allows additional fields: the APIs only ever add.
The contract tests validate real answers of the local stack against these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- ERP integration (seed 000) ---------------------------------------------------------------
class Health(Shape):
    """The API and its database answer"""

    success: bool
    status: str
    message: str
    data: dict[str, Any]


class RecordIssue(Shape):
    index: int
    code: str | None


class SyncCounts(Shape):
    created: int
    updated: int
    failed: int
    unchanged: int
    errors: list[RecordIssue]
    warnings: list[RecordIssue]


class SyncResult(Shape):
    """The batch was applied record by record; invalid records are in `data.errors`"""

    success: bool
    message: str
    data: SyncCounts


class SyncStatus(Shape):
    """The tenant's last sync and totals per entity"""

    success: bool
    data: dict[str, Any]


class ListMeta(Shape):
    current_page: int
    per_page: int
    total: int
    last_page: int


class RecordList(Shape):
    """A page of records; `next_cursor` walks large lists at constant cost"""

    success: bool
    data: list[dict[str, Any]]
    meta: ListMeta
    next_cursor: str | None


class RecordAnswer(Shape):
    """The record as stored (with links resolved)"""

    success: bool
    data: dict[str, Any]


class SubjectList(Shape):
    """The professor's subjects"""

    success: bool
    data: list[dict[str, Any]]


# -- full sync ---------------------------------------------------------------------------------
class RunStarted(Shape):
    run_id: str
    status: str
    status_url: str


class FullSyncAccepted(Shape):
    """Accepted: the run is queued; follow `status_url`"""

    success: bool
    message: str
    data: RunStarted


class Upload(Shape):
    upload_id: str
    upload_url: str
    expires_in: int
    start_url: str


class UploadCreated(Shape):
    """A presigned URL to PUT the bundle to, and where to start it afterwards"""

    success: bool
    message: str
    data: Upload


class FullSyncRun(Shape):
    run_id: str
    status: str
    source: str | None
    options: dict[str, Any]
    progress: dict[str, dict[str, int]]
    failed_chunks: int
    error: str | None
    created_at: str | None
    started_at: str | None
    ended_at: str | None
    duration_seconds: float | None


class FullSyncRunAnswer(Shape):
    """The run: status, live progress per entity, the first errors"""

    success: bool
    data: FullSyncRun


class FullSyncHistory(Shape):
    """The tenant's recent full syncs, newest first"""

    success: bool
    data: list[FullSyncRun]


class FullSyncStopped(Shape):
    """The run was asked to stop"""

    success: bool
    message: str
    data: dict[str, Any]


# -- admin: API clients ------------------------------------------------------------------------
class ApiClient(Shape):
    id: str
    name: str
    scope: str
    rate_limit: int
    active: bool
    key_prefix: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class IssuedApiClient(ApiClient):
    api_key: str


class ApiClientCreated(Shape):
    """The client and its key: the key is shown this once"""

    success: bool
    message: str
    data: IssuedApiClient


class ApiClientList(Shape):
    """The tenant's clients (never their keys)"""

    success: bool
    data: list[ApiClient]


class ApiClientRevoked(Shape):
    """The client can no longer call the API"""

    success: bool
    message: str
    data: ApiClient


# -- hierarchy (seed 002) ----------------------------------------------------------------------
class InstitutionRow(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    unidadesCount: int


class Institutions(RootModel[list[InstitutionRow]]):
    """The institutions the caller sees, sorted by name"""


class UnitRow(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    instituicaoId: str
    instituicaoNome: str
    turmasCount: int


class Units(RootModel[list[UnitRow]]):
    """The institution's units the caller sees, sorted by name"""


class TurmaRow(Shape):
    id: str
    nome: str | None
    status: int
    statusNome: str
    unidadeId: str
    unidadeNome: str
    responsavelNome: str | None
    alunosCount: int


class Turmas(RootModel[list[TurmaRow]]):
    """The unit's turmas the caller sees, sorted by name"""


class InTurma(Shape):
    """A person in a turma: the role's number (`papelId`) and name (`papelNome`)"""

    usuarioId: str
    usuarioNome: str | None = None
    papelId: int
    papelNome: str


class ScheduledPerson(InTurma):
    id: str


class ScheduleRow(Shape):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None
    usuarios: list[ScheduledPerson]


class Schedules(RootModel[list[ScheduleRow]]):
    """The turma's horários, each with its people"""


class TurmaStudent(InTurma):
    turmaId: str
    turmaNome: str | None
    horarioDescricao: str | None


class TurmaStudents(RootModel[list[TurmaStudent]]):
    """The turma's people the caller sees"""


class Member(Shape):
    usuarioId: str
    usuarioNome: str | None = None
    papelNaTurma: int
    papelNome: str


class CompleteTurma(Shape):
    id: str
    nome: str | None
    status: int
    statusNome: str
    alunos: list[Member]


class CompleteUnit(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    turmas: list[CompleteTurma]


class CompleteInstitution(Shape):
    """The institution with its units, their turmas and their people"""

    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    unidades: list[CompleteUnit]


class Placed(Shape):
    unidadeId: str | None
    unidadeNome: str | None
    instituicaoId: str | None
    instituicaoNome: str | None


class CompleteSchedule(ScheduleRow, Placed):
    """The horário with its people, its turma's status and where the turma is"""

    status: int
    statusNome: str
    turmaStatus: int


class PersonSchedule(Placed):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None
    papelId: int
    papelNome: str
    status: int
    statusNome: str


class Usuario(Shape):
    id: str
    nome: str | None
    email: str | None
    tipo: str


class UserSchedules(Shape):
    """The person (`tipo` aluno or professor) and their horários"""

    usuario: Usuario
    horarios: list[PersonSchedule]


class TurmaSchedule(Shape):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None


class ScheduleMember(Shape):
    id: str
    horarioId: str
    usuarioId: str
    papelId: int
    papelNome: str


class AllSchedules(Shape):
    """Every horário of the tenant (`horarioTurmas`) and who is in each (`horarioUsuarios`)"""

    horarioTurmas: list[TurmaSchedule]
    horarioUsuarios: list[ScheduleMember]


class FoundPerson(Placed):
    usuarioId: str
    usuarioNome: str | None
    usuarioCelular: str | None
    papelNaTurma: int
    papelNome: str
    turmaId: str
    turmaNome: str | None


class FoundPeople(RootModel[list[FoundPerson]]):
    """People matching the filters, with their turma, unit and institution"""


class Recipients(Shape):
    """How many of each the caller can reach"""

    instituicoes: int
    unidades: int
    turmas: int
    usuarios: int
    cadastros: int
    horarios: int


# -- Kommo role sync (seed 001) ----------------------------------------------------------------
class KommoAccount(Shape):
    id: int
    subdomain: str
    role: str
    active: bool
    created_at: str | None
    updated_at: str | None


class KommoAccountList(Shape):
    """The registered accounts (never their tokens)"""

    success: bool
    data: list[KommoAccount]


class KommoAccountAnswer(Shape):
    """The account (never its token)"""

    success: bool
    data: KommoAccount


class KommoMessage(Shape):
    """Done"""

    success: bool
    message: str


class RoleSyncDone(Shape):
    """The role sync ran to its end (`?wait=true`); 202 with `sync_id` without it"""

    success: bool
    message: str
    sync_id: str
    results: dict[str, Any] | None = None
    status_url: str | None = None


class KommoData(Shape):
    """The answer's data"""

    success: bool
    data: Any


# -- connectors (seed 003) ---------------------------------------------------------------------
class PageMeta(Shape):
    total: int
    page: int
    limit: int
    totalPages: int


class CursorMeta(Shape):
    limit: int
    nextCursor: str | None


class ConnectionRow(Shape):
    id: str
    name: str
    platform: str
    enabled: bool
    lastSyncAt: str | None
    lastSyncStatus: str | None
    syncedRecords: int
    createdAt: str | None


class ConnectionList(Shape):
    """The tenant's connections (never their credentials)"""

    success: bool
    data: list[ConnectionRow]
    meta: PageMeta


class ConnectionAnswer(Shape):
    """The connection (never its credentials)"""

    success: bool
    data: ConnectionRow


class Deleted(Shape):
    id: str
    deleted: bool
    purged: Any


class ConnectionDeleted(Shape):
    """The connection and its schedule are gone; runs and records too with `purge=true`"""

    success: bool
    data: Deleted


class RunAccepted(Shape):
    runId: str
    status: str


class SyncStarted(Shape):
    """The run is queued: read it at `/api/v1/sync/runs/{runId}`"""

    success: bool
    data: RunAccepted


class RunRow(Shape):
    id: str
    connectionId: str
    status: str
    recordsSynced: int
    recordsCreated: int
    recordsUpdated: int
    recordsErrors: int
    recordsDeleted: int = 0  # additive: records the vendor reported deleted
    startedAt: str | None
    completedAt: str | None
    duration: str | None
    streams: dict[str, dict[str, Any]]


class RunList(Shape):
    """Runs, newest first"""

    success: bool
    data: list[RunRow]
    meta: PageMeta


class RunDetail(RunRow):
    connection: dict[str, Any]
    errors: list[dict[str, Any]]
    logUrl: str


class RunAnswer(Shape):
    """The run with its counts per stream, its errors and where its log is"""

    success: bool
    data: RunDetail


class RunLog(Shape):
    runId: str
    status: str
    entries: list[dict[str, Any]]


class RunLogAnswer(Shape):
    """An entry per page stored and one per error, in order"""

    success: bool
    data: RunLog


class PulledRecord(Shape):
    id: str
    stream: str
    updatedAt: str | None
    syncedAt: str | None
    data: dict[str, Any]
    deletedAt: str | None = None  # additive: when the vendor reported it deleted


class RecordPage(Shape):
    """Records as pulled from the vendor, with a cursor to the next page"""

    success: bool
    data: list[PulledRecord]
    meta: CursorMeta


# -- Movidesk (seed 004) -----------------------------------------------------------------------
class MovideskSettings(Shape):
    schedules: list[str]
    timezone: str
    tokenConfigured: bool
    nextRuns: list[str]


class SettingsAnswer(Shape):
    """The sync times, whether a token is set, and the next runs"""

    success: bool
    data: MovideskSettings


class MovideskRun(RunRow):
    window: dict[str, Any]
    result: str
    counts: dict[str, int]
    progress: dict[str, int]


class MovideskRunAnswer(Shape):
    """The run with the seed's result line (`Novos: 45, Atualizados: 12, Total: 57`)"""

    success: bool
    data: MovideskRun


class MovideskRunList(Shape):
    """Movidesk runs, newest first"""

    success: bool
    data: list[MovideskRun]
    meta: PageMeta


class MovideskAccepted(Shape):
    """Started (202): read the run at `statusUrl`"""

    success: bool
    message: str
    data: dict[str, Any]


class TicketPage(Shape):
    """Stored tickets, newest change first, with a cursor to the next page"""

    success: bool
    data: list[dict[str, Any]]
    meta: CursorMeta


class Page(RootModel[str]):
    """The admin page (HTML)"""
