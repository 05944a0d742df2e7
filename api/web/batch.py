"""The registrar's upload: a cohort file in, its results file out, through ``api.batch_io`` and the service's
``BatchRunner`` (the same code as ``credcheck batch`` and the batch endpoint).

This is the only module of the page that calls ``api.batch_io``. The files never touch the disk: the upload's
bytes are read with their name, and the results are written to a stream.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from typing import Any

from api.batch_io import EMPTY_FILE, MEDIA_TYPES, BatchFileError, format_of, read_items, worded, write_results
from api.serialize import batch_item, encoded_item

__all__ = ["FORMATS", "BatchFileError", "Results", "format_of", "run_file"]

FORMATS = {"." + name: MEDIA_TYPES[name] for name in ("csv", "jsonl", "xlsx")}  # results a registrar may ask for
INPUTS = (".csv", ".jsonl")


@dataclass(frozen=True)
class Results:
    data: bytes
    media_type: str
    filename: str
    count: int
    failed: int


def suffix_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def run_file(
    filename: str,
    data: bytes,
    *,
    book: Any,
    runner: Any,
    as_of: dt.date,
    output: str,
    limit: int,
    language: str = "en",
) -> Results:
    """Evaluate every applicant of an uploaded ``.csv`` or ``.jsonl`` file; the results as ``output``
    (``.csv``, ``.jsonl`` or ``.xlsx``). Raises :class:`BatchFileError` naming what is wrong with the file."""
    batch = read_items(data, book.models.Applicant, name=filename, max_rows=limit, language=language)
    if not batch.rows:
        raise BatchFileError(filename, [worded(language, EMPTY_FILE)])
    encode = functools.partial(encoded_item, item=batch_item, language=language)  # steps in the page's language
    evaluated = (r.data() for r in runner.run(batch.items, as_of=as_of, credentials=None, encode=encode))
    stream = io.BytesIO()
    summary = write_results(
        stream, batch, evaluated, rules=book.rules, as_of=as_of, format=output.lstrip("."), language=language
    )
    name = f"credcheck-results-{as_of.isoformat()}{output}"
    return Results(stream.getvalue(), FORMATS[output], name, summary.count, summary.failed)
