"""The README's examples, run as written against the local stack that `make dev` runs.

The stack runs as `make dev` runs it (`python -m devstack`, its own moto server) on free ports,
in a scratch directory holding a copy of `examples/`; every ```bash block of the README runs in
order in one bash session, `set -euo pipefail`, with `curl` failing on an HTTP error. A block
the test cannot run says why in a `<!-- readme-test: not run (…) -->` line above it. The only
change to the text is the port in `B=http://127.0.0.1:3000`. A `# {…}` line under a command is
the answer it must give (fields shown must match; `…` stands for the rest).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SKIP = re.compile(r"<!-- readme-test: not run \((.+)\) -->")
BASE_LINE = "B=http://127.0.0.1:3000"


@dataclass
class Statement:
    line: int  # in README.md, 1-based
    text: str
    expected: str | None = None


@dataclass
class Block:
    line: int
    body: list[str]
    skipped: str | None


def readme_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```bash":
            skip = SKIP.search(lines[index - 1]) if index else None
            end = lines.index("```", index + 1)
            blocks.append(Block(index + 2, lines[index + 1 : end], skip and skip.group(1)))
            index = end
        index += 1
    return blocks


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:  # an open quote: the statement goes on
        return False
    return True


def statements(block: Block) -> list[Statement]:
    found: list[Statement] = []
    pending: list[str] = []
    start = 0
    for offset, line in enumerate(block.body):
        number = block.line + offset
        stripped = line.strip()
        if not pending and stripped.startswith("#"):
            answer = stripped.lstrip("#").strip()
            last = found[-1] if found else None
            if last is not None and last.expected is not None and not _parses(last.expected):
                last.expected += answer  # an answer shown over several lines
            elif last is not None and last.expected is None and answer.startswith(("{", "[")):
                last.expected = answer
            continue
        if not pending and not stripped:
            continue
        if not pending:
            start = number
        pending.append(line)
        if _complete("\n".join(pending)):
            found.append(Statement(start, "\n".join(pending)))
            pending = []
    assert not pending, f"README.md:{start}: an unfinished command"
    return found


def _parses(expected: str) -> bool:
    try:
        _loose(expected)
    except ValueError:
        return False
    return True


def _loose(expected: str) -> Any:
    """The expected answer as JSON: `,…` / `…` stand for fields or items not shown."""
    return json.loads(re.sub(r",?\s*…", "", expected))


def matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


PRELUDE = """\
set -euo pipefail
curl() { command curl --silent --show-error --fail-with-body "$@"; }
__at() { printf '%s\\n' "$1" > "$__PROGRESS"; }
__answer() { jq -cn --argjson line "$1" --arg output "$2" '{line: $line, output: $output}' \
  >> "$__ANSWERS"; }
"""


def script(blocks: list[Block], base_url: str) -> str:
    parts = [PRELUDE]
    for block in blocks:
        if block.skipped:
            continue
        for statement in statements(block):
            text = statement.text.replace(BASE_LINE, f"B={base_url}")
            parts.append(f"__at {statement.line}")
            if statement.expected is None:
                parts.append(text)
            else:
                parts.append(f"__out=$({text}\n)")
                parts.append('printf "%s\\n" "$__out"')
                parts.append(f'__answer {statement.line} "$__out"')
    return "\n".join(parts) + "\n"


def _fresh_shell() -> dict[str, str]:
    """A new terminal's environment (after `source .venv/bin/activate`): nothing the test
    process set for itself (AWS_*, TABLE_NAME, …) leaks into the user's commands."""
    keep = {k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    return keep | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DevStack:
    base_url: str
    workdir: Path
    process: subprocess.Popen[str]
    env: dict[str, str]


def _start_dev(workdir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`make dev`'s process, from the repository as `make dev` runs it (its .ponte/ is the
    scratch directory's); its output goes to dev.log, once it answers health."""
    log = (workdir / "dev.log").open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=log, stderr=log, text=True
    )
    log.close()  # the child holds its own copy
    base_url = f"http://127.0.0.1:{env['PONTE_PORT']}"
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, (workdir / "dev.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the local stack did not answer in 120 s"
        try:
            if httpx.get(f"{base_url}/api/integration/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """`make dev`'s process, in a scratch directory with its own .ponte/ and examples/."""
    workdir = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", workdir / "examples")
    env = _fresh_shell() | {
        "PONTE_PORT": str(_free_port()),
        "PONTE_MOTO_PORT": str(_free_port()),
        "PONTE_STATE_DIR": str(workdir / ".ponte"),
    }
    process = _start_dev(workdir, env)
    try:
        yield DevStack(f"http://127.0.0.1:{env['PONTE_PORT']}", workdir, process, env)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_dev_json_is_there_once_health_answers(dev_stack: DevStack) -> None:
    credentials = json.loads((dev_stack.workdir / ".ponte" / "dev.json").read_text())
    assert credentials["base_url"] == dev_stack.base_url


def test_sam_env_names_the_host_as_a_container_reaches_it(dev_stack: DevStack) -> None:
    """`sam local invoke --env-vars .ponte/sam-env.json` runs in Docker: loopback there is
    the container itself, so every local address names host.docker.internal instead."""
    env = json.loads((dev_stack.workdir / ".ponte" / "sam-env.json").read_text())["Parameters"]
    local = {k: v for k, v in env.items() if "127.0.0.1" in v or "localhost" in v}
    assert local == {"JWT_ISSUER": env["JWT_ISSUER"]}  # the tokens' issuer, not an address
    assert env["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")
    assert env["JWKS_URL"].startswith("http://host.docker.internal:")
    assert env["HUBSPOT_BASE_URL"].startswith("http://host.docker.internal:")
    assert env["VENDOR_PRIVATE_HOSTS"] == "host.docker.internal"


def test_every_readme_example_answers_as_the_readme_says(dev_stack: DevStack) -> None:
    blocks = readme_blocks(README.read_text("utf-8"))
    run = [b for b in blocks if not b.skipped]
    assert len(run) >= 8, "the README's examples were not found"
    progress, answers = dev_stack.workdir / "progress", dev_stack.workdir / "answers.jsonl"
    # The CLI finds the stack through .ponte/dev.json, as in a user's shell.
    env = _fresh_shell() | {"__PROGRESS": str(progress), "__ANSWERS": str(answers)}

    done = subprocess.run(
        ["bash", "-c", script(blocks, dev_stack.base_url)],
        cwd=dev_stack.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    at = progress.read_text().strip() if progress.exists() else "?"
    assert done.returncode == 0, (
        f"README.md:{at} failed ({done.returncode}):\n{done.stderr[-2000:]}\n{done.stdout[-2000:]}"
    )
    expected = {
        s.line: s.expected for block in run for s in statements(block) if s.expected is not None
    }
    given = [json.loads(line) for line in answers.read_text().splitlines()]
    assert sorted(a["line"] for a in given) == sorted(expected)
    for answer in given:
        wanted = expected[answer["line"]]
        assert wanted is not None
        actual = json.loads(answer["output"])
        assert matches(actual, _loose(wanted)), (
            f"README.md:{answer['line']}: {answer['output'][:500]}"
        )


def _time_wait_ports() -> set[int]:
    """Local ports holding a socket in TIME-WAIT (Linux: state 06 in /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {int(r.split()[1].rsplit(":", 1)[1], 16) for r in rows if r.split()[3] == "06"}


def test_make_dev_stops_on_a_signal_and_starts_again_at_once(dev_stack: DevStack) -> None:
    """Stopped and started again at once on the same ports: the closed connections'
    TIME-WAIT sockets still hold both ports, as after any real session, and do not keep it
    from starting. Each stop removes dev.json (its keys die with the stack)."""
    dev_json = dev_stack.workdir / ".ponte" / "dev.json"
    ports = [int(dev_stack.env[name]) for name in ("PONTE_PORT", "PONTE_MOTO_PORT")]
    for port, path in zip(ports, ("/api/integration/v1/health", "/moto-api/"), strict=True):
        for _ in range(3):  # the server closes first, so the TIME-WAIT is on its port
            httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Connection": "close"})
    dev_stack.process.send_signal(signal.SIGTERM)
    assert dev_stack.process.wait(timeout=60) == 0
    assert not dev_json.exists()
    assert set(ports) <= _time_wait_ports()

    again = _start_dev(dev_stack.workdir, dev_stack.env)

    assert dev_json.exists()
    again.send_signal(signal.SIGINT)  # Ctrl+C
    assert again.wait(timeout=30) == 0
    assert not dev_json.exists()
    assert "in use" not in (dev_stack.workdir / "dev.log").read_text()
