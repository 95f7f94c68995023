"""The README's examples, run as written against the local stack that `make dev` runs.

The stack runs as `make dev` runs it (`python -m devstack`, its own moto server) on free ports,
in a scratch directory holding a copy of `examples/`; every ```bash block of the README runs in
order in one bash session, `set -euo pipefail`, with `curl` failing on an HTTP error. A block
the test cannot run says why in a `<!-- readme-test: not run (…) -->` line above it. The only
change to the text is the port in `B=http://127.0.0.1:3000`. A `# {…}` (or `# […]`) comment is
the answer the command must give, written on the lines under it or at the end of its own line
(fields shown must match; `…` stands for the rest); every such answer is compared. The commands
write nothing outside `.ponte/` (git-ignored), as in a user's clone.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ponte import tls

# Among the longest modules: started first (conftest), not left for last.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SKIP = re.compile(r"<!-- readme-test: not run \((.+)\) -->")
BASE_LINE = "B=http://127.0.0.1:3000"
# A comment that starts with `{` or `[` is an answer, on its own line or after a command.
ANSWER_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*(?=[{\[])")
# What the test itself puts in the scratch directory, beside .ponte/ and the examples' copy.
TEST_FILES = frozenset({"dev.log", "progress", "answers.jsonl"})


@dataclass
class Statement:
    line: int  # in README.md, 1-based
    text: str
    expected: str | None = None
    answer_lines: list[int] = field(default_factory=list)  # where `expected` is written

    def add_answer(self, line: int, text: str) -> None:
        self.expected = text if self.expected is None else self.expected + text
        self.answer_lines.append(line)


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


def _trailing_answer(text: str) -> str | None:
    """The answer written at the end of a command's last line (`cmd   # {…}`), if any: a
    `#` outside quotes, so a comment, followed by `{` or `[`."""
    last = text.rfind("\n") + 1
    for found in ANSWER_COMMENT.finditer(text, last):
        if found.start() > last and _complete(text[: found.start()]):
            return text[found.end() :].strip()
    return None


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
                last.add_answer(number, answer)  # an answer shown over several lines
            elif last is not None and last.expected is None and answer.startswith(("{", "[")):
                last.add_answer(number, answer)
            continue
        if not pending and not stripped:
            continue
        if not pending:
            start = number
        pending.append(line)
        text = "\n".join(pending)
        if _complete(text):
            statement = Statement(start, text)
            trailing = _trailing_answer(text)
            if trailing is not None:
                statement.add_answer(number, trailing)
            found.append(statement)
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
            health = f"{base_url}/api/integration/v1/health"
            if httpx.get(health, timeout=2, verify=tls.context()).status_code == 200:
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


def test_every_answer_the_readme_shows_is_compared() -> None:
    """An answer the parser does not attach to a command (in a block the test does not run,
    after a command that already has one, not JSON) would go unchecked: none may exist."""
    blocks = readme_blocks(README.read_text("utf-8"))
    shown = {
        block.line + offset
        for block in blocks
        for offset, line in enumerate(block.body)
        if ANSWER_COMMENT.search(line)
    }
    run = [s for block in blocks if not block.skipped for s in statements(block)]
    compared = {line for s in run for line in s.answer_lines}
    assert sorted(shown - compared) == [], "README.md lines with an answer the test skips"
    unreadable = [s.line for s in run if s.expected is not None and not _parses(s.expected)]
    assert unreadable == [], "README.md lines whose answer is not JSON"


def test_answers_are_read_under_a_command_and_at_its_end() -> None:
    block = Block(
        10,
        [
            'curl $B/a | tee .ponte/a.json    # {"a": 1, …}',
            'curl -d \'{"b": "x # {quoted}"}\' $B/b   # ?page&limit',
            "curl $B/c \\",
            "     -d '{}'   # [1,",
            "# 2]",
            "curl $B/d",
            '# {"d": true,',
            '#  "e": …}',
        ],
        None,
    )
    found = [(s.line, s.expected, s.answer_lines) for s in statements(block)]
    assert found == [
        (10, '{"a": 1, …}', [10]),
        (11, None, []),
        (12, "[1,2]", [13, 14]),
        (15, '{"d": true,"e": …}', [16, 17]),
    ]


def _left_outside_ponte(workdir: Path) -> list[str]:
    """Files under ``workdir`` outside .ponte/ that the test did not put there itself."""
    ours = TEST_FILES | {
        path.relative_to(ROOT).as_posix() for path in (ROOT / "examples").rglob("*")
    }
    return sorted(
        name
        for path in workdir.rglob("*")
        if not path.is_dir()
        and (name := path.relative_to(workdir).as_posix()) not in ours
        and not name.startswith(".ponte/")
    )


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
    # Nothing lands in the user's work tree: a file there is untracked, and may hold a key.
    assert _left_outside_ponte(dev_stack.workdir) == [], "written outside .ponte/"


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
