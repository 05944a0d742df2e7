"""Plans built at the same time in several threads never mix (the plan race of issue #10).

Batches below the worker threshold run in thread-pool threads while single requests run on the event
loop, so two evaluation plans can be built at once. A plan once stored the criterion ids it was building
on the shared evaluator: a concurrent build read the other's list, answering with another credential's
criteria (or an IndexError), and the bad plan stayed cached for later, sequential requests. Every answer
here is compared with the same evaluation on a second, never-shared rule book.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engine import load_rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_plans_built_concurrently_match_sequential_ones() -> None:
    shared, reference = load_rulebook(RULES), load_rulebook(RULES)
    ids = shared.credential_ids
    rng = random.Random(10)
    jobs = []
    for n in range(300):  # every job a new (date, selection): each one builds a plan
        selection = rng.sample(ids, rng.randint(1, len(ids)))
        jobs.append((dt.date(2020, 1, 1) + dt.timedelta(days=n), tuple(selection)))

    def run(job: tuple[dt.date, tuple[str, ...]]) -> object:
        as_of, selection = job
        try:
            return shared.evaluate({}, as_of=as_of, credentials=selection).summaries()
        except Exception as exc:  # noqa: BLE001 - an exception is a wrong answer too
            return repr(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows within a few jobs
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(run, jobs))
    finally:
        sys.setswitchinterval(interval)
    wrong = [
        job for job, answer in zip(jobs, answers, strict=True)
        if answer != reference.evaluate({}, as_of=job[0], credentials=job[1]).summaries()
    ]
    assert wrong == []
    # and the plans left in the cache answer later, sequential requests correctly
    for as_of, selection in jobs[:50]:
        assert shared.evaluate({}, as_of=as_of, credentials=selection).summaries() == reference.evaluate(
            {}, as_of=as_of, credentials=selection
        ).summaries()
