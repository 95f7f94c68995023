"""Where the hierarchy places records and how a write moves the tenant's counters (pure)."""

from typing import Any

from ponte.domain.academic import Entity
from ponte.repository import counters
from ponte.repository.academic import StoredRecord
from ponte.services import placement


def _stored(entity: Entity, data: dict[str, Any], parent: str = "") -> StoredRecord:
    return StoredRecord(entity, "X", data, 1, "2026-01-01", "2026-01-01", parent=parent)


TURMA = {"professor_code": "P1", "student_codes": ["A1", "A2"], "schedules": [{"code": "H1"}]}


def test_responsible_is_the_email_else_the_professor_code() -> None:
    assert placement.responsible({"responsible_email": "c@x", "responsible_code": "P"}) == "c@x"
    assert placement.responsible({"responsible_code": "P9"}) == "code:P9"
    assert placement.responsible({}) == ""


def test_a_new_active_unit_counts_once_under_its_institution() -> None:
    deltas = placement.counter_deltas(Entity.UNITS, {"name": "U"}, None, "INST")
    assert deltas == {
        counters.total("units"): 1,
        counters.active("units"): 1,
        counters.placed("units", "INST"): 1,
    }


def test_deactivating_a_unit_leaves_its_institutions_count() -> None:
    stored = _stored(Entity.UNITS, {"name": "U"}, parent="INST")
    deltas = placement.counter_deltas(Entity.UNITS, {"status": "inactive"}, stored, "INST")
    assert deltas == {counters.active("units"): -1, counters.placed("units", "INST"): -1}


def test_a_new_turma_counts_its_people_and_horarios() -> None:
    deltas = placement.counter_deltas(Entity.ENROLLMENTS, TURMA, None, "UN1")
    assert deltas[counters.placed("enrollments", "UN1")] == 1
    assert deltas[counters.MEMBERSHIPS] == 3  # two students and the professor
    assert deltas[counters.SCHEDULES] == 1


def test_a_turma_moving_unit_moves_its_count_and_nothing_else() -> None:
    stored = _stored(Entity.ENROLLMENTS, TURMA, parent="UN1")
    deltas = placement.counter_deltas(Entity.ENROLLMENTS, TURMA, stored, "UN2")
    assert deltas == {
        counters.placed("enrollments", "UN1"): -1,
        counters.placed("enrollments", "UN2"): 1,
    }


def test_an_unchanged_record_changes_no_counter() -> None:
    stored = _stored(Entity.ENROLLMENTS, TURMA, parent="UN1")
    assert placement.counter_deltas(Entity.ENROLLMENTS, TURMA, stored, "UN1") == {}
