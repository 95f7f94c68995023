"""What ships with Ponte describes the APIs by what they are: no line of the product's docs,
examples, template or code names the internal specification documents ("seed 000" … "seed
004", "the seed's …") that its users never see. Pure file reading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES_A_SPEC = re.compile(r"\bseeds?\b|\bseed'?s\b|seed ?0{0,2}[0-4]\b", re.IGNORECASE)
FILES = ("README.md", "CHANGELOG.md", "template.yaml")
EVERY_FILE = ("docs", "examples")  # text files of any kind; binary ones are passed over
CODE = ("layers", "functions", "infra")
CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".json", ".yaml", ".md"}
SKIPPED_DIRS = {"__pycache__", ".venv"}


def _walk(top: str) -> Iterator[Path]:
    for path in sorted((ROOT / top).rglob("*")):
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def _product_files() -> Iterator[Path]:
    for name in FILES:
        yield ROOT / name
    for top in EVERY_FILE:
        yield from _walk(top)
    for top in CODE:
        yield from (path for path in _walk(top) if path.suffix in CODE_SUFFIXES)


def _text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:  # an image or another binary file: no prose to check
        return None


def test_no_product_file_names_a_specification_document() -> None:
    found: list[str] = []
    checked = 0
    for path in _product_files():
        text = _text(path)
        if text is None:
            continue
        checked += 1
        for number, line in enumerate(text.splitlines(), 1):
            if NAMES_A_SPEC.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert checked > 100  # the walk reached the code, not only the top-level files
    if found:
        pytest.fail("Lines naming a specification document:\n" + "\n".join(found), pytrace=False)
