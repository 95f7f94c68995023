"""The ERP integration API's answers: a batch's outcome record by record, and the
records read back (each entity's own fields, as stored)."""

from __future__ import annotations

from typing import Any

from ponte.http.responses import ResponseModel, Success, absent_when_none


class RecordErrors(ResponseModel):
    """A record left as it was"""

    index: int  # its position in the batch
    code: str | None
    errors: dict[str, list[str]]  # field -> messages


class RecordWarnings(ResponseModel):
    """A record applied, with something worth knowing"""

    index: int
    code: str | None
    warnings: dict[str, list[str]]


class StudentLinks(ResponseModel):
    linked: int
    unlinked: int


class SyncCounts(ResponseModel):
    created: int
    updated: int
    failed: int
    unchanged: int
    errors: list[RecordErrors]
    warnings: list[RecordWarnings]
    students: StudentLinks | None = absent_when_none()  # enrollments only: links made, removed


class SyncResult(Success):
    """The batch was applied record by record; invalid records are in `data.errors`"""

    message: str
    data: SyncCounts


class SyncRefused(ResponseModel):
    """Validation error, field by field (`code` is additive); when every record of the batch
    failed, `data` carries the counts as a 200 would"""

    success: bool
    message: str
    errors: dict[str, list[str]]  # `<entity>.<index>.<field>` -> messages
    code: str
    data: SyncCounts | None = absent_when_none()


class ListMeta(ResponseModel):
    current_page: int
    per_page: int
    total: int
    last_page: int


class RecordList(Success):
    """A page of records; `next_cursor` walks large lists at constant cost"""

    data: list[dict[str, Any]]
    meta: ListMeta
    next_cursor: str | None


class RecordAnswer(Success):
    """The record as stored (with links resolved)"""

    data: dict[str, Any]


class SubjectList(Success):
    """The professor's subjects"""

    data: list[dict[str, Any]]
