"""Soak test: a real server (2 workers) under sustained load on 127.0.0.1, bounded in time.

    python benchmarks/soak.py                      # until 100,000 requests or 10 minutes
    python benchmarks/soak.py --requests 20000 --max-seconds 120

Cycles single-applicant requests through a varied population (wrk, 32 connections), then reports
requests, errors (non-2xx and socket errors), and the server's RSS (master and workers) before and after.
A crash (durable-rules segfaults under concurrent threads or undeleted sessions) shows as socket errors,
a dead worker and a failed final check. Exit code 1 on any error or if the server died.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.population import AS_OF, population  # noqa: E402
from benchmarks.run import Server, wrk  # noqa: E402


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
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    growth = 100 * (rss_after - rss_before) / rss_before if rss_before else 0.0
    print(
        f"\nsoak: {total:,} requests in {elapsed:.0f} s, {errors} errors, server alive: {alive}, "
        f"final answer {final.status_code}; "
        f"server RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB ({growth:+.1f}%)"
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
            },
            indent=2,
        )
    )
    return 0 if errors == 0 and alive and final.status_code == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
