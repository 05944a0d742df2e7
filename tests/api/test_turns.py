"""api.turns: CPU-bound calls take turns with the rest of the event loop."""

from __future__ import annotations

import asyncio

import pytest

from api.turns import Turns


def test_calls_run_in_order_with_the_loop_between_them() -> None:
    async def main() -> tuple[list[int], list[str]]:
        turns, log = Turns(), []

        async def other_work() -> None:  # stands for socket callbacks: one step per loop iteration
            for _ in range(20):
                log.append("io")
                await asyncio.sleep(0)

        def job(i: int) -> int:
            log.append(f"job{i}")
            return i

        io = asyncio.create_task(other_work())
        results = await asyncio.gather(*(turns.run(lambda i=i: job(i)) for i in range(4)))
        await io
        return results, log

    results, log = asyncio.run(main())
    assert results == [0, 1, 2, 3]
    jobs = [n for n, entry in enumerate(log) if entry.startswith("job")]
    assert [log[n] for n in jobs] == ["job0", "job1", "job2", "job3"]
    assert all(b - a >= 2 for a, b in zip(jobs, jobs[1:], strict=False)), log  # other work ran in between


@pytest.mark.parametrize("error", [ValueError("boom"), asyncio.CancelledError("boom")])
def test_errors_reach_the_caller_and_later_calls_still_run(error: BaseException) -> None:
    async def main() -> tuple[str, int]:
        turns = Turns()

        def fail() -> int:
            raise error

        failing = asyncio.ensure_future(turns.run(fail))
        ok = asyncio.ensure_future(turns.run(lambda: 7))
        with pytest.raises(type(error)):
            await failing
        later = await asyncio.wait_for(turns.run(lambda: 8), timeout=5)
        return "raised", await ok + later

    assert asyncio.run(main()) == ("raised", 15)


def test_a_cancelled_caller_is_skipped() -> None:
    ran: list[str] = []

    async def main() -> str:
        turns = Turns()
        first = asyncio.ensure_future(turns.run(lambda: ran.append("first") or "first"))
        await asyncio.sleep(0)  # queued
        first.cancel()
        return await turns.run(lambda: ran.append("second") or "second")

    assert asyncio.run(main()) == "second"
    assert ran == ["second"]


def test_a_new_event_loop_starts_afresh() -> None:
    turns = Turns()

    # A loop that ended with a call queued and its turn scheduled, which never came.
    old = asyncio.new_event_loop()
    turns._loop, turns._scheduled = old, True
    turns._queue.append((lambda: 1, old.create_future()))
    old.close()

    async def again() -> list[int]:
        calls = (turns.run(lambda: 2), turns.run(lambda: 3))
        return await asyncio.wait_for(asyncio.gather(*calls), timeout=5)

    assert asyncio.run(again()) == [2, 3]
