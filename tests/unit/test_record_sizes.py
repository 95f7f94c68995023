"""Records of any size without AWS: where a record's JSON is kept, and how a page of
records is sized to one answer."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from ponte.domain.records import (
    INLINE_JSON_BYTES,
    ITEM_DATA_BYTES,
    PulledRecord,
    StoredObject,
    encode,
    unpack,
)
from ponte.services.pulls import answers
from ponte.services.pulls.answers import Fit, Fitter, Link


def test_a_record_is_kept_in_its_item_compressed_or_in_an_object_by_size() -> None:
    small = {"id": 1, "subject": "A impressora não liga"}
    wordy = {"id": 2, "description": "A impressora não imprime. " * 30_000}  # 780 KB
    noisy = {"id": 3, "description": secrets.token_urlsafe(ITEM_DATA_BYTES)}
    long = {"id": 4, "description": "a" * (INLINE_JSON_BYTES + 1)}  # tiny gzip, too long

    assert encode(small).placement == "item"
    assert encode(wordy).placement == "packed"
    assert encode(noisy).placement == "object"
    assert encode(long).placement == "object"  # an answer may need a link to it
    packed = encode(wordy).packed
    assert packed is not None
    assert unpack(packed) == wordy
    assert json.loads(encode(small).text) == small


def _record(vendor_id: str, size: int, *, stored: bool = False) -> PulledRecord:
    data = {} if stored else {"text": "x" * size}
    where = StoredObject(f"objects/{vendor_id}", size) if stored else None
    return PulledRecord(vendor_id, "2026-01-01T00:00:00.000Z", data, "h", stored=where)


def _measure(record: PulledRecord, link: Link | None) -> int:
    return 100 if link is not None else len(json.dumps(record.data))


@pytest.fixture
def objects(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stored objects, read and linked without S3."""
    stored: dict[str, Any] = {}
    monkeypatch.setattr(answers.record_objects, "read", lambda key: stored[key])
    monkeypatch.setattr(answers.record_objects, "link", lambda key: f"https://s3/{key}")
    return stored


def test_a_page_ends_before_the_record_that_would_not_fit(objects: dict[str, Any]) -> None:
    fitter = Fitter(Fit(1000, _measure))

    assert fitter(_record("a", 400)) is not None
    assert fitter(_record("b", 400)) is not None
    assert fitter(_record("c", 400)) is None  # the next page starts with it
    assert fitter.links == {}


def test_a_stored_record_comes_inline_when_it_fits_else_by_link(objects: dict[str, Any]) -> None:
    objects["objects/a"] = {"text": "y" * 300}
    fitter = Fitter(Fit(1000, _measure))

    inline = fitter(_record("a", 312, stored=True))
    assert inline is not None
    assert inline.data == {"text": "y" * 300}
    assert fitter(_record("b", 5000, stored=True)) is not None  # larger than any answer
    assert fitter.links["b"].url == "https://s3/objects/b"
    assert "a" not in fitter.links


def test_a_stored_record_that_fits_only_a_page_of_its_own_waits_for_it(
    objects: dict[str, Any],
) -> None:
    objects["objects/b"] = {"text": "z" * 800}
    first = Fitter(Fit(1000, _measure))
    assert first(_record("a", 400)) is not None
    assert first(_record("b", 812, stored=True)) is None  # not read: it cannot fit here

    second = Fitter(Fit(1000, _measure))
    whole = second(_record("b", 812, stored=True))
    assert whole is not None
    assert whole.data == {"text": "z" * 800}
