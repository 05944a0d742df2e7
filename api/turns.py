"""CPU-bound work on the event loop, one piece per loop iteration.

An evaluation holds the event loop for about a millisecond and a half. When thirty clients wait, the loop
runs every queued handler back to back before it looks at its sockets again, so a large answer that needs
several writes (the kernel takes it in pieces as the client reads) waits for the whole queue at each piece:
the slowest requests took ten times the median. Taking turns puts the socket work between evaluations.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Turns"]

T = TypeVar("T")


class Turns:
    """Runs callables in arrival order, one per event-loop iteration (so I/O is served between them)."""

    def __init__(self) -> None:
        self._queue: deque[tuple[Callable[[], Any], asyncio.Future[Any]]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False

    async def run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (a test client's, a restarted server's): start afresh
            self._loop, self._queue, self._scheduled = loop, deque(), False
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((fn, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._next)
        return await future

    def _next(self) -> None:
        try:
            while self._queue:
                fn, future = self._queue.popleft()
                if future.cancelled():  # the client went away while waiting
                    continue
                try:
                    result = fn()
                except (KeyboardInterrupt, SystemExit):
                    future.cancel()
                    raise
                except BaseException as exc:  # the caller's to handle, as if it had called fn itself
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                break
        finally:  # whatever happened, the calls still queued get their turn
            if self._queue and self._loop is not None:
                self._loop.call_soon(self._next)  # after the I/O this iteration has polled
            else:
                self._scheduled = False
