"""The eight APIs and what each route takes and answers. Request models are the ones the
handlers validate with; responses are the models the handlers render (``ponte.http.responses``:
``ar``, ``cr``, ``er``, ``fr``, ``kr``, ``mr``) or, for what still renders dicts, ``shapes``;
examples follow each API's documented examples."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from openapi import function_modules
from openapi import shapes as s
from openapi.spec import Api, Doc
from ponte.domain.academic import MAX_BATCH, SPECS, Entity
from ponte.http.envelopes import Flavor
from ponte.http.responses import admin as ar
from ponte.http.responses import connectors as cr
from ponte.http.responses import erp as er
from ponte.http.responses import full_sync as fr
from ponte.http.responses import kommo as kr
from ponte.http.responses import movidesk as mr
from ponte.http.responses import people as pr
from ponte.services import connections, kommo_accounts, movidesk, tenancy
from ponte.services.full_sync.model import Options
from ponte.services.role_sync.model import RoleSyncRequest

# The handlers' own query and body models (their modules read settings when imported).
connections_app, erp_reads_app, full_sync_app, kommo_app, movidesk_app, runs_app, people_app = (
    function_modules(
        "connections", "erp_reads", "full_sync", "kommo_sync", "movidesk", "sync_runs", "people"
    )
)

ERP = "/api/integration/v1"
READ = {"apiKey": ["read", "full"]}
WRITE = {"apiKey": ["write", "full"]}
ADMIN = {"jwt": ["admin"]}
USERS = {"jwt": ["admin", "coordinator", "professor", "guardian"]}
DATA_ID = "$response.body#/data/id"


# -- ERP integration -------------------------------------------------------------------------
def _sync_body(entity: Entity) -> type[BaseModel]:
    """``{"<entity>": [1 to 100 records]}``, each record the entity's own model."""
    records: Any = Annotated[
        list[SPECS[entity].model],  # type: ignore[misc]
        Field(min_length=1, max_length=MAX_BATCH),
    ]
    fields: dict[str, Any] = {entity.value: records}
    name = f"{entity.value.title()}Sync"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


UNIT = {"code": "CAMPUS_CENTRO", "name": "Campus Centro", "address": "Rua Principal, 123"}
SYNC_EXAMPLE = {
    "success": True,
    "message": "Sincronização de unidades concluída.",
    "data": {"created": 1, "updated": 0, "failed": 0, "unchanged": 0, "errors": [], "warnings": []},
}
PAGE_EXAMPLE = {
    "success": True,
    "data": [UNIT | {"status": "active", "updated_at": "2025-01-15T10:30:00Z"}],
    "meta": {"current_page": 1, "per_page": 15, "total": 1, "last_page": 1},
    "next_cursor": None,
}


def _erp_docs() -> dict[tuple[str, str], Doc]:
    docs = {
        ("GET", f"{ERP}/health"): Doc(
            "Health of the API and its database",
            s.Health,
            example={
                "success": True,
                "status": "healthy",
                "message": "API funcionando normalmente",
                "data": {"api_version": "v1", "services": {"database": {"status": "healthy"}}},
            },
            other={503: (s.Health, "Unhealthy: a service does not answer")},
        ),
        ("GET", f"{ERP}/sync-status"): Doc(
            "Last sync and totals of the caller's tenant", s.SyncStatus, security=READ
        ),
        ("GET", f"{ERP}/professors/{{code}}/subjects"): Doc(
            "A professor's subjects", er.SubjectList, security=READ, errors=(404,)
        ),
    }
    for entity in Entity:
        label = SPECS[entity].label
        path = f"{ERP}/{entity.value}"
        docs[("POST", f"{path}/sync")] = Doc(
            f"Upsert 1 to {MAX_BATCH} {label} by code",
            er.SyncResult,
            example=SYNC_EXAMPLE if entity is Entity.UNITS else None,
            body=_sync_body(entity),
            body_example={"units": [UNIT]} if entity is Entity.UNITS else None,
            security=WRITE,
            errors=(400, 409, 413, 422),
            other={422: (er.SyncRefused, "Validation error; every record failed: with the counts")},
            description=(
                "Records are applied one by one, each whole or not at all; invalid ones come "
                "back in `data.errors`. When every record fails the answer is 422; when every "
                "record lost to a concurrent update it is 409 with `Retry-After`."
            ),
        )
        docs[("GET", path)] = Doc(
            f"List {label}",
            er.RecordList,
            example=PAGE_EXAMPLE if entity is Entity.UNITS else None,
            query=erp_reads_app.ListParams,
            security=READ,
            errors=(400, 422),
        )
        docs[("GET", f"{path}/{{code}}")] = Doc(
            f"One of the {label}, by code", er.RecordAnswer, security=READ, errors=(404,)
        )
    return docs


FULL = f"{ERP}/full-sync"


class FullSyncBundle(BaseModel):
    """Any entity may be absent; each is a list of the records its sync route takes."""

    model_config = ConfigDict(extra="forbid")

    institutions: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    courses: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    professors: list[dict[str, Any]] = []
    students: list[dict[str, Any]] = []
    enrollments: list[dict[str, Any]] = []
    options: Options = Options()


FULL_SYNC_DOCS = {
    ("POST", FULL): Doc(
        "Start a full sync of an inline bundle (up to 5 MB)",
        fr.FullSyncAccepted,
        status=202,
        body=FullSyncBundle,
        body_example={"units": [UNIT], "options": {"mode": "upsert"}},
        example={
            "success": True,
            "message": "Sincronização completa iniciada.",
            "data": {"run_id": "fs_01J", "status": "queued", "status_url": f"{FULL}/fs_01J"},
        },
        security=WRITE,
        errors=(400, 409, 413, 422),
        links={
            "Status": ("GET", f"{FULL}/{{run_id}}", {"run_id": "$response.body#/data/run_id"}),
            "Stop": ("POST", f"{FULL}/{{run_id}}/stop", {"run_id": "$response.body#/data/run_id"}),
        },
        description=(
            "Phases run in the documented order (units → areas → courses → subjects → professors ∥ "
            "students → turmas) in chunks of 100. One full sync per tenant at a time."
        ),
    ),
    ("POST", f"{FULL}/uploads"): Doc(
        "A presigned URL for a larger bundle (JSON, gzip allowed)",
        fr.UploadCreated,
        status=201,
        security=WRITE,
        description=(
            "PUT the bundle (JSON, or gzip of it) to `upload_url` within `expires_in` seconds: "
            "the URL is SigV4 and signs only the host, so no header is required. Then POST "
            "`start_url`. An empty or unreadable bundle fails the run, saying why."
        ),
    ),
    ("POST", f"{FULL}/uploads/{{upload_id}}/start"): Doc(
        "Start a full sync of an uploaded bundle",
        fr.FullSyncAccepted,
        status=202,
        body=full_sync_app.StartUpload,
        body_example={"options": {"mode": "mirror"}},
        security=WRITE,
        errors=(400, 404, 409, 422),
    ),
    ("GET", FULL): Doc("Full-sync history", fr.FullSyncHistory, security=READ),
    ("GET", f"{FULL}/{{run_id}}"): Doc(
        "A full sync: status, live progress, errors",
        fr.FullSyncRunAnswer,
        security=READ,
        errors=(404,),
    ),
    ("POST", f"{FULL}/{{run_id}}/stop"): Doc(
        "Stop a full sync", fr.FullSyncStopped, security=WRITE, errors=(404, 409)
    ),
}

ADMIN_DOCS = {
    ("POST", "/api/admin/api-clients"): Doc(
        "Create an API client (its key is shown once)",
        ar.ApiClientCreated,
        status=201,
        body=tenancy.NewApiClient,
        body_example={"name": "ERP TOTVS", "scope": "write", "rate_limit": 120},
        security=ADMIN,
        errors=(400, 422),
        links={"Revoke": ("DELETE", "/api/admin/api-clients/{client_id}", {"client_id": DATA_ID})},
    ),
    ("GET", "/api/admin/api-clients"): Doc("List API clients", ar.ApiClientList, security=ADMIN),
    ("DELETE", "/api/admin/api-clients/{client_id}"): Doc(
        "Revoke an API client", ar.ApiClientRevoked, security=ADMIN, errors=(404,)
    ),
}


# -- hierarchy -------------------------------------------------------------------------------
H = "/api/hierarquia"


class UserSearch(BaseModel):
    instituicaoId: str | None = None
    unidadeId: str | None = None
    turmaId: str | None = None
    papel: Annotated[str | None, Field(description="Atleta, Treinador, Coordenador or Monitor")] = (
        None
    )


def _by_id(summary: str, response: type[BaseModel]) -> Doc:
    return Doc(summary, response, security=USERS, errors=(400, 404))


HIERARCHY_DOCS = {
    ("GET", f"{H}/instituicoes"): Doc(
        "Institutions",
        s.Institutions,
        example=[
            {
                "id": "default",
                "nome": "Demo Institution",
                "local": None,
                "tipo": 1,
                "tipoNome": "Matriz",
                "unidadesCount": 1,
            }
        ],
        security=USERS,
    ),
    ("GET", f"{H}/unidades/{{code}}"): _by_id("An institution's units", s.Units),
    ("GET", f"{H}/turmas/{{code}}"): _by_id("A unit's turmas", s.Turmas),
    ("GET", f"{H}/horarios/{{code}}"): _by_id("A turma's horários with their people", s.Schedules),
    ("GET", f"{H}/turma/{{code}}/alunos"): _by_id("A turma's people", s.TurmaStudents),
    ("GET", f"{H}/instituicao/{{code}}/completa"): _by_id(
        "An institution whole: units → turmas → people", s.CompleteInstitution
    ),
    ("GET", f"{H}/horario-completo/{{code}}"): _by_id(
        "A horário with its turma, unit, people", s.CompleteSchedule
    ),
    ("GET", f"{H}/horarios-usuario/{{identification}}"): _by_id(
        "A person's horários, by code, email, CPF or username", s.UserSchedules
    ),
    ("GET", f"{H}/debug-horarios"): Doc(
        "Every horário and its people (admins)", s.AllSchedules, security=ADMIN
    ),
    ("GET", f"{H}/buscar-usuarios"): Doc(
        "People by institution, unit, turma and role",
        s.FoundPeople,
        query=UserSearch,
        security=USERS,
        errors=(400, 404),
    ),
    ("GET", f"{H}/destinatarios"): Doc(
        "How many institutions, units, turmas and people the caller reaches",
        s.Recipients,
        security=USERS,
    ),
}


# -- Kommo -------------------------------------------------------------------------------------
class WaitParam(BaseModel):
    wait: Annotated[bool, Field(description="answer when the sync ends")] = False


KOMMO_DOCS = {
    ("GET", "/sync/accounts"): Doc("Kommo accounts", kr.KommoAccountList, security=ADMIN),
    ("POST", "/sync/accounts"): Doc(
        "Register a Kommo account (its token goes to Secrets Manager)",
        kr.KommoAccountAnswer,
        status=201,
        body=kommo_accounts.NewAccount,
        body_example={"subdomain": "empresa", "role": "master", "token": "<long-lived token>"},
        security=ADMIN,
        errors=(400, 409),
        links={
            "Change": ("PATCH", "/sync/accounts/{account_id}", {"account_id": DATA_ID}),
            "Remove": ("DELETE", "/sync/accounts/{account_id}", {"account_id": DATA_ID}),
        },
    ),
    ("PATCH", "/sync/accounts/{account_id}"): Doc(
        "Change an account",
        kr.KommoAccountAnswer,
        body=kommo_accounts.AccountChange,
        security=ADMIN,
        errors=(400, 404, 409),
    ),
    ("DELETE", "/sync/accounts/{account_id}"): Doc(
        "Remove an account", kr.KommoMessage, security=ADMIN, errors=(400, 404)
    ),
    ("POST", "/sync/roles"): Doc(
        "Make the master's roles the slaves' roles",
        kr.RoleSyncDone,
        body=RoleSyncRequest,
        body_example={"batch_config": {"batch_size": 5, "batch_delay": 1.0}},
        query=WaitParam,
        security=ADMIN,
        errors=(400, 404, 409),
        other={202: (kr.RoleSyncStarted, "Started; follow `/sync/status`")},
    ),
    ("GET", "/sync/status"): Doc(
        "Live progress and last results", kr.RoleSyncStatus, security=ADMIN
    ),
    ("POST", "/sync/stop"): Doc(
        "Stop the running role sync (409 when none is running)",
        kr.RoleSyncStopped,
        security=ADMIN,
        errors=(409,),
    ),
    ("GET", "/sync/logs"): Doc(
        "sync_logs: master, slave, roles, status",
        kr.RoleSyncLogs,
        query=kommo_app.LogParams,
        security=ADMIN,
        errors=(400,),
    ),
}


# -- Records of any size (additive) ---------------------------------------------------------
ANY_SIZE = (
    "Records are kept whole whatever their size. A page holds at most `limit` records and "
    "what one answer holds (Lambda answers at most 6 MB): it may end early, and `nextCursor` "
    "goes on from there. A record too large for an answer of its own comes by link: "
    "`data` is null and `dataUrl` is a presigned GET of the whole record (JSON, served with "
    "`Content-Encoding: gzip`), valid until `dataUrlExpiresAt` (15 minutes)."
)


# -- connectors --------------------------------------------------------------------------------
C = "/api/v1/sync/connections"
RUNS = "/api/v1/sync/runs"


class Purge(BaseModel):
    purge: Annotated[bool, Field(description="delete the runs and records too")] = False


CONNECTOR_DOCS = {
    ("GET", C): Doc(
        "Connections",
        cr.ConnectionList,
        query=connections_app.ListParams,
        security=ADMIN,
        errors=(400,),
    ),
    ("POST", C): Doc(
        "Create a connection (credentials tested with one vendor call)",
        cr.ConnectionCreated,
        status=201,
        body=connections.NewConnection,
        body_example={
            "name": "CRM",
            "platform": "hubspot",
            "credentials": {"accessToken": "<private app token>"},
        },
        security=ADMIN,
        errors=(400, 409),
        links={
            "Get": ("GET", f"{C}/{{connection_id}}", {"connection_id": DATA_ID}),
            "Change": ("PATCH", f"{C}/{{connection_id}}", {"connection_id": DATA_ID}),
            "Sync": ("POST", f"{C}/{{connection_id}}/sync", {"connection_id": DATA_ID}),
            "Delete": ("DELETE", f"{C}/{{connection_id}}", {"connection_id": DATA_ID}),
        },
    ),
    ("GET", f"{C}/{{connection_id}}"): Doc(
        "A connection", cr.ConnectionAnswer, security=ADMIN, errors=(404,)
    ),
    ("PATCH", f"{C}/{{connection_id}}"): Doc(
        "Change a connection: name, enabled, credentials, schedule",
        cr.ConnectionAnswer,
        body=connections.ConnectionChange,
        body_example={"schedule": "cron(0 7 ? * MON-FRI *)", "timezone": "UTC"},
        security=ADMIN,
        errors=(400, 404, 409),
    ),
    ("DELETE", f"{C}/{{connection_id}}"): Doc(
        "Delete a connection and its schedule",
        cr.ConnectionDeleted,
        query=Purge,
        security=ADMIN,
        errors=(404, 409),
    ),
    ("POST", f"{C}/{{connection_id}}/sync"): Doc(
        "Start a sync of the connection",
        cr.SyncStarted,
        body=connections_app.SyncBody,
        body_example={"fullSync": False},
        security=ADMIN,
        errors=(400, 404, 409),
        links={
            "Run": ("GET", f"{RUNS}/{{run_id}}", {"run_id": "$response.body#/data/runId"}),
            "Log": ("GET", f"{RUNS}/{{run_id}}/logs", {"run_id": "$response.body#/data/runId"}),
        },
    ),
    ("GET", f"{C}/{{connection_id}}/records"): Doc(
        "Records pulled (those deleted at the vendor only with includeDeleted=true)",
        cr.RecordPage,
        query=connections_app.RecordParams,
        security=ADMIN,
        errors=(400, 404),
        description=ANY_SIZE,
    ),
    ("POST", "/api/v1/sync/run"): Doc(
        "Start a sync (the original route)",
        cr.RunQueued,
        body=runs_app.StartRun,
        body_example={"connectionId": "<connection id>", "fullSync": False},
        security=ADMIN,
        errors=(400, 404, 409),
    ),
    ("GET", RUNS): Doc("Runs", cr.RunList, query=runs_app.RunParams, security=ADMIN, errors=(400,)),
    ("GET", f"{RUNS}/{{run_id}}"): Doc("A run", cr.RunAnswer, security=ADMIN, errors=(404,)),
    ("GET", f"{RUNS}/{{run_id}}/logs"): Doc(
        "A run's log", cr.RunLogAnswer, security=ADMIN, errors=(404,)
    ),
}


# -- Movidesk ----------------------------------------------------------------------------------
M = "/admin/integrations/movidesk"

MOVIDESK_DOCS = {
    ("GET", f"{M}/tickets"): Doc(
        "The admin page (signs in by OIDC code + PKCE)", s.Page, content_type="text/html"
    ),
    ("GET", f"{M}/api/settings"): Doc(
        "Sync times, token set or not, next runs",
        mr.SettingsAnswer,
        example={
            "success": True,
            "data": {
                "schedules": ["08:00", "18:00"],
                "timezone": "America/Sao_Paulo",
                "tokenConfigured": True,
                "nextRuns": ["2025-10-16T18:00:00-03:00", "2025-10-17T08:00:00-03:00"],
                "subdomain": "minhaempresa",
            },
        },
        security=ADMIN,
    ),
    ("PUT", f"{M}/api/settings"): Doc(
        "Save the sync times (and the token, the account's subdomain)",
        mr.SettingsAnswer,
        body=movidesk.SettingsChange,
        body_example={"schedules": ["08:00", "18:00"]},
        security=ADMIN,
        errors=(400, 409),
        description=(
            "Each field is optional: one left out is unchanged. `subdomain` is the account's "
            "in Movidesk's web app (`minhaempresa` of minhaempresa.movidesk.com: letters, "
            'digits and hyphens), which links a ticket to its page there; `""` clears it.'
        ),
    ),
    ("POST", f"{M}/api/sync"): Doc(
        "Sync a period of up to 5 days now",
        mr.MovideskRunAnswer,
        body=movidesk.ManualSync,
        body_example={"start_date": "2025-10-14", "end_date": "2025-10-16"},
        query=WaitParam,
        security=ADMIN,
        errors=(400, 409),
        other={202: (mr.MovideskAccepted, "Started; read the run at `statusUrl`")},
    ),
    ("GET", f"{M}/api/runs"): Doc(
        "Movidesk runs",
        mr.MovideskRunList,
        query=movidesk_app.RunParams,
        security=ADMIN,
        errors=(400,),
    ),
    ("GET", f"{M}/api/runs/{{run_id}}"): Doc(
        "A Movidesk run", mr.MovideskRunAnswer, security=ADMIN, errors=(404,)
    ),
    ("GET", f"{M}/api/tickets"): Doc(
        "Stored tickets",
        mr.TicketPage,
        query=movidesk_app.TicketParams,
        security=ADMIN,
        errors=(400,),
        description=(
            "Tickets are kept whole whatever their size, their actions included. A page holds "
            "at most `limit` tickets and what one answer holds (Lambda answers at most 6 MB): "
            "it may end early, and `nextCursor` goes on from there. A ticket too large for an "
            "answer of its own comes as its `id`, `lastUpdate` and `dataUrl`, a presigned GET "
            "of the whole ticket (JSON, served with `Content-Encoding: gzip`), valid until "
            "`dataUrlExpiresAt` (15 minutes)."
        ),
    ),
    ("GET", f"{M}/api/tickets/{{ticket_id}}"): Doc(
        "A stored ticket: its fields, clients, actions and status history",
        mr.TicketAnswer,
        example={
            "success": True,
            "data": {
                "id": "1001",
                "ticket": {
                    "protocol": "2025001001",
                    "subject": "Impressora parada",
                    "status": "Novo",
                    "baseStatus": "New",
                    "owner": {"id": "7", "businessName": "Ana"},
                    "createdDate": "2025-10-15T12:00:00",
                    "lastUpdate": "2025-10-16T13:10:00",
                },
                "clients": [
                    {"id": "42", "businessName": "Escola Centro", "email": "secretaria@example.com"}
                ],
                "actions": [
                    {
                        "id": 1,
                        "type": 2,
                        "origin": 9,
                        "status": "Novo",
                        "description": "A impressora não liga.",
                        "createdDate": "2025-10-15T12:00:00",
                    }
                ],
                "actionsTotal": 1,
                "statusHistories": None,
                "syncedAt": "2025-10-16T13:15:02.120Z",
                "movideskUrl": "https://minhaempresa.movidesk.com/Ticket/Edit/1001",
            },
        },
        security=ADMIN,
        errors=(404,),
        description=(
            "The ticket as the last sync stored it: `ticket` holds its other fields, and "
            "`actions`, `clients` and `statusHistories` come apart (`statusHistories` is null "
            "when the stored ticket has none). `movideskUrl` opens it in Movidesk when the "
            "settings name the account's `subdomain`. A ticket too large for one answer "
            "(Lambda answers at most 6 MB) keeps its newest actions that fit, `actionsTotal` "
            "says how many it has, and `dataUrl` is a presigned GET of the whole ticket until "
            "`dataUrlExpiresAt`."
        ),
    ),
}


# -- people across systems ---------------------------------------------------------------------
P = "/api/v1/people"
PEOPLE_READERS = {"jwt": ["admin", "coordinator"]}
_PERSON = {"kind": "students", "id": "ALU2024001", "name": "Pedro Oliveira Santos",
           "email": "pedro.oliveira@aluno.edu.br", "cpf": "***.222.333-**",
           "units": ["CAMPUS_CENTRO"], "links": 3}  # fmt: skip
SCOPE = (
    "An admin sees every person; a coordinator, the people of the units the hierarchy API "
    "lets them see (others are not found); other roles are refused. CPFs are masked except "
    "to admins. Every read of a person writes an audit line."
)
PEOPLE_DOCS = {
    ("GET", P): Doc(
        "People by email or CPF (exactly) or by name (students and professors), with how many "
        "records are linked to each",
        pr.PersonList,
        query=people_app.SearchParams,
        security=PEOPLE_READERS,
        errors=(400,),
        example={"success": True, "data": [_PERSON]},
        description=SCOPE,
    ),
    ("GET", f"{P}/links"): Doc(
        "Records whose identifiers name more than one person (conflict), or that a person rejected",
        pr.LinkList,
        query=people_app.LinkParams,
        security=PEOPLE_READERS,
        errors=(400,),
        description="Newest first, cursor-paged. Confirm or reject a conflict by its `linkId`.",
    ),
    ("POST", f"{P}/links/{{link_id}}/confirm"): Doc(
        "Confirm who a record is about (one of its candidates); the decision stands across "
        "later runs while its identifiers name the same people",
        pr.LinkAnswer,
        body=people_app.Choice,
        body_example={"kind": "students", "id": "ALU2024001"},
        security=PEOPLE_READERS,
        errors=(400, 404),
    ),
    ("POST", f"{P}/links/{{link_id}}/reject"): Doc(
        "Say a record is about none of its candidates (it stands, as a confirmation does)",
        pr.LinkAnswer,
        body=people_app.NoBody,
        security=PEOPLE_READERS,
        errors=(400, 404),
    ),
    ("POST", f"{P}/relink"): Doc(
        "Match every stored record again (for records stored before linking, or after a "
        "connection's identity fields changed); runs in the background, resumable",
        pr.RelinkQueued,
        status=202,
        body=people_app.NoBody,
        security=ADMIN,
        errors=(400,),
    ),
    ("GET", f"{P}/{{kind}}/{{person_id}}"): Doc(
        "A person (kind: students, professors or guardians; id: the ERP code, or a guardian's "
        "email), their students or guardians, units and turmas, and their records across "
        "systems, newest first",
        pr.PersonAnswer,
        query=people_app.TimelineParams,
        security=PEOPLE_READERS,
        errors=(400, 404),
        description=SCOPE
        + " A timeline entry says what matched (email, cpf, phone), the link's status, the "
        "record's title and vendor status, and `url`, which opens it in the vendor's web app "
        "where one is known.",
    ),
    ("GET", f"{P}/{{kind}}/{{person_id}}/timeline"): Doc(
        "The next pages of a person's records (the `meta.nextCursor` of the person's answer "
        "or of a previous page), without the card: one table read a page",
        pr.TimelinePage,
        query=people_app.TimelineParams,
        security=PEOPLE_READERS,
        errors=(400, 404),
        description="A cursor is the caller's own: it was issued for this person to them.",
    ),
    ("GET", "/admin/people"): Doc(
        "The people page (signs in by OIDC code + PKCE)", s.Page, content_type="text/html"
    ),
}


APIS = [
    Api(
        "erp",
        "ERP integration API",
        "The ERP pushes units, areas, courses, subjects, professors, students and "
        "turmas through idempotent batch upserts; health, sync status and reads.",
        Flavor.ERP,
        (f"{ERP}/",),
        _erp_docs(),
        exclude=(FULL,),
    ),
    Api(
        "full-sync",
        "Full sync API",
        "The ERP integration API's full sync: a whole bundle in one call, run by a workflow.",
        Flavor.ERP,
        (FULL,),
        FULL_SYNC_DOCS,
    ),
    Api(
        "hierarchy",
        "Hierarchy API",
        "Institution → unit → turma → horário → people, scoped to the caller's role.",
        Flavor.HIERARCHY,
        (f"{H}/",),
        HIERARCHY_DOCS,
    ),
    Api(
        "kommo",
        "Kommo role sync API",
        "The master account's roles made the slaves' roles.",
        Flavor.KOMMO,
        ("/sync/",),
        KOMMO_DOCS,
    ),
    Api(
        "connectors",
        "Connectors API",
        "Connections to HubSpot, Zendesk, Chatwoot and RD Station, runs and records.",
        Flavor.CONNECTORS,
        ("/api/v1/sync/",),
        CONNECTOR_DOCS,
    ),
    Api(
        "movidesk",
        "Movidesk ticket sync API",
        "Ticket syncs at set times of day and on demand, and the admin page.",
        Flavor.MOVIDESK,
        (f"{M}/",),
        MOVIDESK_DOCS,
    ),
    Api(
        "people",
        "People API",
        "Pulled contacts, tickets, conversations and deals linked to the institution's "
        "students, guardians and professors; and the people page.",
        Flavor.CONNECTORS,
        (f"{P}", "/admin/people"),
        PEOPLE_DOCS,
    ),
    Api(
        "admin",
        "Admin API",
        "API clients (the ERP's keys) of the caller's tenant; admins only.",
        Flavor.ERP,
        ("/api/admin/",),
        ADMIN_DOCS,
    ),
]
