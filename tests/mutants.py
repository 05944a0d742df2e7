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
# first mutant and those ending in 1 after an even tens digit (1, 21, 41, ..., 101, ...); "20:2" the other
# half of the 1-in-10 sample (11, 31, 51, ...), so that two runs of 1 in 20 add up to the 1 in 10.
SAMPLES = {"2": ["*[13579]"], "5": ["*[16]"], "10": ["*1"], "20": ["1", "*[02468]1"], "20:2": ["*[13579]1"]}


# Named test selections for --tests (anything else is read as pytest arguments, split like a shell line).
# "fast": the rule fixtures and the engine tests that reach most engine code in seconds (the whole selection
# about 17 s); without the oracle comparison on the bundled rules (2 minutes), the plan race, the 21 s
# shared-cache test and the slow `rules validate` check, and with 10 of the 60 generated rule sets.
_ENGINE = "tests/engine/"
_GENERATED = _ENGINE + "test_generated_rules.py::"
FAST = [
    "tests/rules",
    *(
        _ENGINE + name
        for name in (
            "test_guidance.py", "test_guidance_cases.py", "test_engine.py", "test_loader.py",
            "test_loader_checks.py", "test_rule_features.py", "test_program.py",
        )
    ),
    *(f"{_GENERATED}test_engine_agrees_with_the_oracle_on_generated_rules[{seed}]" for seed in range(10)),
    *(
        _GENERATED + name
        for name in (
            "test_earned_within_includes_both_bounds_of_its_window",
            "test_a_group_left_with_applicant_criteria_only_does_not_choose_the_record",
            "test_a_group_whose_only_degree_member_is_out_of_effect_can_be_evaluated",
            "test_a_criterion_is_out_of_effect_while_a_dated_threshold_has_no_value",
        )
    ),
    "--deselect", _ENGINE + "test_engine.py::test_explained_criteria_from_the_shared_cache_equal_fresh_ones",
    "--deselect",
    _ENGINE + "test_loader_checks.py::test_rules_validate_refuses_what_the_service_refuses_at_start[too-many-tests]",
]  # fmt: skip
# "wide": "fast" plus tests that reach the rest of engine/ and api/problems.py: paths, dates, errors, the
# batch (inline and through workers), every problem type, the API and its languages, the committed spec
# (the applicant model's descriptions and bounds); without the two 12 s worker-lifecycle tests.
_API = "tests/api/"
WIDE = [
    *FAST,
    _ENGINE + "test_paths.py",
    _ENGINE + "test_dates.py",
    _ENGINE + "test_errors.py",
    *(
        _API + name
        for name in (
            "test_batch.py", "test_batch_workers.py", "test_problem_types.py", "test_api.py", "test_languages.py",
            "test_spec.py",
        )
    ),
    "--deselect", _API + "test_batch_workers.py::test_a_reload_never_fails_a_batch_already_running",
    "--deselect", _API + "test_batch_workers.py::test_a_retired_runner_finishes_its_batch_then_stops_its_workers",
]  # fmt: skip
SELECTIONS = {"fast": FAST, "wide": WIDE}


def mutant_globs(path: str, sample: str | None = None) -> list[str]:
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
    parser.add_argument(
        "--tests", default="", help=f"pytest arguments, or one of {', '.join(SELECTIONS)} (default: pyproject)"
    )
    parser.add_argument("--sample", choices=list(SAMPLES), help="try about 1 mutant in N (20:2: the other 1 in 20)")
    parser.add_argument("--max-children", type=int, help="parallel mutant runs (default: the CPU count)")
    args = parser.parse_args(argv)
    if args.sample and not args.paths:  # a sample of every mutated file
        args.paths = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "engine").glob("**/*.py"))]
        args.paths += [m for m in MUTATED if m.endswith(".py")]
    names = [name for p in args.paths for name in mutant_globs(p, args.sample)]

    from mutmut import configuration

    cfg = configuration.config()
    if args.tests:
        cfg.pytest_add_cli_args_test_selection = SELECTIONS.get(args.tests) or shlex.split(args.tests)

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
