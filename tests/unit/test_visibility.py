"""What a hierarchy user may see, once resolved (pure rules; resolving reads link items)."""

from ponte.auth.principals import Role
from ponte.domain.academic import Entity
from ponte.domain.hierarchy import PapelNaTurma
from ponte.repository.academic import StoredRecord
from ponte.services.hierarchy.visibility import Visibility, claim_codes


def _turma(code: str, unit: str) -> StoredRecord:
    return StoredRecord(Entity.ENROLLMENTS, code, {}, 1, "t", "t", parent=unit)


def test_an_admin_sees_everything() -> None:
    admin = Visibility(Role.ADMIN, everything=True)
    assert admin.sees_turma(_turma("T1", "ANY"))
    assert admin.sees_whole_unit("ANY")
    assert admin.describe() == {"role": "admin", "tenant": True}


def test_a_coordinator_sees_the_turmas_of_their_units_only() -> None:
    coordinator = Visibility(Role.COORDINATOR, units=frozenset({"UN1"}))
    assert coordinator.sees_turma(_turma("T1", "UN1"))
    assert not coordinator.sees_turma(_turma("T2", "UN2"))
    assert coordinator.sees_whole_unit("UN1")
    assert not coordinator.sees_whole_unit("UN2")


def test_a_professor_sees_single_turmas_not_their_units() -> None:
    professor = Visibility(Role.PROFESSOR, turmas=frozenset({"T1"}), identity={"professor": "P1"})
    assert professor.sees_turma(_turma("T1", "UN1"))
    assert not professor.sees_turma(_turma("T2", "UN1"))
    assert not professor.sees_whole_unit("UN1")
    assert professor.describe() == {"role": "professor", "professor": "P1", "turmas": 1}


def test_a_guardian_sees_their_students_and_the_staff_only() -> None:
    guardian = Visibility(Role.GUARDIAN, turmas=frozenset({"T1"}), students=frozenset({"A1"}))
    assert guardian.sees_person("A1", PapelNaTurma.Aluno)
    assert not guardian.sees_person("A2", PapelNaTurma.Aluno)
    assert guardian.sees_person("P1", PapelNaTurma.Professor)
    everyone = Visibility(Role.PROFESSOR)
    assert everyone.sees_person("A2", PapelNaTurma.Aluno)


def test_list_claims_come_as_lists_or_as_csv() -> None:
    assert claim_codes(["UN1", " UN2 ", ""]) == {"UN1", "UN2"}
    assert claim_codes("UN1, UN2,") == {"UN1", "UN2"}
    assert claim_codes(None) == frozenset()
    assert claim_codes(7) == frozenset()
