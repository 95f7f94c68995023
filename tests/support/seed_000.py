"""The example requests of seed 000 ("Fluxo de Sincronização"), in the seed's order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The seed's records are the example bundle the README syncs (examples/bundle.json).
BUNDLE: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "bundle.json").read_text("utf-8")
)
UNITS = BUNDLE["units"]
AREAS = BUNDLE["areas"]
COURSES = BUNDLE["courses"]
SUBJECTS = BUNDLE["subjects"]
PROFESSORS = BUNDLE["professors"]
STUDENTS = BUNDLE["students"]
ENROLLMENTS = BUNDLE["enrollments"]

FLOW: list[tuple[str, list[dict[str, Any]]]] = [
    ("units", UNITS),
    ("areas", AREAS),
    ("courses", COURSES),
    ("subjects", SUBJECTS),
    ("professors", PROFESSORS),
    ("students", STUDENTS),
    ("enrollments", ENROLLMENTS),
]
