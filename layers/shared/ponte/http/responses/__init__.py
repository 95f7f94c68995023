"""Response models: the presenters build them, the handlers render them and the OpenAPI
documents are generated from them, so a field an answer carries is in its document by
construction (there is no second description of a shape to fall behind)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field


class ResponseModel(BaseModel):
    """An answer or a part of one. Unknown fields are refused, so a presenter cannot emit a
    field its model (and so the document) lacks. The schema is the serialization one with
    every field required: an answer always carries each key, null or not, unless the field
    is :func:`absent_when_none`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_mode_override="serialization",
        json_schema_serialization_defaults_required=True,
    )


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # a default says nothing of an answer, which always has the key


def _never_null(schema: dict[str, Any]) -> None:
    _no_default(schema)
    branches = schema.pop("anyOf", None)
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict):
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


def absent_when_none() -> Any:
    """A field the answer leaves out when it has no value (never null): optional, and typed
    without null, in the document."""
    return Field(default=None, exclude_if=lambda v: v is None, json_schema_extra=_never_null)


class Success(ResponseModel):
    """The envelope of a successful answer: ``{success: true, data, …}``."""

    success: bool = Field(default=True, json_schema_extra=_no_default)


class PageMeta(ResponseModel):
    total: int
    page: int
    limit: int
    totalPages: int

    @classmethod
    def of(cls, total: int, page: int, limit: int) -> Self:
        return cls(total=total, page=page, limit=limit, totalPages=-(-total // limit))


class CursorMeta(ResponseModel):
    limit: int
    nextCursor: str | None
