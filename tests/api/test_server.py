"""The real server: uvicorn with two worker processes under concurrent clients, then a graceful stop.

durable-rules is process-global and not thread-safe; each worker process has its own engine and
serialises calls. Identical answers from both workers under load, and a clean exit on SIGTERM, show the
deployment shape holds up (a segfault would show as a dropped connection or a non-zero exit).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.test_concurrency import PAYLOADS
from tests.helpers import REPO, until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = log_path.open("w")  # a file, not a pipe: an unread pipe fills up and blocks the server's logging
    env = {**os.environ, "CREDCHECK_RULES_DIR": str(REPO / "rules"), "CREDCHECK_BATCH_WORKERS": "1"}
    # Time enough for the SIGTERM test's batch to finish even on a loaded machine (it ends in seconds here).
    env["CREDCHECK_SHUTDOWN_TIMEOUT"] = "90"
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        log.close()
        pytest.fail("server did not become ready:\n" + log_path.read_text())
    yield base, proc, log_path
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()


def _metric(http: httpx.Client, name: str) -> float:
    """The sum of a metric's samples over both workers (0 before the first sample)."""
    total = 0.0
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.split()[-1])
    return total


def _access_pids(log_path: Any, path: str) -> set[int]:
    """Worker processes that logged an answered request for ``path``."""
    pids = set()
    for line in log_path.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == "credcheck.access" and entry.get("path") == path:
                pids.add(entry["pid"])
    return pids


def test_two_workers_give_identical_answers_under_concurrency(server: Any, client: Any) -> None:
    base, proc, log_path = server
    expected = [client.post("/v1/eligibility", json=p).json() for p in PAYLOADS]
    with httpx.Client(base_url=base, timeout=30) as http:

        def call(i: int) -> tuple[int, bool]:
            r = http.post("/v1/eligibility", json=PAYLOADS[i % len(PAYLOADS)])
            return r.status_code, r.json() == expected[i % len(PAYLOADS)]

        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(call, range(640)))

            # Which worker takes a connection is the kernel's choice: more rounds until both have answered
            # (their access logs say so), within a deadline, rather than assuming 640 requests reach both.
            def both_answered() -> bool:
                if len(_access_pids(log_path, "/v1/eligibility")) == 2:
                    return True
                results.extend(pool.map(call, range(64)))
                return False

            until(both_answered, 120, "both workers to answer")
        assert all(status == 200 for status, _ in results)
        assert all(same for _, same in results)
        # and the metrics add up across them. A request is counted once its answer has been sent (the count
        # and its latency include the sending), so the client can read the last answer a moment before its
        # worker counts it: wait for the count rather than read it once (CI saw 639 of 640).
        answered = 'credcheck_http_requests_total{method="POST",route="/v1/eligibility",status="200"}'
        until(lambda: _metric(http, answered) >= len(results), 10, f"the metrics to count the {len(results)} answers")
    assert proc.poll() is None  # no worker crashed the server


def test_two_workers_answer_like_a_sequential_baseline_byte_for_byte(server: Any) -> None:
    """The differential check against the real server (issue #10): singles and small batches (in the
    workers' thread pools) with varied dates and credential selections, 32 at a time; 0 mismatches."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings
    from benchmarks import differential
    from engine import load_rulebook

    base, proc, _ = server
    jobs = differential.requests(100, seed=12)
    with TestClient(create_app(Settings(batch_workers=1), rulebook=load_rulebook(REPO / "rules"))) as fresh:
        expected = differential.baseline(fresh, jobs)
    with httpx.Client(base_url=base, timeout=60) as http:
        outcome = differential.hammer(http, jobs, expected, threads=32, rounds=2)
    assert outcome == {"requests": 200, "mismatches": 0, "errors": 0, "baseline_errors": 0}
    assert proc.poll() is None


def test_sigterm_lets_requests_in_flight_finish_then_stops(server: Any) -> None:
    base, proc, log_path = server
    # A batch that takes a while (one process evaluates it): SIGTERM arrives while it is being answered.
    items = [{"id": str(i), "applicant": PAYLOADS[i % len(PAYLOADS)]["applicant"]} for i in range(2000)]
    evaluated = "credcheck_batch_items_total"
    with httpx.Client(base_url=base, timeout=180) as http, ThreadPoolExecutor(max_workers=1) as pool:
        before = _metric(http, evaluated)
        pending = pool.submit(http.post, "/v1/eligibility/batch", json={"as_of": "2026-11-23", "items": items})
        # SIGTERM once the batch is being evaluated (its items are counted as they are done), not after a sleep.
        done = until(lambda: _metric(http, evaluated) - before, 60, "the batch to start") or 0
        proc.send_signal(signal.SIGTERM)
        answer = pending.result(timeout=180)
    assert done < len(items) / 2, "the batch was nearly done before SIGTERM could be sent; make it larger"
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["items"]] == [str(i) for i in range(2000)]
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("server did not stop within 120 s of SIGTERM")
    output = log_path.read_text()
    assert code == 0, output
    assert "Segmentation" not in output and "Traceback" not in output
    with pytest.raises(httpx.ConnectError):  # and it is gone
        httpx.get(f"{base}/healthz", timeout=2)
