"""Peak memory of one 10,000-item batch in each detail mode and answer format (issue #10).

    python benchmarks/batch_memory.py               # 10,000 empty applicants (the heaviest answers)
    python benchmarks/batch_memory.py --items 2000

For each mode a fresh server (one uvicorn worker, two batch processes) answers one batch; the RSS of its
process tree (the worker, plus the batch processes) is sampled every 20 ms during the request. Printed:
the RSS before the request, the peak of the worker alone and of the whole tree, the answer's size and the
time. ``detail: full`` as JSON is refused (413) beyond CREDCHECK_FULL_DETAIL_LIMIT: streamed, its memory is
that of the chunks in flight. A benchmark, not a test: the figures are for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import Server, _rss_kib  # noqa: E402

MODES = [
    ("summary", "json"),
    ("summary", "ndjson"),
    ("full", "ndjson"),
    ("full", "json"),
]


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) in pids:
                    pids.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return pids


def measure(detail: str, fmt: str, items: int) -> dict[str, object]:
    import httpx

    server = Server(1, {"CREDCHECK_BATCH_WORKERS": "2", "CREDCHECK_DRAIN_SECONDS": "0"})
    try:
        server.wait_ready()
        worker = server.proc.pid  # one uvicorn worker: the server process itself
        body = {"as_of": "2026-11-23", "detail": detail, "items": [{"id": str(i), "applicant": {}} for i in range(items)]}
        before = _rss_kib(worker)
        peak_worker = peak_tree = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_worker, peak_tree
            while not done.is_set():
                pids = _tree(worker)
                sizes = {p: _rss_kib(p) for p in pids if Path(f"/proc/{p}").exists()}
                peak_worker = max(peak_worker, sizes.get(worker, 0))
                peak_tree = max(peak_tree, sum(sizes.values()))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        headers = {"Accept": "application/x-ndjson"} if fmt == "ndjson" else {}
        size = 0
        with httpx.stream("POST", server.base + "/v1/eligibility/batch", json=body, headers=headers, timeout=600) as r:
            for chunk in r.iter_bytes():  # read as it comes, keeping nothing: the client's memory is not measured
                size += len(chunk)
            status = r.status_code
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        return {
            "detail": detail,
            "format": fmt,
            "status": status,
            "answer_mib": size / 1048576,
            "seconds": elapsed,
            "rss_before_mib": before / 1024,
            "peak_worker_mib": peak_worker / 1024,
            "peak_tree_mib": peak_tree / 1024,
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    results = []
    print(f"one batch of {args.items:,} empty applicants, all 20 credentials; RSS of a fresh server")
    print(f"{'detail':<8} {'format':<7} {'status':>6} {'answer':>10} {'time':>8} {'before':>8} {'worker':>8} {'tree':>8}")
    for detail, fmt in MODES:
        m = measure(detail, fmt, args.items)
        results.append(m)
        print(
            f"{m['detail']:<8} {m['format']:<7} {m['status']:>6} {m['answer_mib']:>7.1f} MiB {m['seconds']:>6.1f} s "
            f"{m['rss_before_mib']:>5.0f} MiB {m['peak_worker_mib']:>5.0f} MiB {m['peak_tree_mib']:>5.0f} MiB",
            flush=True,
        )
    out = REPO / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "batch_memory.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
