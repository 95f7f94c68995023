"""Least privilege, checked: each function's IAM policy against the calls its code made.

The integration tests record every AWS call each function makes (``devstack.aws_calls``) and
save them with the template's policies, resolved on the local stack, to a directory
(``PONTE_CALL_LOG_DIR``). ``python -m devstack.privilege DIR`` then fails when a function made
a call its policy does not allow, or when its policy allows a write it never made. Policies
are the function's inline statements and the ``AWS::IAM::ManagedPolicy`` resources it names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from devstack.aws_calls import Call, CallLog, secret_arn
from devstack.template import Template

POLICIES_FILE = "policies.json"
# IAM's read verbs; any other action changes something.
_READS = ("Get", "BatchGet", "List", "Describe", "Query", "Scan", "Head")


@dataclass(frozen=True)
class Grant:
    """One Allow statement: actions and resources as IAM matches them (``*`` and ``?``)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    # Used by another service on the function's behalf (a KMS key through Secrets Manager):
    # no call of the function's own shows it.
    through: bool = False

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(
            fnmatchcase(resource, r) for r in self.resources
        )


Policies = dict[str, list[Grant]]  # function logical id -> its grants


def is_write(action: str) -> bool:
    return not action.split(":", 1)[1].startswith(_READS)


def _listed(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def policies(template: Template) -> Policies:
    """Each function's Allow statements, resolved (a secret's ARN without its random tail)."""
    managed = template.resources("AWS::IAM::ManagedPolicy")
    found: Policies = {}
    for logical_id, resource in template.resources("AWS::Serverless::Function").items():
        statements: list[Mapping[str, Any]] = []
        for listed in resource["Properties"].get("Policies") or []:
            item = listed
            if isinstance(item, Mapping) and "Fn::If" in item:  # a policy only some stacks get
                condition, chosen, other = item["Fn::If"]
                item = chosen if template.condition(condition) else other
            if item == {"Ref": "AWS::NoValue"}:
                continue
            document = item
            if isinstance(item, Mapping) and set(item) == {"Ref"} and item["Ref"] in managed:
                document = managed[item["Ref"]]["Properties"]["PolicyDocument"]
            if not isinstance(document, Mapping) or "Statement" not in document:
                raise ValueError(f"{logical_id}: unsupported policy {item!r}")
            statements += document["Statement"]
        grants = []
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            resources = _listed(template.resolve(statement["Resource"]))
            resources = tuple(
                secret_arn(template.region, template.account, r)
                if ":secret:" in r and not r.endswith("*")
                else r
                for r in resources
            )
            through = "kms:ViaService" in str(statement.get("Condition", ""))
            grants.append(Grant(_listed(statement["Action"]), resources, through))
        found[logical_id] = grants
    return found


def violations(policies: Policies, calls: Iterable[Call]) -> list[str]:
    """What breaks least privilege, one line each: calls denied, writes allowed but never
    made, functions the tests never ran (nothing proves their policy)."""
    made: dict[str, set[tuple[str, str]]] = {name: set() for name in policies}
    ran = {function for function, _, _ in calls}
    for function, action, resource in calls:
        if action:  # ("F", "", ""): F ran
            made.setdefault(function, set()).add((action, resource))
    found = []
    for function, grants in sorted(policies.items()):
        if function not in ran:
            found.append(f"{function}: never ran in the tests")
            continue
        for action, resource in sorted(made[function]):
            if not any(grant.allows(action, resource) for grant in grants):
                found.append(f"{function}: calls {action} on {resource}, not allowed")
        used = {action.lower() for action, _ in made[function]}
        for grant in (g for g in grants if not g.through):
            for action in grant.actions:
                if "*" in action:
                    found.append(f"{function}: allows {action}, a wildcard")
                elif is_write(action) and action.lower() not in used:
                    found.append(f"{function}: allows {action}, never called")
    return found


def save(directory: Path, log: CallLog, template: Template, worker: str) -> None:
    """This test process's calls and the resolved policies (the same in every process)."""
    directory.mkdir(parents=True, exist_ok=True)
    log.save(directory / f"calls-{worker}.jsonl")
    resolved = {
        name: [[list(g.actions), list(g.resources), g.through] for g in grants]
        for name, grants in policies(template).items()
    }
    (directory / POLICIES_FILE).write_text(json.dumps(resolved, indent=1, sort_keys=True))


def load(directory: Path) -> tuple[Policies, set[Call]]:
    raw = json.loads((directory / POLICIES_FILE).read_text())
    resolved = {
        name: [
            Grant(tuple(actions), tuple(resources), through)
            for actions, resources, through in grants
        ]
        for name, grants in raw.items()
    }
    return resolved, CallLog.load(directory)


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    if not (directory / POLICIES_FILE).exists():
        print(f"least privilege: nothing recorded in {directory}", file=sys.stderr)
        return 1
    resolved, calls = load(directory)
    found = violations(resolved, calls)
    grants = sum(len(g.actions) for grants in resolved.values() for g in grants)
    print(
        f"least privilege: {len(resolved)} functions, {grants} actions granted, "
        f"{len({(f, a) for f, a, _ in calls if a})} (function, action) pairs called"
    )
    for line in found:
        print(f"  {line}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
