"""The concurrent differential check: answers under concurrency equal sequential answers, byte for byte.

Requests mix single applicants and small batches (under the worker-process threshold, so they run in
thread-pool threads beside the event loop's single requests), each with its own ``as_of`` and credential
selection (every new pair builds an evaluation plan). The baseline is taken one request at a time, on a
target that shares nothing with the one hammered; bodies are compared as bytes (request ids travel in
headers only). Used by tests/api/test_concurrency.py, tests/api/test_server.py and benchmarks/soak.py.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.population import population

CREDENTIALS = [
    "aama.cma", "amca.cmaac", "amca.cmac", "amca.ptc", "amt.cmas", "amt.cmla", "amt.mls", "amt.mlt", "amt.rma",
    "amt.rpt", "ascp.mls", "ascp.mlt", "ascp.pbt", "ncct.ncma", "ncct.ncpt", "nha.ccma", "nha.cet", "nha.cmaa",
    "nha.cpcta", "nha.cpt",
]  # fmt: skip
STATES = ["WA", "NY", "CA", "TX", None]


def requests(n: int, seed: int = 10) -> list[tuple[str, bytes]]:
    """``n`` requests (path, JSON body): two thirds single applicants, one third batches of 2 to 40."""
    rng = random.Random(seed)
    people = population(64, seed=seed)
    out = []
    for i in range(n):
        as_of = (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(1200))).isoformat()
        body: dict[str, Any] = {"as_of": as_of}
        if rng.random() < 0.7:
            body["credentials"] = rng.sample(CREDENTIALS, rng.randint(1, len(CREDENTIALS)))
        state = rng.choice(STATES)
        if state:
            body["state"] = state
        if i % 3 == 2:
            body["items"] = [{"id": f"{i}-{k}", "applicant": rng.choice(people)} for k in range(rng.randint(2, 40))]
            if rng.random() < 0.3:
                body["detail"] = "full"
            out.append(("/v1/eligibility/batch", json.dumps(body).encode()))
        else:
            body["applicant"] = rng.choice(people)
            out.append(("/v1/eligibility", json.dumps(body).encode()))
    return out


def _send(client: Any, path: str, body: bytes) -> tuple[int, bytes]:
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    return r.status_code, r.content


def baseline(client: Any, jobs: list[tuple[str, bytes]]) -> list[tuple[int, bytes]]:
    return [_send(client, path, body) for path, body in jobs]


def hammer(
    client: Any, jobs: list[tuple[str, bytes]], expected: list[tuple[int, bytes]], threads: int = 32, rounds: int = 2
) -> dict[str, int]:
    """Send every job ``rounds`` times from ``threads`` threads at once; count answers that differ."""
    order = [i for _ in range(rounds) for i in range(len(jobs))]
    random.Random(7).shuffle(order)

    def one(i: int) -> str:
        try:
            status, content = _send(client, *jobs[i])
        except Exception:  # noqa: BLE001 - a dropped connection is an error to count, not to raise
            return "error"
        if status != 200:
            return "error"
        return "ok" if (status, content) == expected[i] else "mismatch"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(one, order))
    return {
        "requests": len(order),
        "mismatches": outcomes.count("mismatch"),
        "errors": outcomes.count("error"),
        "baseline_errors": sum(1 for status, _ in expected if status != 200),
    }
