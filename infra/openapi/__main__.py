"""``python -m openapi [DIR]``: write each API's document to DIR (docs/openapi by default)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from openapi.apis import APIS
from openapi.spec import document


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/openapi")
    out.mkdir(parents=True, exist_ok=True)
    for api in APIS:
        path = out / f"{api.name}.json"
        doc = document(api)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"{path}: {sum(len(item) for item in doc['paths'].values())} operations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
