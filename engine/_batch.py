"""Many applicants at once: per-item results in input order, one bad item never failing the rest.

:func:`evaluate_item` evaluates one item and hands the outcome (or the invalid fields) to an ``encode``
function the caller provides — the API's serializer, which turns it into a JSON-ready result — so that
worker processes send back finished results and the engine itself writes no wire format.

:class:`BatchRunner` spreads items over worker processes. durable-rules never releases the GIL, so
threads would not help; each worker process loads and compiles the caller's rule set once, from the very
bytes the caller loaded (so a batch is never answered by a different rule set, whatever happens on disk).
Workers are started with the ``spawn`` method: safe next to threads and event loops, at the cost of about a
second to start.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pydantic import ValidationError

from .applicant import field_errors

__all__ = ["BatchRunner", "BatchStopped", "Encode", "available_cpus", "evaluate_item"]

# encode(rule book, item id, evaluation or None, field errors or None) -> the item's result, as the caller
# wants it (the API's: a JSON-ready dict, or that dict already encoded, which crosses processes far faster).
# It must be picklable (a module-level function, or a functools.partial of one): workers import and call it.
Encode = Callable[[Any, str, Any, list[dict[str, str]] | None], Any]

# Below this many items a batch runs in the calling process: starting workers costs more than it saves.
PARALLEL_THRESHOLD = 400
CHUNK = 200
# A fully explained item is about 270 KB of JSON (20 credentials): chunks of full detail are smaller, so
# the chunks in flight hold a few MB, not hundreds.
FULL_CHUNK = 10


def evaluate_item(
    book: Any,
    item_id: str,
    applicant: Any,
    *,
    as_of: dt.date,
    credentials: Sequence[str] | None,
    encode: Encode,
) -> Any:
    """Evaluate one batch item; invalid facts are encoded as field errors instead of raising."""
    try:
        model = book.parse_applicant(applicant)
    except ValidationError as exc:
        return encode(book, item_id, None, field_errors(exc, prefix="applicant"))
    return encode(book, item_id, book.evaluate(model, as_of=as_of, credentials=credentials), None)


# ------------------------------------------------------------------------------------------ workers


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity and container limits where the OS reports them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class BatchStopped(Exception):
    """A batch was asked to stop (the service is shutting down) before every item was evaluated.

    Attributes:
        done: how many results (the first ones, in order) were yielded before it stopped.
    """

    def __init__(self, done: int) -> None:
        super().__init__(f"stopped after {done} items")
        self.done = done


_WORKER_BOOK: Any = None


def _worker_init(root: str, files: dict[str, bytes], digest: str) -> None:
    """Start a batch worker: load the caller's rule set from its exact content, then guard the process.

    * The rule set is the one being served, whatever the files on disk say now (edited, broken, reloaded).
    * Signals sent to the whole process group or cgroup (Ctrl-C, systemd, ``kill -- -PGID``) are not for
      batch workers: their owner shuts them down once the requests they serve are answered. Only a SIGTERM
      from the owner itself (the executor does that when its pool breaks) ends a worker.
    * A worker never outlives its owner: if the owner dies (SIGKILL, a crash), the worker exits at once.
    """
    global _WORKER_BOOK
    _guard_worker()
    from . import Rulebook
    from ._loader import load_rule_set

    book = Rulebook(load_rule_set(root, files=files))
    if book.digest != digest:  # pragma: no cover - the same bytes give the same digest
        raise RuntimeError("the rule set sent to the batch worker is not the one being served")
    _WORKER_BOOK = book


def _guard_worker() -> None:
    import signal

    if hasattr(signal, "sigwaitinfo") and hasattr(signal, "pthread_sigmask"):
        # Block the signals in this (main) thread before any other starts, so every thread inherits the
        # mask, and take them in one thread that knows who sent each.
        handled = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, handled)
        owner = os.getppid()

        def take_signals() -> None:
            while True:
                info = signal.sigwaitinfo(handled)
                if info.si_signo == signal.SIGTERM and info.si_pid == owner:
                    os._exit(128 + signal.SIGTERM)

        threading.Thread(target=take_signals, name="signals", daemon=True).start()
    else:  # pragma: no cover - platforms without sigwaitinfo (macOS): at least survive Ctrl-C
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def exit_with_parent() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(70)

        threading.Thread(target=exit_with_parent, name="exit-with-parent", daemon=True).start()


_Chunk = tuple[list[tuple[str, Any]], dt.date, tuple[str, ...] | None, Encode]


def _worker_chunk(args: _Chunk) -> list[Any]:
    items, as_of, credentials, encode = args
    return [
        evaluate_item(_WORKER_BOOK, item_id, applicant, as_of=as_of, credentials=credentials, encode=encode)
        for item_id, applicant in items
    ]


class BatchRunner:
    """Evaluates batches in order, in parallel worker processes when a batch is large enough.

    Workers load the caller's rule set from its exact content (:attr:`RuleSet.files`), never from disk, so
    a batch is always evaluated with the rule set being served. Memory is bounded whatever the batch: at
    most ``2 x processes`` chunks are in flight (sent and not yet consumed), and a chunk holds fewer items
    when every criterion is explained (``explained=True``).

    Args:
        book: the caller's loaded rule set (small batches run on it; workers load the same content).
        rules_dir: unused (workers no longer read the rule files); kept for callers that pass it.
        processes: worker processes for large batches (default: the CPUs available); 1 disables workers.
    """

    def __init__(
        self, book: Any, rules_dir: str | os.PathLike[str] | None = None, processes: int | None = None
    ) -> None:
        self.book = book
        self.processes = max(1, processes if processes is not None else available_cpus())
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running = 0  # batches being evaluated on the pool
        self._closing = False

    def _get_pool(self) -> ProcessPoolExecutor:
        # ProcessPoolExecutor, not multiprocessing.Pool: a worker that dies breaks the executor with an
        # exception instead of being respawned forever.
        with self._lock:
            if self._pool is None:
                rules = self.book.rules
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init,
                    initargs=(rules.root, dict(rules.files), self.book.digest),
                )
            return self._pool

    def run(
        self,
        items: Iterable[tuple[str, Any]],
        *,
        as_of: dt.date,
        encode: Encode,
        credentials: Sequence[str] | None = None,
        explained: bool = False,
        size_hint: int | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Any]:
        """Yield one result per item, in input order, as soon as it (and every earlier one) is ready.

        ``encode`` turns each outcome into its result (in the worker process, for large batches);
        ``explained`` says the results explain every criterion (large), so chunks are kept small.

        When ``stop`` is set, evaluation stops and :class:`BatchStopped` is raised, saying how many results
        were yielded; closing the iterator early cancels the work not started yet.
        """
        creds = tuple(credentials) if credentials is not None else None
        items = list(items) if size_hint is None else items
        size = size_hint if size_hint is not None else len(items)  # type: ignore[arg-type]
        done = 0
        if self.processes <= 1 or size < PARALLEL_THRESHOLD:
            for item_id, applicant in items:
                if stop is not None and stop.is_set():
                    raise BatchStopped(done)
                yield evaluate_item(self.book, item_id, applicant, as_of=as_of, credentials=creds, encode=encode)
                done += 1
            return
        with self._lock:
            self._running += 1  # a closed runner still answers (workers start again, stop after the batch)
        window: deque[Future[list[Any]]] = deque()
        try:
            pool = self._get_pool()
            chunks = _chunks(items, as_of, creds, encode, FULL_CHUNK if explained else CHUNK)
            for chunk in itertools.chain(chunks, (None,)):
                # Submit as results are consumed (never every chunk at once, as Executor.map would): the
                # results of a slow reader's batch wait in at most `2 x processes` chunks.
                while window and (chunk is None or len(window) >= 2 * self.processes):
                    future = window.popleft()
                    while True:
                        if stop is not None and stop.is_set():
                            raise BatchStopped(done)
                        try:
                            results = future.result(timeout=0.1 if stop is not None else None)
                            break
                        except FuturesTimeout:
                            continue
                    for result in results:
                        yield result
                        done += 1
                if chunk is not None:
                    window.append(pool.submit(_worker_chunk, chunk))
        except BrokenProcessPool:
            with self._lock:
                self._pool = None
            raise
        finally:
            for future in window:
                future.cancel()
            with self._lock:
                self._running -= 1
                retire = self._closing and self._running == 0
            if retire:
                self._shutdown(wait=False)

    def close(self) -> None:
        """Stop the worker processes: now if no batch is using them, else when the last one ends (a rule
        reload retires a runner while batches may still be evaluated on it; they finish)."""
        with self._lock:
            self._closing = True
            busy = self._running > 0
        if not busy:
            self._shutdown(wait=True)

    def _shutdown(self, *, wait: bool) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


def _chunks(
    items: Iterable[tuple[str, Any]],
    as_of: dt.date,
    credentials: tuple[str, ...] | None,
    encode: Encode,
    size: int,
) -> Iterator[_Chunk]:
    chunk: list[tuple[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk, as_of, credentials, encode
            chunk = []
    if chunk:
        yield chunk, as_of, credentials, encode
