"""Academic records in the table.

- ``records``: reads by key (records by entity and code, owners of unique values);
- ``operations``: the writes a service plans, one :class:`Plan` per record;
- ``transactions``: plans packed into transactions and committed whole or not at all;
- ``listing``: filtered, paged and counted listings, and the hierarchy's placements;
- ``links``: reads of the link items between records.
"""

from ponte.repository.academic.links import (
    guardian_students,
    member_turmas,
    professor_enrollments,
    student_turmas,
)
from ponte.repository.academic.listing import (
    Listing,
    all_records,
    count_records,
    list_records,
    placed_records,
    records_after,
    records_by_code,
    responsible_records,
)
from ponte.repository.academic.operations import (
    Claim,
    Failure,
    GuardianLink,
    MemberLink,
    Move,
    Operation,
    Plan,
    ProfessorLink,
    PutRecord,
    Release,
    StudentLink,
)
from ponte.repository.academic.records import (
    ClaimKey,
    RecordKey,
    StoredRecord,
    get_claims,
    get_records,
    lookup,
)
from ponte.repository.academic.transactions import commit

__all__ = [
    "Claim",
    "ClaimKey",
    "Failure",
    "GuardianLink",
    "Listing",
    "MemberLink",
    "Move",
    "Operation",
    "Plan",
    "ProfessorLink",
    "PutRecord",
    "RecordKey",
    "Release",
    "StoredRecord",
    "StudentLink",
    "all_records",
    "commit",
    "count_records",
    "get_claims",
    "get_records",
    "guardian_students",
    "list_records",
    "lookup",
    "member_turmas",
    "placed_records",
    "professor_enrollments",
    "records_after",
    "records_by_code",
    "responsible_records",
    "student_turmas",
]
