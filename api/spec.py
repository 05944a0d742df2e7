"""Render the OpenAPI document. ``python -m api.spec`` rewrites ``openapi/openapi.json``.

The committed file is what SDK generators read; ``tests/api/test_spec.py`` fails when it drifts from the
app, so regenerate it (``make openapi``) whenever the API or the rule set's vocabularies change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    from engine import load_rulebook

    from .main import create_app

    # Always the bundled rule set: the committed spec describes what the repository ships.
    app = create_app(rulebook=load_rulebook(SPEC_PATH.parent.parent / "rules"))
    text = render(app.openapi())
    args = argv if argv is not None else sys.argv[1:]
    if args == ["--check"]:
        if SPEC_PATH.read_text(encoding="utf-8") != text:
            print(f"{SPEC_PATH} is out of date: run `python -m api.spec`", file=sys.stderr)
            return 1
        return 0
    SPEC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
