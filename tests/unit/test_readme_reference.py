"""The README's reference tables name every template parameter and output and every
environment variable the settings read, so an operator finds each knob there."""

from __future__ import annotations

import re
from pathlib import Path

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]


def _readme() -> str:
    return (ROOT / "README.md").read_text("utf-8")


def test_every_parameter_and_output_is_in_the_readme() -> None:
    template = Template.read()
    readme = _readme()
    missing = [
        name
        for name in [*template.document["Parameters"], *template.document["Outputs"]]
        if f"`{name}`" not in readme
    ]
    assert missing == []


def test_every_environment_variable_the_settings_read_is_in_the_readme() -> None:
    source = (ROOT / "layers" / "shared" / "ponte" / "settings.py").read_text()
    read = set(re.findall(r'_env\(\s*"([A-Z][A-Z0-9_]+)"', source))
    read |= set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert len(read) > 30
    readme = _readme()
    assert sorted(name for name in read if f"`{name}`" not in readme) == []
