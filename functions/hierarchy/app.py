"""GET /api/hierarquia/… — JWT users, each answer scoped to the caller's role.

One module serves the eleven routes; the template deploys each as its own function. Every
query writes one audit line (who, what, scope, result size), refusals included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from ponte import errors
from ponte.auth.principals import Role
from ponte.domain.hierarchy import PapelNaTurma
from ponte.errors import DomainError
from ponte.http import hierarchy as rows
from ponte.http.api import cacheable_response, create_app, lambda_handler, principal, user
from ponte.http.envelopes import Flavor, status_of
from ponte.observability import logger
from ponte.services.hierarchy.catalog import Catalog
from ponte.services.hierarchy.queries import Filters, HierarchyService
from ponte.services.hierarchy.visibility import resolve
from ponte.services.tenancy import tenant_name

app = create_app(Flavor.HIERARCHY)
BASE = "/api/hierarquia"
users = [user(*Role)]
Query = Callable[[HierarchyService], Any]


def _id(raw: str, name: str) -> str:
    value = unquote(raw).strip()
    if not value or len(value) > 254 or not value.isprintable():
        raise errors.bad_request("Parâmetro inválido", details=f"{name}: identificador inválido")
    return value


def _answer(endpoint: str, params: dict[str, Any], query: Query) -> Any:
    caller = principal(app)
    tenant = caller.tenant_id
    visibility = resolve(caller)
    service = HierarchyService(tenant, visibility, Catalog(tenant, lambda: tenant_name(tenant)))
    audit = {"who": caller.id, "tenant": tenant, "what": endpoint, "params": params}
    audit["scope"] = visibility.describe()  # the audit line's field name is kept
    try:
        body = query(service)
    except DomainError as exc:
        logger.info("hierarchy query", extra={"audit": audit | {"status": status_of(exc)}})
        raise
    size = len(body) if isinstance(body, list) else _objects(body)
    logger.info("hierarchy query", extra={"audit": audit | {"status": 200, "result_size": size}})
    return cacheable_response(app, body)


def _objects(value: Any) -> int:
    """How many objects an answer holds (its size for the audit line)."""
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values() if isinstance(v, list | dict))
    return 0


# Routes that take one id from the path: (path, the documented parameter, audit name, query).
_BY_ID: list[tuple[str, str, str, Callable[[HierarchyService, str], Any]]] = [
    ("unidades/<code>", "idInstituicao", "unidades",
     lambda s, code: rows.units(s.units(code))),
    ("turmas/<code>", "idUnidade", "turmas",
     lambda s, code: rows.turmas(s.turmas(code))),
    ("horarios/<code>", "idTurma", "horarios",
     lambda s, code: rows.schedules(s.schedules(code))),
    ("turma/<code>/alunos", "idTurma", "turma-alunos",
     lambda s, code: rows.students(s.students(code))),
    ("instituicao/<code>/completa", "idInstituicao", "instituicao-completa",
     lambda s, code: rows.complete(s.complete(code))),
    ("horario-completo/<code>", "horarioId", "horario-completo",
     lambda s, code: rows.complete_schedule(s.complete_schedule(code))),
]  # fmt: skip


def _by_id(param: str, endpoint: str, query: Callable[[HierarchyService, str], Any]) -> Any:
    def route(code: str) -> Any:
        value = _id(code, param)
        return _answer(endpoint, {param: value}, lambda service: query(service, value))

    route.__name__ = endpoint.replace("-", "_")
    return route


for _path, _param, _endpoint, _query in _BY_ID:
    app.get(f"{BASE}/{_path}", middlewares=users)(_by_id(_param, _endpoint, _query))


@app.get(f"{BASE}/instituicoes", middlewares=users)
def institutions() -> Any:
    return _answer("instituicoes", {}, lambda s: rows.institutions(s.institutions()))


@app.get(f"{BASE}/horarios-usuario/<identification>", middlewares=users)
def user_schedules(identification: str) -> Any:
    value = _id(identification, "identificacao")
    # The identification may be an email or a CPF: the audit line records its kind only.
    kind = "email" if "@" in value else "id"
    return _answer(
        "horarios-usuario",
        {"identificacao": kind},
        lambda s: rows.user_schedules(s.user_schedules(value)),
    )


@app.get(f"{BASE}/debug-horarios", middlewares=[user(Role.ADMIN)])
def all_schedules() -> Any:
    return _answer("debug-horarios", {}, lambda s: rows.all_schedules(s.all_schedules()))


@app.get(f"{BASE}/buscar-usuarios", middlewares=users)
def search_users() -> Any:
    raw = app.current_event.query_string_parameters or {}
    papel = raw.get("papel", "").strip()
    role = PapelNaTurma.parse(papel) if papel else None
    if papel and role is None:
        names = ", ".join(r.name for r in PapelNaTurma)
        raise errors.bad_request("Papel inválido", details=f"papel deve ser um de: {names}")
    filters = Filters(
        institution=_id(raw["instituicaoId"], "instituicaoId") if "instituicaoId" in raw else "",
        unit=_id(raw["unidadeId"], "unidadeId") if "unidadeId" in raw else "",
        turma=_id(raw["turmaId"], "turmaId") if "turmaId" in raw else "",
        role=role,
    )
    return _answer(
        "buscar-usuarios", _params(filters), lambda s: rows.people(s.search_users(filters))
    )


def _params(filters: Filters) -> dict[str, Any]:
    given = {
        "instituicaoId": filters.institution,
        "unidadeId": filters.unit,
        "turmaId": filters.turma,
        "papel": filters.role.name if filters.role else "",
    }
    return {k: v for k, v in given.items() if v}


@app.get(f"{BASE}/destinatarios", middlewares=users)
def recipients() -> Any:
    return _answer("destinatarios", {}, lambda s: rows.recipients(s.recipients()))


handler = lambda_handler(app)
