"""Every state machine of template.yaml checked by statelint, with its substitutions filled in
as CloudFormation would (function ARNs of the template's functions).
``python -m statemachines.lint`` exits non-zero on the first definition statelint refuses."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.template import Template

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def definitions() -> dict[str, str]:
    """Each state machine's logical id and its definition, ready to deploy."""
    template = Template.read()
    for logical_id in template.resources("AWS::Serverless::Function"):
        template.attributes[(logical_id, "Arn")] = f"{ACCOUNT_ARN}:{logical_id}"
    return {
        logical_id: template.state_machine_definition(logical_id)
        for logical_id in template.resources("AWS::Serverless::StateMachine")
    }


def main() -> int:
    statelint = Path(sys.executable).with_name("statelint")
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for logical_id, definition in definitions().items():
            path = Path(folder) / f"{logical_id}.asl.json"
            path.write_text(definition)
            result = subprocess.run(
                [str(statelint), str(path)], capture_output=True, text=True, check=False
            )
            verdict = "ok" if result.returncode == 0 else "REFUSED"
            print(f"statelint {logical_id}: {verdict}")
            if result.returncode != 0:
                print(result.stdout + result.stderr, file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
