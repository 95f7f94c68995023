"""The ERP fields the hierarchy needs (issue 5), additive to seed 000: institutions, a unit's
institution and type, a turma's status/name/horários/members, a student's guardians."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.integration.hierarchy_helpers import build
from tests.support import hierarchy_data


@pytest.fixture
def erp(api: httpx.Client, tenant: TenantFixture) -> Erp:
    return build(api, tenant)


def turma(**changes: Any) -> dict[str, Any]:
    return {**hierarchy_data.ENROLLMENTS[1], **changes}  # T2


def failure(erp: Erp, entity: str, record: dict[str, Any]) -> dict[str, list[str]]:
    response = erp.sync(entity, [record])
    assert response.status_code == 422, response.text
    errors: dict[str, list[str]] = response.json()["errors"]
    return errors


def test_institutions_sync_and_read_back(erp: Erp) -> None:
    listed = erp.get("institutions").json()

    assert [(i["code"], i["type"]) for i in listed["data"]] == [
        ("INST1", "Matriz"),
        ("INST2", "Filial"),
    ]
    assert erp.ok("institutions", hierarchy_data.INSTITUTIONS)["unchanged"] == 2
    assert failure(erp, "institutions", {"code": "X", "name": "X", "type": "Sede"}) == {
        "institutions.0.type": ["Tipo deve ser Matriz ou Filial"]
    }


def test_a_unit_must_name_an_existing_institution(erp: Erp) -> None:
    unit = {"code": "U9", "name": "Nova", "institution_code": "NOPE", "type": "Filial"}

    assert failure(erp, "units", unit) == {
        "units.0.institution_code": ["A instituição selecionada não existe"]
    }
    assert erp.ok("units", [{**unit, "institution_code": "default"}])["created"] == 1


def test_turma_status_accepts_the_seed_names_and_the_erp_ones(erp: Erp) -> None:
    assert erp.ok("enrollments", [turma(status="inactive")])["updated"] == 1
    assert erp.get("enrollments/T2").json()["data"]["status"] == "inactive"
    assert erp.ok("enrollments", [turma(status="ATIVA")])["updated"] == 1
    assert erp.get("enrollments/T2").json()["data"]["status"] == "active"
    assert failure(erp, "enrollments", turma(status="Encerrada")) == {
        "enrollments.0.status": ["Status deve ser Ativa, Inativa ou Suspensa"]
    }


def test_members_must_exist_and_have_a_known_role(erp: Erp) -> None:
    assert failure(erp, "enrollments", turma(members=[{"code": "NOBODY", "role": "Monitor"}])) == {
        "enrollments.0.members": ["O membro NOBODY não existe"]
    }
    assert failure(erp, "enrollments", turma(members=[{"code": "AL1", "role": "Diretor"}])) == {
        "enrollments.0.members.0.role": ["Papel deve ser Atleta, Treinador, Coordenador ou Monitor"]
    }
    duplicated = [{"code": "AL1", "role": "Atleta"}, {"code": "AL1", "role": "Monitor"}]
    assert failure(erp, "enrollments", turma(members=duplicated)) == {
        "enrollments.0.members": ["Membro duplicado na turma"]
    }


def test_a_horario_code_belongs_to_one_turma(erp: Erp) -> None:
    taken = turma(schedules=[{"code": "H1", "description": "Outra"}])  # H1 is T1's

    assert failure(erp, "enrollments", taken) == {
        "enrollments.0.schedule": ["Horário já cadastrado em outra turma"]
    }
    # T1 gives H1 up; then T2 may take it.
    t1 = hierarchy_data.ENROLLMENTS[0]
    erp.ok("enrollments", [{**t1, "schedules": t1["schedules"][1:]}])
    assert erp.ok("enrollments", [taken])["updated"] == 1


def test_guardians_are_validated(erp: Erp) -> None:
    student = {**hierarchy_data.STUDENTS[4], "guardians": [{"name": "Pai", "email": "pai@"}]}

    assert failure(erp, "students", student) == {"students.0.guardians.0.email": ["Email inválido"]}


def test_old_records_without_the_new_fields_stay_unchanged(erp: Erp) -> None:
    """Empty lists and absent lists are the same: a resync of the same data writes nothing."""
    same = [{**hierarchy_data.ENROLLMENTS[3], "schedules": [], "members": []}]

    assert erp.ok("enrollments", same)["unchanged"] == 1
