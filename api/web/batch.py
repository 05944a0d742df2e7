"""The registrar's upload: a cohort file in, its results file out, through ``api.batch_io`` and the service's
``BatchRunner`` (the same code as ``credcheck batch`` and the batch endpoint).

This is the only module that calls ``api.batch_io``: if its functions change, this adapter changes. The
files never touch the disk: ``batch_io`` reads and writes through :class:`MemoryFile`, which offers the
little of ``pathlib.Path`` it uses (``suffix``, ``open``, ``str``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from api.batch_io import read_items, write_results
from api.serialize import batch_item

__all__ = ["FORMATS", "BatchFileError", "MemoryFile", "Results", "run_file"]

FORMATS = {".csv": "text/csv; charset=utf-8", ".jsonl": "application/x-ndjson"}


class BatchFileError(ValueError):
    """The file cannot be evaluated: not UTF-8, not CSV/JSON Lines, unknown columns, too many applicants."""


class _Sink(io.StringIO):
    def __init__(self, owner: MemoryFile) -> None:
        super().__init__()
        self.owner = owner

    def close(self) -> None:
        if not self.closed:
            self.owner.data = self.getvalue().encode("utf-8")
        super().close()


class MemoryFile:
    """An in-memory file named like the upload (``cohort.csv``), for ``batch_io``'s readers and writers."""

    def __init__(self, name: str, data: bytes = b"") -> None:
        self.name = name
        self.data = data

    @property
    def suffix(self) -> str:
        dot = self.name.rfind(".")
        return self.name[dot:] if dot > 0 else ""

    def open(self, mode: str = "r", encoding: str | None = None, newline: str | None = None) -> io.StringIO:
        if "w" in mode:
            return _Sink(self)
        try:
            text = self.data.decode(encoding or "utf-8")
        except UnicodeDecodeError:
            raise BatchFileError("the file is not UTF-8 text") from None
        return io.StringIO(text, newline=newline)

    def __str__(self) -> str:
        return self.name

    __fspath__ = __str__


@dataclass(frozen=True)
class Results:
    data: bytes
    media_type: str
    filename: str
    count: int
    failed: int


def run_file(
    filename: str,
    data: bytes,
    *,
    book: Any,
    runner: Any,
    as_of: dt.date,
    output: str,
    limit: int,
) -> Results:
    """Evaluate every applicant of an uploaded ``.csv`` or ``.jsonl`` file; the results as ``output``
    (``.csv`` or ``.jsonl``). Raises :class:`BatchFileError` naming what is wrong with the file."""
    suffix = MemoryFile(filename).suffix.lower()
    if suffix not in FORMATS:
        raise BatchFileError("expected a .csv or .jsonl file")
    try:
        items = read_items(MemoryFile("upload" + suffix, data), book.models.Applicant)  # type: ignore[arg-type]
    except ValueError as exc:  # batch_io names the file it read: here, the upload's placeholder name
        message, name = str(exc), "upload" + suffix
        if message.startswith(name + ": "):
            message = message[len(name) + 2 :]
        elif message.startswith(name + ":"):
            message = "line " + message[len(name) + 1 :]
        raise BatchFileError(message) from None
    if not items:
        raise BatchFileError("the file holds no applicants")
    if len(items) > limit:
        raise BatchFileError(f"the file holds {len(items):,} applicants; this service accepts at most {limit:,}")
    target = MemoryFile("results" + output)
    results = runner.run(items, as_of=as_of, credentials=None, encode=batch_item)
    count = failed = 0
    for result in write_results(  # type: ignore[arg-type]
        target, results, book.credential_ids, as_of=as_of.isoformat(), rules=book.version_id
    ):
        count += 1
        failed += not result["ok"]
    return Results(target.data, FORMATS[output], f"credcheck-results-{as_of.isoformat()}{output}", count, failed)
