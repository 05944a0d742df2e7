"""Many applicants at once: per-item results in input order, one bad item never failing the rest.

:func:`evaluate_item` evaluates one item and hands the outcome (or the invalid fields) to an ``encode``
function the caller provides — the API's serializer, which turns it into a JSON-ready result — so that
worker processes send back finished results and the engine itself writes no wire format.

:class:`BatchRunner` spreads items over worker processes. durable-rules never releases the GIL, so
threads would not help; each worker process loads and compiles the same rule set once (checked against
the caller's digest, so a batch is never answered by a different rule set). Workers are started with the
``spawn`` method: safe next to threads and event loops, at the cost of about a second to start.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pydantic import ValidationError

from .applicant import field_errors

__all__ = ["BatchRunner", "Encode", "available_cpus", "evaluate_item"]

# encode(rule book, item id, evaluation or None, field errors or None) -> a JSON-ready result. It must be
# picklable (a module-level function, or a functools.partial of one): worker processes import and call it.
Encode = Callable[[Any, str, Any, list[dict[str, str]] | None], dict[str, Any]]

# Below this many items a batch runs in the calling process: starting workers costs more than it saves.
PARALLEL_THRESHOLD = 400
CHUNK = 200


def evaluate_item(
    book: Any,
    item_id: str,
    applicant: Any,
    *,
    as_of: dt.date,
    credentials: Sequence[str] | None,
    encode: Encode,
) -> dict[str, Any]:
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


_WORKER_BOOK: Any = None


def _worker_init(rules_dir: str, digest: str) -> None:
    global _WORKER_BOOK
    from . import load_rulebook

    book = load_rulebook(rules_dir)
    if book.digest != digest:
        raise RuntimeError("the rule set on disk changed since the service loaded it")
    _WORKER_BOOK = book


_Chunk = tuple[list[tuple[str, Any]], dt.date, tuple[str, ...] | None, Encode]


def _worker_chunk(args: _Chunk) -> list[dict[str, Any]]:
    items, as_of, credentials, encode = args
    return [
        evaluate_item(_WORKER_BOOK, item_id, applicant, as_of=as_of, credentials=credentials, encode=encode)
        for item_id, applicant in items
    ]


class BatchRunner:
    """Evaluates batches in order, in parallel worker processes when a batch is large enough.

    Args:
        book: the caller's loaded rule set (small batches run on it; workers must match its digest).
        rules_dir: where workers load the same rule set from.
        processes: worker processes for large batches (default: the CPUs available); 1 disables workers.
    """

    def __init__(self, book: Any, rules_dir: str | os.PathLike[str], processes: int | None = None) -> None:
        self.book = book
        self.rules_dir = str(rules_dir)
        self.processes = max(1, processes if processes is not None else available_cpus())
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        # ProcessPoolExecutor, not multiprocessing.Pool: a worker that fails to start (say, the rule set
        # changed on disk) breaks the executor with an exception instead of being respawned forever.
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(self.rules_dir, self.book.digest),
            )
        return self._pool

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first large batch."""
        if self.processes > 1:
            self._get_pool()

    def run(
        self,
        items: Iterable[tuple[str, Any]],
        *,
        as_of: dt.date,
        encode: Encode,
        credentials: Sequence[str] | None = None,
        size_hint: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield one result per item, in input order, as soon as it (and every earlier one) is ready."""
        creds = tuple(credentials) if credentials is not None else None
        items = list(items) if size_hint is None else items
        size = size_hint if size_hint is not None else len(items)  # type: ignore[arg-type]
        if self.processes <= 1 or size < PARALLEL_THRESHOLD:
            for item_id, applicant in items:
                yield evaluate_item(self.book, item_id, applicant, as_of=as_of, credentials=creds, encode=encode)
            return
        pool = self._get_pool()
        try:
            for results in pool.map(_worker_chunk, _chunks(items, as_of, creds, encode)):
                yield from results
        except BrokenProcessPool:
            self._pool = None
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _chunks(
    items: Iterable[tuple[str, Any]], as_of: dt.date, credentials: tuple[str, ...] | None, encode: Encode
) -> Iterator[_Chunk]:
    chunk: list[tuple[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk, as_of, credentials, encode
            chunk = []
    if chunk:
        yield chunk, as_of, credentials, encode
