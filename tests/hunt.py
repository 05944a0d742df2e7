"""A longer search of generated rule sets than the test suite runs (not in CI; see tests/README.md).

    .venv/bin/python -m tests.hunt --seeds 60:1000                 # statuses: the engine against the oracle
    .venv/bin/python -m tests.hunt --seeds 0:300 --timelines       # and every timeline against verdicts, day by day

``tests/engine/test_generated_rules.py`` runs seeds 0-59 with 120 applicants each. This runs any range of seeds
(``tests/rulegen.py`` writes the same rule set and applicants for a seed) and reports, per seed, the first
applicant on which the engine and the oracle disagree on a status, or on which evaluating raises. With
``--timelines`` it also checks each credential's guidance: on every day the timeline names, the day before it
and a few random days ahead, the verdict for the applicant projected to that day (``tests.fixtures.project``)
must be the one the timeline says. Prints one line a finding and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from engine import load_rulebook
from tests.fixtures import project
from tests.oracle import Oracle, differences, oracle_statuses, production_statuses
from tests.rulegen import EVALUATION_DATES, applicant, write_rule_set


def _as_of(rng: random.Random) -> dt.date:  # as test_generated_rules draws it
    if rng.random() < 0.8:
        return rng.choice(EVALUATION_DATES)
    return dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(-3000, 3000))


def timeline_problem(
    book: Any, person: dict[str, Any], as_of: dt.date, evaluation: Any, rng: random.Random
) -> str | None:
    """The first day on which a credential's verdict is not what its timeline says, or None."""
    today = dict(evaluation.verdicts)
    for guided in evaluation.guidance():
        changes = [(c.on, c.status) for c in guided.timeline]
        days = [on for on, _ in changes] + [on - dt.timedelta(days=1) for on, _ in changes]
        days += [as_of + dt.timedelta(days=rng.randint(1, 3650)) for _ in range(3)]
        for day in sorted(d for d in set(days) if as_of < d < guided.horizon):
            said = next((status for on, status in reversed(changes) if on <= day), today[guided.id])
            got = dict(book.evaluate(project(person, as_of, day), as_of=day, credentials=[guided.id]).verdicts)
            if got[guided.id] != said:
                return f"{guided.id} on {day}: verdict {got[guided.id]}, the timeline says {said} ({changes[:4]})"
    return None


def hunt(seed: int, applicants: int, timelines: bool) -> str | None:
    """The first finding for one seed, or None."""
    rng = random.Random(seed)
    root, hints, _ = write_rule_set(Path(tempfile.mkdtemp(prefix=f"hunt-{seed}-")), rng)
    book, oracle = load_rulebook(root), Oracle(root)
    days = random.Random(seed + 1_000_000)  # the random days checked: apart from the applicants' draws
    for i in range(applicants):
        as_of = _as_of(rng)
        person = applicant(rng, hints, as_of)
        where = f"seed {seed}, applicant {i}, as of {as_of}"
        try:
            evaluation = book.evaluate(person, as_of=as_of)
            got = production_statuses(evaluation)
            problem = timeline_problem(book, person, as_of, evaluation, days) if timelines else None
        except Exception:  # noqa: BLE001 - a finding to report, with its traceback's last line
            return f"{where}: raises {traceback.format_exc().strip().splitlines()[-1]}"
        found = differences(oracle_statuses(oracle.evaluate(person, as_of)), got)
        if found:
            return f"{where}: {found[0]}"
        if problem:
            return f"{where}: {problem}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="60:200", help="a range START:END of seeds (default 60:200)")
    parser.add_argument("--applicants", type=int, default=40, help="applicants per seed (default 40)")
    parser.add_argument("--timelines", action="store_true", help="check every timeline against verdicts")
    args = parser.parse_args(argv)
    start, end = (int(x) for x in args.seeds.split(":"))
    findings = 0
    for seed in range(start, end):
        found = hunt(seed, args.applicants, args.timelines)
        if found:
            findings += 1
            print(found, flush=True)  # noqa: T201 - a script's report
    print(f"{findings} of {end - start} seeds with a finding", flush=True)  # noqa: T201
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
