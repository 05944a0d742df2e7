"""Soak test: a real server (2 workers) under sustained load on 127.0.0.1, bounded in time.

    python benchmarks/soak.py                      # until 100,000 requests or 10 minutes
    python benchmarks/soak.py --requests 20000 --max-seconds 120

Cycles single-applicant requests through a varied population (wrk, 32 connections), then reports
requests, errors (non-2xx and socket errors), and the server's RSS (master and workers) before and after.
A crash (durable-rules segfaults under concurrent threads or undeleted sessions) shows as socket errors,
a dead worker and a failed final check. Then the concurrent differential check (benchmarks/differential.py:
singles and small batches with varied dates and credentials, 32 threads, every answer compared byte for
byte with a sequential baseline), a large batch (so batch worker processes run), a SIGTERM, and a count of
the server's processes still alive after it stopped. Exit code 1 on any error, mismatch or orphan, or if
the server died.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import differential  # noqa: E402
from benchmarks.population import AS_OF, population  # noqa: E402
from benchmarks.run import Server, wrk  # noqa: E402


def _descendants(pid: int) -> set[int]:
    """Every live descendant of a process (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="stop after about this many requests")
    parser.add_argument("--max-seconds", type=int, default=600, help="never run longer than this")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("soak: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2
    import httpx

    bodies = [
        json.dumps({"as_of": AS_OF.isoformat(), "state": st, "applicant": a}).encode()
        for a, st in zip(population(16, seed=31), ["WA", "CA", "NY", "TX"] * 4, strict=True)
    ]
    server = Server(args.workers)
    total = errors = 0
    started = time.monotonic()
    try:
        server.wait_ready()
        for body in bodies:  # warm every worker on every payload
            httpx.post(server.base + "/v1/eligibility", content=body, headers={"content-type": "application/json"})
        rss_before = server.rss_kib()
        while total < args.requests and time.monotonic() - started < args.max_seconds:
            remaining = args.max_seconds - (time.monotonic() - started)
            result = wrk(server.base + "/v1/eligibility", bodies, max(1, min(10, int(remaining))))
            total += result["requests"]
            errors += result["errors"]
            print(
                f"  {total:>8,} requests  {result['requests_per_s']:6.0f} req/s  p99 {result['p99_ms']:6.1f} ms  "
                f"errors {errors}  rss {server.rss_kib() / 1024:6.1f} MiB",
                flush=True,
            )
        alive = server.proc.poll() is None
        final = httpx.post(
            server.base + "/v1/eligibility", content=bodies[0], headers={"content-type": "application/json"}
        )
        rss_after = server.rss_kib()
        print("  differential check: sequential baseline, then 32 threads ...", flush=True)
        from fastapi.testclient import TestClient

        from api.main import create_app
        from api.settings import Settings
        from engine import load_rulebook

        logging.getLogger("credcheck").disabled = True  # the in-process baseline's access lines are noise here
        jobs = differential.requests(300, seed=13)
        with TestClient(create_app(Settings(batch_workers=1), rulebook=load_rulebook(REPO / "rules"))) as fresh:
            expected = differential.baseline(fresh, jobs)
        with httpx.Client(base_url=server.base, timeout=120) as http:
            checked = differential.hammer(http, jobs, expected, threads=32, rounds=3)
            big = {"as_of": AS_OF.isoformat(), "items": [{"id": str(i), "applicant": {}} for i in range(600)]}
            big_status = http.post("/v1/eligibility/batch", json=big).status_code  # batch processes run
        processes = _descendants(server.proc.pid)
    finally:
        server.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in processes):
        time.sleep(0.1)
    orphans = sorted(p for p in processes if _alive(p))
    elapsed = time.monotonic() - started
    growth = 100 * (rss_after - rss_before) / rss_before if rss_before else 0.0
    print(
        f"\nsoak: {total:,} requests in {elapsed:.0f} s, {errors} errors, server alive: {alive}, "
        f"final answer {final.status_code}; "
        f"server RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB ({growth:+.1f}%)\n"
        f"differential: {checked['requests']:,} concurrent answers, {checked['mismatches']} mismatches, "
        f"{checked['errors'] + checked['baseline_errors']} errors; large batch {big_status}; "
        f"{len(orphans)} orphaned processes (of {len(processes)} the server ran)"
    )
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "soak.json").write_text(
        json.dumps(
            {
                "requests": total,
                "seconds": elapsed,
                "errors": errors,
                "alive": alive,
                "rss_before_mib": rss_before / 1024,
                "rss_after_mib": rss_after / 1024,
                "growth_pct": growth,
                "differential": checked,
                "orphaned_processes": len(orphans),
            },
            indent=2,
        )
    )
    clean = checked["mismatches"] == checked["errors"] == checked["baseline_errors"] == 0 and not orphans
    return 0 if errors == 0 and alive and final.status_code == 200 and big_status == 200 and clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
