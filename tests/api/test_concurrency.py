"""Many concurrent requests get the same answers as serial ones, and nothing crashes.

durable-rules segfaults when several threads call it at once and leaks sessions it is not told to
delete; the engine serialises calls behind one lock and deletes every session. A crash here would kill
the test process, so merely finishing is part of the assertion.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine import Rulebook
from tests.oracle import production_statuses

PAYLOADS: list[dict[str, Any]] = [
    {"as_of": "2026-11-23", "applicant": {}},
    {"as_of": "2026-11-23", "state": "WA", "applicant": {"certifications": [{"credential": "aama.cma"}]}},
    {
        "as_of": "2026-11-23",
        "state": "NY",
        "applicant": {
            "degrees": [{"level": "associate"}],
            "semester_hours": {"total": 64, "chemistry": 8, "biology": 9},
            "programs": [
                {
                    "discipline": "medical-laboratory-technician",
                    "accreditor": "NAACLS",
                    "completion_date": "2024-05-10",
                }
            ],
        },
    },
    {
        "as_of": "2025-01-15",
        "applicant": {
            "birth_date": "1990-02-28",
            "high_school": {"credential": "ged"},
            "work_experience": [
                {
                    "role": "medical-assistant",
                    "start_date": "2022-01-01",
                    "hours_per_week": 40,
                    "supervised": True,
                }
            ],
        },
    },
]


def test_concurrent_requests_match_serial_answers(client: Any) -> None:
    expected = [client.post("/v1/eligibility", json=p).json() for p in PAYLOADS]
    jobs = list(itertools.islice(itertools.cycle(range(len(PAYLOADS))), 400))

    def call(index: int) -> tuple[int, int, Any]:
        r = client.post("/v1/eligibility", json=PAYLOADS[index])
        return index, r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, jobs))
    assert all(status == 200 for _, status, _ in results)
    mismatches = [i for i, _, body in results if body != expected[i]]
    assert mismatches == []


def test_concurrent_engine_calls_from_threads(rulebook: Rulebook) -> None:
    import datetime as dt

    applicants = [p["applicant"] for p in PAYLOADS]
    as_of = dt.date(2026, 11, 23)
    expected = [production_statuses(rulebook.evaluate(a, as_of=as_of)) for a in applicants]

    def run(i: int) -> bool:
        return production_statuses(rulebook.evaluate(applicants[i % 4], as_of=as_of)) == expected[i % 4]

    with ThreadPoolExecutor(max_workers=32) as pool:
        assert all(pool.map(run, range(2000)))
