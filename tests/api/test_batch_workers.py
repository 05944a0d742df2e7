"""Batch worker processes evaluate exactly the rule set being served, with bounded memory (issue #10).

Batches of 400+ items go to worker processes. They once re-read the rules from disk, so any difference
between disk and service (a valid edit with reload off, a broken file, a reload during a batch) failed the
batch: 500 (BrokenProcessPool, CancelledError) or, with NDJSON, a 200 with an empty body. These tests use
real worker processes (two), on a copy of the rule set that they edit, and check that the items were evaluated
in them (``tests.helpers.batch_item_with_pid``): a batch answered inline would pass the rest unnoticed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.serialize import batch_item
from api.settings import Settings
from engine import BATCH_CHUNK as CHUNK
from engine import BATCH_PARALLEL_THRESHOLD as PARALLEL_THRESHOLD
from engine import BatchRunner, load_rulebook
from tests.helpers import REPO, batch_item_with_pid

OLD_LABEL = "The program is a medical assisting program"
NEW_LABEL = "A medical assisting program"
ITEMS = [{"id": str(i), "applicant": {}} for i in range(PARALLEL_THRESHOLD + 50)]


@pytest.fixture
def pids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch results over HTTP say which process evaluated them (``pid``)."""
    monkeypatch.setattr("api.serialize.batch_item", batch_item_with_pid)


def _in_workers(results: list[dict[str, Any]]) -> bool:
    """Every result was evaluated in a process other than this one (the app runs in the test process)."""
    return bool(results) and all(r["pid"] != os.getpid() for r in results)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(REPO / "rules", root)
    return root


def _cma(root: Path) -> Path:
    return root / "credentials" / "aama" / "cma.yaml"


def _labels(result: dict[str, Any]) -> set[str]:
    """The labels of the criteria that explain an item's answer (detail `standard` or `full`)."""
    return {crit["label"] for crit in result["definitions"]["criteria"].values()}


def _batch(detail: str = "summary") -> dict[str, Any]:
    return {"as_of": "2026-11-23", "credentials": ["aama.cma"], "detail": detail, "items": ITEMS}


def test_workers_use_the_served_rule_set_when_disk_differs(rules: Path, pids: None) -> None:
    app = create_app(Settings(batch_workers=2, full_detail_limit=10_000), rulebook=load_rulebook(rules))
    with TestClient(app) as c:
        served = c.get("/healthz").headers["x-rules-version"]
        cma = _cma(rules)
        cma.write_text(cma.read_text().replace(OLD_LABEL, NEW_LABEL))  # valid, not reloaded (reload is off)
        r = c.post("/v1/eligibility/batch", json=_batch("full"))
        assert r.status_code == 200, r.text
        assert r.json()["rules"]["id"] == served
        assert all(OLD_LABEL in _labels(item) for item in r.json()["items"])
        assert _in_workers(r.json()["items"])
        cma.write_text("this: [is not, a rule file")  # broken on disk: what is served still answers
        with c.stream("POST", "/v1/eligibility/batch", json=_batch(), headers={"Accept": "application/x-ndjson"}) as s:
            lines = [orjson.loads(line) for line in s.iter_lines()]
        assert s.status_code == 200
        assert [line["id"] for line in lines] == [item["id"] for item in ITEMS]
        assert _in_workers(lines)
        assert app.state.service.try_reload() == "invalid"
        r = c.post("/v1/eligibility/batch", json=_batch())
        assert r.status_code == 200 and r.json()["count"] == len(ITEMS)
        assert _in_workers(r.json()["items"])


def test_a_reload_never_fails_a_batch_already_running(rules: Path, pids: None) -> None:
    app = create_app(Settings(batch_workers=2, full_detail_limit=10_000), rulebook=load_rulebook(rules))
    state = app.state.service
    with TestClient(app) as c:
        # Enough chunks that most are still waiting for a worker when the reload retires their runner.
        body = {**_batch("full"), "items": [{"id": str(i), "applicant": {}} for i in range(3000)]}
        with c.stream("POST", "/v1/eligibility/batch", json=body, headers={"Accept": "application/x-ndjson"}) as s:
            lines = s.iter_lines()
            first = orjson.loads(next(lines))  # the batch is running on the workers
            cma = _cma(rules)
            cma.write_text(cma.read_text().replace(OLD_LABEL, NEW_LABEL))
            assert state.try_reload() == "reloaded"  # retires the runner the batch is using
            rest = [orjson.loads(line) for line in lines]
        results = [first, *rest]
        assert [r["id"] for r in results] == [item["id"] for item in body["items"]]
        assert all(r["ok"] and OLD_LABEL in _labels(r) for r in results)  # all of it on the set it began with
        assert _in_workers(results)
        after = c.post("/v1/eligibility/batch", json=body, headers={"Accept": "application/x-ndjson"})
        assert NEW_LABEL in _labels(orjson.loads(after.content.splitlines()[0]))


def test_a_retired_runner_finishes_its_batch_then_stops_its_workers(rules: Path) -> None:
    book = load_rulebook(rules)
    runner = BatchRunner(book, rules, processes=2)
    items = [(str(i), {}) for i in range(3000)]  # 15 chunks: most wait for a worker when the runner retires
    results = runner.run(items, as_of=dt.date(2026, 11, 23), encode=batch_item)
    first = next(results)
    pool = runner._pool
    assert pool is not None
    runner.close()  # what a reload does to the runner it replaces
    assert [first["id"], *(r["id"] for r in results)] == [i for i, _ in items]
    assert runner._pool is None  # shut down once the batch was done


def test_results_in_flight_are_bounded_whatever_the_reader(rulebook: Any) -> None:
    """A reader that takes one result and stops: no more than 2 x processes chunks were handed out (once,
    Executor.map submitted every chunk at once and held all their results)."""
    pulled = 0
    size = 40 * CHUNK

    def items() -> Iterator[tuple[str, Any]]:
        nonlocal pulled
        for i in range(size):
            pulled += 1
            yield str(i), {}

    runner = BatchRunner(rulebook, REPO / "rules", processes=2)
    try:
        results = runner.run(items(), as_of=dt.date(2026, 11, 23), encode=batch_item, size_hint=size)
        next(results)
        assert pulled <= (2 * 2 + 1) * CHUNK
        results.close()  # the client went away: what was not started is cancelled
    finally:
        runner.close()


def test_full_detail_json_batches_are_capped_and_say_how_to_ask(rulebook: Any) -> None:
    app = create_app(Settings(batch_workers=1, full_detail_limit=3), rulebook=rulebook)
    items = [{"id": str(i), "applicant": {}} for i in range(4)]
    with TestClient(app) as c:
        r = c.post("/v1/eligibility/batch", json={"detail": "full", "items": items})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert "application/x-ndjson" in r.json()["detail"] and "detail: summary" in r.json()["detail"]
        assert c.post("/v1/eligibility/batch", json={"detail": "full", "items": items[:3]}).status_code == 200
        assert c.post("/v1/eligibility/batch", json={"items": items}).status_code == 200
        streamed = c.post(
            "/v1/eligibility/batch", json={"detail": "full", "items": items}, headers={"Accept": "application/x-ndjson"}
        )
        assert streamed.status_code == 200 and len(streamed.content.splitlines()) == 4


def test_a_json_batch_answer_is_the_same_bytes_as_one_document(rulebook: Any) -> None:
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)
    items = [{"id": str(i), "applicant": {"birth_date": "1990-01-01"} if i % 2 else {"bad": 1}} for i in range(300)]
    with TestClient(app) as c:
        r = c.post("/v1/eligibility/batch", json={"as_of": "2026-11-23", "state": "WA", "items": items})
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    body = orjson.loads(r.content)
    assert r.content == orjson.dumps(body)  # pieces joined exactly: one valid compact document
    assert (body["count"], body["succeeded"], body["failed"]) == (300, 150, 150)


def test_a_batch_stopped_by_the_shutdown_deadline_is_a_503_problem(rulebook: Any) -> None:
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)
    items = [{"id": str(i), "applicant": {}} for i in range(5)]
    with TestClient(app) as c:
        invalid = c.post("/v1/eligibility/batch", json={"items": [{"id": "x", "applicant": {"birth_date": 1}}]})
        invalid_keys = set(invalid.json()["items"][0])
        app.state.service.stop.set()  # what the server does shortly before its graceful-shutdown time is up
        r = c.post("/v1/eligibility/batch", json={"items": items})
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"] == "1" and "shutting down" in r.json()["detail"]
        streamed = c.post("/v1/eligibility/batch", json={"items": items}, headers={"Accept": "application/x-ndjson"})
        lines = [orjson.loads(line) for line in streamed.content.splitlines()]
        assert [line["id"] for line in lines] == [item["id"] for item in items]
        assert all(line["problem"]["status"] == 503 and line["problem"]["errors"] == [] for line in lines)
        # the same keys as an invalid item's (they lacked the null definitions, sources and verifications)
        assert all(set(line) == invalid_keys for line in lines)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_stopped_batch_says_how_many_results_it_had_given(rulebook: Any, processes: int) -> None:
    """`BatchStopped.done` is the number of results yielded (in order) before the stop, inline or through
    workers: what a caller needs to know which items to send again."""
    import threading

    from engine import BatchStopped

    stop = threading.Event()
    given = 0
    runner = BatchRunner(rulebook, processes=processes)
    try:
        items = ((str(i), {}) for i in range(PARALLEL_THRESHOLD + CHUNK))
        run = runner.run(
            items,
            as_of=dt.date(2026, 11, 23),
            encode=batch_item,
            credentials=["aama.cma"],
            size_hint=PARALLEL_THRESHOLD + CHUNK,
            stop=stop,
        )
        with pytest.raises(BatchStopped) as caught:
            for _ in run:
                given += 1
                if given == CHUNK + 10:  # inside the second chunk
                    stop.set()
    finally:
        runner.close()
    assert caught.value.done == given
    # inline, the stop is seen before the next item; through workers, once the chunk being read is done
    assert given == (CHUNK + 10 if processes == 1 else 2 * CHUNK)
