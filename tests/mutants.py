"""``make mutants``: mutation testing with mutmut over engine/ and api/problems.py (see tests/README.md).

    make mutants                                     # every mutant; the tests of [tool.mutmut] in pyproject.toml
    make mutants MUTANTS_PATHS=engine/_dates.py      # only the mutants of these files
    make mutants MUTANTS_PATHS=engine/_dates.py MUTANTS_TESTS=tests/engine/test_dates.py   # and only these tests
    make mutants MUTANTS_PATHS=engine/_guidance.py MUTANTS_SAMPLE=10  # about 1 mutant in 10 (a bounded run)
    make mutants MUTANTS_PATHS="NAME ..."            # these mutants again (say, after adding the tests that kill them)

mutmut copies the project into ``mutants/``, runs the selected tests once to learn which tests reach which
function (they must pass), then runs, for each mutant, the tests that reach the mutated function. This
prints the score (killed / mutants with tests) per file and in total, and lists every surviving mutant
(``.venv/bin/mutmut show NAME`` shows its diff). Results are kept in ``mutants/``: a second run retries only
what changed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUTATED = ("engine/", "api/problems.py")


# --sample N: the mutants whose number (counted per function, from 1) matches one of these suffixes: for
# 2, 5 and 10 the last digit (1 always among them: a function's first mutant is always in); for 20, the
# first mutant and those ending in 1 after an even tens digit (1, 21, 41, ..., 101, ...).
SAMPLES = {2: ["*[13579]"], 5: ["*[16]"], 10: ["*1"], 20: ["1", "*[02468]1"]}


def mutant_globs(path: str, sample: int | None = None) -> list[str]:
    """mutmut's names for the mutants of a file: ``engine/_dates.py`` -> ``engine._dates.*``; with a sample,
    e.g. ``engine._dates.*__mutmut_*1`` (1 in 10; a function's first mutant is always in, so small functions
    weigh a little more than in a full run)."""
    if "__mutmut_" in path:  # a mutant's name (as listed among the survivors): tried again
        return [path]
    rel = Path(path).with_suffix("").as_posix()
    if not rel.startswith(tuple(m.removesuffix(".py") for m in MUTATED)):
        raise SystemExit(f"mutants: {path} is not mutated (only {', '.join(MUTATED)})")
    name = rel.removesuffix("/__init__").replace("/", ".") + ".*"
    return [name + "__mutmut_" + suffix for suffix in SAMPLES[sample]] if sample else [name]


def score(paths: list[str]) -> int:
    from mutmut.stats import status_by_exit_code

    counts: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    wanted = [p.rsplit(".x", 1)[0].replace(".", "/") if "__mutmut_" in p else p.removesuffix(".py") for p in paths]
    for meta in sorted((REPO / "mutants").glob("**/*.py.meta")):
        source = meta.relative_to(REPO / "mutants").as_posix().removesuffix(".meta")
        if not source.startswith(MUTATED) or (wanted and source.removesuffix(".py") not in wanted):
            continue
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = Counter(status_by_exit_code[code] for code in exit_codes.values())
        counts[source] = statuses
        survivors += sorted(k for k, code in exit_codes.items() if status_by_exit_code[code] == "survived")
    total: Counter[str] = Counter()
    print("\nmutation score (killed / mutants with tests):")
    for source, statuses in counts.items():
        total += statuses
        print(f"  {source:32s} {_line(statuses)}")
    print(f"  {'total':32s} {_line(total)}")
    if survivors:
        print(f"\nsurviving mutants ({len(survivors)}; `.venv/bin/mutmut show NAME` shows one):")
        for name in survivors:
            print(f"  {name}")
    return 0 if counts else 1


def _line(statuses: Counter[str]) -> str:
    tested = sum(n for status, n in statuses.items() if status not in ("no tests", "not checked", "skipped"))
    killed = statuses["killed"] + statuses["timeout"] + statuses["segfault"]
    rate = f"{100 * killed / tested:5.1f}%" if tested else "   - "
    others = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s not in ("killed", "survived") and n)
    return f"{rate}  {killed} killed, {statuses['survived']} survived" + (f", {others}" if others else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="files whose mutants to try, or mutant names (default: all)")
    parser.add_argument("--tests", default="", help="pytest arguments selecting the tests (default: pyproject)")
    parser.add_argument("--sample", type=int, choices=sorted(SAMPLES), help="try about 1 mutant in N")
    parser.add_argument("--max-children", type=int, help="parallel mutant runs (default: the CPU count)")
    args = parser.parse_args(argv)
    if args.sample and not args.paths:  # a sample of every mutated file
        args.paths = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "engine").glob("**/*.py"))]
        args.paths += [m for m in MUTATED if m.endswith(".py")]
    names = [name for p in args.paths for name in mutant_globs(p, args.sample)]

    from mutmut import configuration

    cfg = configuration.config()
    if args.tests:
        cfg.pytest_add_cli_args_test_selection = shlex.split(args.tests)

    from mutmut.__main__ import cli

    run = ["run", *names] + (["--max-children", str(args.max_children)] if args.max_children else [])
    try:
        cli(run, standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            print(f"mutants: mutmut stopped ({exc.code}); see above", file=sys.stderr)
            return int(exc.code) if isinstance(exc.code, int) else 1
    return score(args.paths)


if __name__ == "__main__":
    raise SystemExit(main())
