"""Keep docs/integrators.md honest: its code is the code sdk/run.sh runs.

    python3 sdk/docs_snippets.py check            # every snippet in the doc equals its region in a test program
    python3 sdk/docs_snippets.py write            # rewrite the doc's snippets from the test programs
    python3 sdk/docs_snippets.py curl BASE_URL    # run the doc's curl examples against a live service

In the test programs a region is delimited by ``# docs:start NAME`` / ``# docs:end NAME`` (Python) or
``// docs:start NAME`` / ``// docs:end NAME`` (TypeScript). In the doc, ``<!-- snippet: NAME -->`` on the line
before a fenced block ties the block to a region; every region must appear in the doc. A fenced ``bash`` block
preceded by ``<!-- curl: expect TEXT -->`` is run by ``curl`` mode with ``http://127.0.0.1:8000`` replaced by
BASE_URL; it must exit 0 and print TEXT.
"""

# ruff: noqa: T201 - a command-line tool
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "integrators.md"
SOURCES = [ROOT / "sdk" / "python" / "test_client.py", ROOT / "sdk" / "typescript" / "test-client.ts"]
DOC_URL = "http://127.0.0.1:8000"

_REGION = re.compile(
    r"^[ \t]*(?:#|//) docs:start (?P<name>[\w-]+)\n(?P<body>.*?)^[ \t]*(?:#|//) docs:end (?P=name)\n", re.M | re.S
)
_SNIPPET = re.compile(r"^<!-- snippet: (?P<name>[\w-]+) -->\n```(?P<lang>\w*)\n(?P<body>.*?)^```\n", re.M | re.S)
_CURL = re.compile(r"^<!-- curl: expect (?P<expect>.+?) -->\n```bash\n(?P<body>.*?)^```\n", re.M | re.S)


def regions() -> dict[str, str]:
    found: dict[str, str] = {}
    for source in SOURCES:
        for match in _REGION.finditer(source.read_text(encoding="utf-8")):
            name = match["name"]
            if name in found:
                raise SystemExit(f"{source.relative_to(ROOT)}: region {name!r} defined twice")
            found[name] = textwrap.dedent(match["body"])
    return found


def check(write: bool = False) -> int:
    code = regions()
    doc = DOC.read_text(encoding="utf-8")
    used: set[str] = set()
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        used.add(name)
        if name not in code:
            problems.append(f"snippet {name!r} has no region in {', '.join(str(s.relative_to(ROOT)) for s in SOURCES)}")
            return match[0]
        if match["body"] != code[name]:
            if not write:
                problems.append(f"snippet {name!r} differs from its region in the test program")
            return f"<!-- snippet: {name} -->\n```{match['lang']}\n{code[name]}```\n"
        return match[0]

    new_doc = _SNIPPET.sub(replace, doc)
    problems += [f"region {name!r} is not shown in {DOC.relative_to(ROOT)}" for name in code if name not in used]
    if write and new_doc != doc:
        DOC.write_text(new_doc, encoding="utf-8")
        print(f"rewrote snippets in {DOC.relative_to(ROOT)}")
    for problem in problems:
        print(f"docs_snippets: {problem}", file=sys.stderr)
    if problems:
        print("docs_snippets: run `python3 sdk/docs_snippets.py write` after changing a test program", file=sys.stderr)
        return 1
    print(f"docs_snippets: {len(used)} snippets in {DOC.relative_to(ROOT)} match the test programs")
    return 0


def curl(base_url: str) -> int:
    if shutil.which("curl") is None:
        print("docs_snippets: curl is not installed; skipping the curl examples")
        return 0
    examples = list(_CURL.finditer(DOC.read_text(encoding="utf-8")))
    failed = 0
    for n, match in enumerate(examples, 1):
        script = match["body"].replace(DOC_URL, base_url.rstrip("/"))
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
        first_line = match["body"].splitlines()[0]
        if run.returncode != 0 or match["expect"] not in run.stdout:
            failed += 1
            print(f"docs_snippets: curl example {n} FAILED ({first_line})", file=sys.stderr)
            output = run.stdout + run.stderr
            print(f"  exit {run.returncode}; expected {match['expect']!r} in:\n{output}", file=sys.stderr)
        else:
            print(f"docs_snippets: curl example {n} ok ({first_line})")
    if not examples:
        print("docs_snippets: no curl examples found", file=sys.stderr)
        return 1
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv == ["check"]:
        return check()
    if argv == ["write"]:
        return check(write=True)
    if len(argv) == 2 and argv[0] == "curl":
        return curl(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
