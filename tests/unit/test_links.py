"""How a record's new version changes its links (pure rules behind the ERP sync endpoints)."""

from ponte.domain import links

TURMA = {
    "professor_code": "P1",
    "subject_code": "MAT",
    "semester": "2026.1",
    "status": "active",
    "student_codes": ["A1", "A2"],
    "members": [{"code": "A9", "role": "Monitor"}],
}


def test_diff_is_sorted_additions_and_removals() -> None:
    change = links.diff(["c", "a", "b"], ["b", "d"])
    assert (change.added, change.removed) == (["a", "c"], ["d"])
    assert links.diff([], []) == links.Change([], [])


def test_a_new_turma_links_everyone_and_its_professor() -> None:
    assert links.diff(links.students(TURMA), links.students(None)).added == ["A1", "A2"]
    assert links.member_change(TURMA, None) == links.MemberChange([("A9", "Monitor")], [])
    teaching = links.teaching_change(TURMA, None)
    assert teaching.dropped is None
    assert teaching.teaching == {"subject_code": "MAT", "semester": "2026.1", "status": "active"}


def test_an_identical_turma_changes_no_link() -> None:
    assert links.diff(links.students(TURMA), links.students(TURMA)) == links.Change([], [])
    assert links.member_change(TURMA, TURMA) == links.MemberChange([], [])
    assert links.teaching_change(TURMA, TURMA) == links.TeachingChange(None, None)


def test_students_and_members_moving_in_and_out() -> None:
    new = TURMA | {
        "student_codes": ["A2", "A3"],
        "members": [{"code": "A9", "role": "Atleta"}, {"code": "P7", "role": "Treinador"}],
    }
    change = links.diff(links.students(new), links.students(TURMA))
    assert (change.added, change.removed) == (["A3"], ["A1"])
    # A9's role changed: its link is rewritten, not removed.
    assert links.member_change(new, TURMA) == links.MemberChange(
        [("A9", "Atleta"), ("P7", "Treinador")], []
    )
    assert links.member_change(TURMA | {"members": []}, TURMA).removed == ["A9"]


def test_a_new_professor_drops_the_old_link_and_writes_the_new() -> None:
    change = links.teaching_change(TURMA | {"professor_code": "P2"}, TURMA)
    assert change.dropped == "P1"
    assert change.teaching is not None


def test_a_changed_semester_rewrites_the_professor_link_only() -> None:
    change = links.teaching_change(TURMA | {"semester": "2026.2"}, TURMA)
    assert change.dropped is None
    assert change.teaching == {"subject_code": "MAT", "semester": "2026.2", "status": "active"}


def test_guardians_are_known_by_email() -> None:
    student = {"guardians": [{"name": "M", "email": "m@x.com", "cpf": None}]}
    assert links.guardians(student) == {"m@x.com"}
    assert links.guardians(None) == set()
