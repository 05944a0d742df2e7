"""Batch files: a registrar's CSV (or JSON Lines) in; CSV, Excel (.xlsx) or JSON Lines out.

Used by ``credcheck batch`` and by the self-check page's registrar upload, through two functions::

    batch = read_items(source, book.models.Applicant, name="cohort.csv")   # Path or the uploaded bytes
    evaluated = runner.run(batch.items, as_of=as_of, credentials=selected)  # the rows that could be read
    write_results(target, batch, evaluated, rules=book.rules, as_of=as_of, credentials=selected)

Input
-----
* ``.csv``: one row per applicant, a header row first. UTF-8 (a byte-order mark is fine); a file that is not
  valid UTF-8 is read as Windows-1252 (what Excel's plain "CSV" saves). Cells are separated by commas, or by
  semicolons or tabs when the header has no comma but one of those. Blank rows are skipped.

  Columns, by header (spaces around a header are ignored):

  - ``id`` (any case, optional): the applicant's id in the results; default: the row's line number in the
    file (the row number a spreadsheet shows).
  - a **field column**, named by the field's path: ``birth_date``, ``high_school.credential``,
    ``semester_hours.chemistry``, ``programs.0.discipline``, ``programs.0.completion_date``,
    ``programs.1.discipline``, ``work_experience.0.role``, ``certifications.0.credential``... The number
    says which program (job, degree...) a column belongs to: any numbers will do (``programs.1`` and
    ``programs.2`` are the first and the second program); a row with no cell for a number has no such item.
  - a **note column**: any other header (student name, student number, cohort, advisor...). Its cells are
    not read as facts; they are copied, as written, into the results next to the id, in the file's order.
  - a **likely typo**: a header that looks meant as a field but names none. It stops the run before any
    row is evaluated, with a suggestion. A header is a likely typo when it

    1. has a path's shape (words joined by dots, no spaces): ``progams.0.discipline``,
       ``programs.discipline`` (which program?), ``high_school`` (a record: which of its fields?); or
    2. ignoring case, spaces, hyphens, underscores, dots and numbers, equals or nearly equals a field's
       path or name (difflib similarity 0.8 or more): ``birth date``, ``Birth_Date``,
       ``Program 1 discipline``, ``clock hours``, ``dicipline``; or
    3. contains every word of a field name of two words or more: ``Date of birth`` (``birth_date``),
       ``Expected completion date`` (``programs.0.completion_date``).

    A note column caught by these rules is kept by starting its header with ``note:`` (``note: Start date``).

  Values, as people type them (an empty cell leaves the fact out):

  - vocabulary values in any case, with spaces or underscores for hyphens: ``Medical Assisting`` is
    ``medical-assisting``, ``caahep`` is ``CAAHEP``, ``in progress`` is ``in-progress``;
  - yes/no: ``yes``/``no``, ``y``/``n``, ``true``/``false``, ``t``/``f``, ``1``/``0``, in any case;
  - numbers, with thousands separators: ``1,200`` or ``1200.5``;
  - dates as ``YYYY-MM-DD`` (ISO, ``1999-03-14``) or the US form ``MM/DD/YYYY`` (``03/14/1999`` or
    ``3/14/1999``). A two-digit year is refused (which century?). A date that reads only as day first
    (``14/03/1999``) is refused, and then every other slash date of the file whose day and month could be
    swapped is refused too, as ambiguous: write those as ``YYYY-MM-DD``;
  - lists (``programs.0.approvals``, ``work_experience.0.lab_areas``): values separated by ``;`` or ``,``.

  A value that cannot be read makes its row fail alone (the other rows are evaluated). The error names the
  row by its line in the file and the column as written in the header, and says what was expected; it never
  repeats the value (applicant facts are personal data).
* ``.jsonl``: one JSON object per line, ``{"id": "...", "applicant": {...}}`` or a bare applicant (its id is
  then the line number), in the API's own form (dates ``YYYY-MM-DD``, exact vocabulary values). Blank
  lines are skipped.

Output
------
* ``.jsonl``: one result object per line, as the batch API returns them (an unreadable CSV row is answered
  as the API answers an invalid applicant, a 422 problem naming the fields by their API paths).
* ``.csv`` (UTF-8 with a byte-order mark, so Excel shows accented names right) and ``.xlsx`` (the same
  table, with a styled and frozen header row, the id and first note columns frozen, sized columns, a filter,
  and an "About" sheet stating the evaluation date, the rule set and the columns' meaning). Columns:
  ``id``; the note columns; ``ok`` (``true``/``false``); ``error`` (why the row could not be evaluated, by
  line and column); ``eligible`` (the designations of the credentials the applicant is eligible for); then
  for each credential, headed by its designation and id (``CCMA (NHA) [nha.ccma]``): its status (eligible,
  ineligible, undetermined), ``missing`` (the criteria of its nearest route not met, in words),
  ``inputs needed`` (for an undetermined credential: the columns that could decide it, and in words why else
  it is open: a route not encoded, a requirement or value its source leaves unstated) and ``eligible from``
  (the date from which the applicant would be eligible, when the result gives one) and ``next step`` (the
  first of the result's next steps, in the batch's language); then ``as_of`` and
  ``rules`` (the evaluation date and the rule set's version with its digest, on every row, so a saved file
  says what produced it).

  The .xlsx file is written row by row (openpyxl's write-only mode), so its memory stays flat whatever the
  batch size; openpyxl buffers each sheet in a temporary file (readable by the user only, deleted once the
  workbook is written or its writing fails), and the writing is several times slower than CSV's. Status cells
  are coloured by one conditional format per sheet (the word stays the information).

  Formula injection (OWASP): a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (or with spaces and then one of the first four, or their full-width forms) gets a leading ``'`` so a
  spreadsheet shows it as text instead of running it; the .xlsx file also stores every cell as a plain
  string, never as a formula.

The output's words come from one function, :func:`rule_set_text`, in the language asked for (``language=``):
labels from the rule set's text, fixed phrases and reasons from the ``messages`` catalogue. Ids, statuses,
dates and the bracketed credential ids in the headers are the same in every language.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import difflib
import enum
import functools
import io
import json
import os
import re
import secrets
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from engine import FieldPath

from .i18n import catalogue
from .render import _  # marks messages of the `messages` catalogue for extraction
from .rules_text import RuleText

Say = Callable[..., str]

EMPTY_FILE = _("the file holds no applicants")


def _sayer(language: str) -> Say:
    """``say(message, **values)``: a message of the `messages` catalogue in ``language``, its numbers formatted
    as the language writes them (the file's problems are read by registrars in the page's language)."""
    return catalogue(language, "messages").say


def worded(language: str, message: str, **values: Any) -> str:
    """A file problem of this module (``EMPTY_FILE``...) in ``language``."""
    return _sayer(language)(message, **values)

__all__ = [
    "FORMATS",
    "INPUT_FORMATS",
    "MEDIA_TYPES",
    "REASONS",
    "BatchFileError",
    "BatchInput",
    "BatchRow",
    "Text",
    "WriteSummary",
    "format_of",
    "neutralise",
    "read_items",
    "rule_set_text",
    "write_results",
]

INPUT_FORMATS = ("jsonl", "csv")
FORMATS = ("csv", "xlsx", "jsonl")  # output
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson",  # as the batch endpoint streams its results
}
NOTE_PREFIX = "note:"


# Why an undetermined credential is open, besides facts not given (the result's `undetermined_reasons`).
REASONS = {
    "unencoded-route": _("a route this service does not check is still open: ask the certifying body"),
    "requirement-not-stated": _("a source does not state a requirement's full terms"),
    "source-undecided": _("a source does not say whether a value given counts"),
}
# The About sheet of an .xlsx output: each column and what it holds.
ABOUT = (
    (_("id"), _("the applicant's id (the file's id column, else the row's line in the input file)")),
    (_("ok / error"), _("false when the row could not be evaluated, and why (its line and column in the input)")),
    (_("eligible"), _("the credentials the applicant is eligible for on the evaluation date")),
    (_("<credential>"), _("eligible, ineligible (no route can be met) or undetermined (facts missing)")),
    (_("<credential> missing"), _("what the nearest route still needs")),
    (_("<credential> inputs needed"), _("the columns whose facts could decide an undetermined credential")),
    (_("<credential> eligible from"), _("the date from which the applicant would be eligible, when known")),
    (_("<credential> next step"), _("what to do first: apply, wait for a date, or what the nearest route needs")),
    (_("as_of / rules"), _("the evaluation date and the rule set (version and digest) on every row")),
)
# Fixed words of the output: after a credential's designation in the column headers (its bracketed id stays
# as it is), and the About sheet's.
PHRASES = frozenset(
    (
        _("missing"),
        _("inputs needed"),
        _("eligible from"),
        _("next step"),
        _("credcheck results"),
        _("evaluated as of"),
        _("rules"),
        _("applicants"),
        _("columns"),
        _("credentials"),
        *(text for pair in ABOUT for text in pair),
    )
)


class BatchFileError(ValueError):
    """The file cannot be read as a batch; no row was evaluated. ``problems`` lists each one in words
    (naming lines and columns as written, never a cell's value)."""

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        self.name = name
        self.problems = list(problems)
        super().__init__(f"{name}: no row was evaluated: " + "; ".join(self.problems))


def format_of(name: str | os.PathLike[str], allowed: Sequence[str] = FORMATS) -> str:
    """The format a file name's suffix says (``csv``, ``xlsx``, ``jsonl``), or ValueError."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise ValueError(f"{Path(name).name}: expected a " + " or ".join(f".{f}" for f in allowed) + " file")
    return suffix


# ============================================================================================ reading


@dataclasses.dataclass(frozen=True)
class _Kind:
    """What a field column's cells hold."""

    name: str  # enum, bool, int, float, date, text, list
    values: dict[str, str] | None = None  # enum: normalised spelling -> vocabulary value
    allowed: tuple[str, ...] = ()  # enum: the vocabulary values, in order
    item: _Kind | None = None  # list: the kind of its items


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(inner) != 1:
                return annotation
            annotation = inner[0]
        else:
            return annotation


def _spelling(text: str) -> str:
    """How a vocabulary value is matched: any case, runs of spaces, underscores and hyphens alike."""
    return re.sub(r"[\s_\-]+", "-", text.strip().casefold())


def _kind(annotation: Any) -> _Kind:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is list:
        return _Kind("list", item=_kind(typing.get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        allowed = tuple(str(member.value) for member in annotation)
        spellings: dict[str, str] = {}
        for value in allowed:
            spellings[_spelling(value)] = value if _spelling(value) not in spellings else ""  # "" = ambiguous
        return _Kind("enum", values=spellings, allowed=allowed)
    if annotation is bool:
        return _Kind("bool")
    if annotation is int:
        return _Kind("int")
    if annotation is float:
        return _Kind("float")
    if annotation is dt.date:
        return _Kind("date")
    return _Kind("text")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is list:
        annotation = _unwrap(typing.get_args(annotation)[0])
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_unwrap(annotation)) is list


_ROOT = FieldPath()  # the applicant (or the row) as a whole
_APPLICANT = FieldPath.of("applicant")  # a batch item's error fields are under it
_ANY_FIELD = "<field>"  # how a suggestion writes "one of the record's fields"


def _resolve(header: str, model: type[BaseModel], say: Say | None = None) -> tuple[FieldPath, _Kind] | str:
    """A header's path and value kind, or why it names no field (in ``say``'s language, default English):
    ``programs.0.discipline`` names one; ``programs.discipline`` (which program?), ``birth_date.0`` and
    ``high_school`` (a record) do not."""
    say = say or _sayer("en")
    written = FieldPath.parse_column(header)
    parts = written.parts
    current: type[BaseModel] | None = model
    where, out, kind, i = say(_("the applicant")), [], None, 0
    while i < len(parts):
        part = parts[i]
        if current is None:
            return say(_("{where} has no parts"), where=where)
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            if isinstance(part, int):
                return say(_("{where} is not a list"), where=where)
            return say(_("{where} has no field `{field}`"), where=where, field=FieldPath.of(part).column())
        nested = _model_of(field.annotation)
        out.append(part)
        i += 1
        if nested is not None and _is_list(field.annotation):
            if i == len(parts) or not isinstance(parts[i], int):
                example = FieldPath.of(part, 0, _ANY_FIELD).column()
                return say(_("`{list}` is a list: name one of its items, e.g. `{example}`"), list=part, example=example)
            out.append(parts[i])
            i += 1
        where, current = f"`{part}`", nested
        kind = None if nested is not None else _kind(field.annotation)
    if kind is None:
        example = (written / _ANY_FIELD).column()
        return say(_("{where} is a record: name one of its fields (e.g. `{example}`)"), where=where, example=example)
    return FieldPath(tuple(out)), kind


def _templates(model: type[BaseModel], prefix: FieldPath = _ROOT) -> dict[str, str]:
    """Every field path of the model, with ``#`` for a list position (``programs.#.discipline``), and how a
    suggestion names it: a value's path, or for a record one of its fields (``programs.#.<field>``)."""
    out = {}
    for name, field in model.model_fields.items():
        nested = _model_of(field.annotation)
        path = prefix / name
        if nested is None:
            out[path.column()] = path.column()
            continue
        inner = path / FieldPath.ANY if _is_list(field.annotation) else path
        out[path.column()] = (inner / _ANY_FIELD).column()  # a record or a list of records: people write it too
        out.update(_templates(nested, inner))
    return out


def _squash(text: str) -> str:
    """A header or path for comparison: lower case, separators alike, numbers as ``#``."""
    text = re.sub(r"\d+", "#", text.strip().casefold())
    return re.sub(r"[\s._\-]+", "_", text).strip("_")


_PATH_SHAPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+")
_WORD = re.compile(r"[a-z]+")
SIMILAR = 0.85  # difflib similarity from which a header is taken for a field's path or name


class _Vocabulary:
    """The field paths of an applicant model, to tell a note column from a likely typo."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.templates = _templates(model)
        self.squashed = {_squash(t): t for t in self.templates}
        self.leaves: dict[str, list[str]] = {}  # a field's own name -> the paths that end with it
        for template in self.templates:
            name = str(FieldPath.parse_column(template).parts[-1])
            self.leaves.setdefault(_squash(name), []).append(template)

    def suggest(self, header: str) -> list[str]:
        """Columns the header may have meant, best first (empty if it does not look like a field)."""
        squashed = _squash(header)
        found = [self.squashed[m] for m in difflib.get_close_matches(squashed, self.squashed, n=3, cutoff=SIMILAR)]
        for leaf in difflib.get_close_matches(squashed, self.leaves, n=2, cutoff=SIMILAR):
            found += self.leaves[leaf]
        words = set(_WORD.findall(header.casefold()))
        for leaf, paths in self.leaves.items():
            if "_" in leaf and set(leaf.split("_")) <= words:
                found += paths
        if not found and _PATH_SHAPE.fullmatch(header):
            found = [self.squashed[m] for m in difflib.get_close_matches(squashed, self.squashed, n=3, cutoff=0.6)]
        numbers = re.findall(r"\d+", header)
        number = int(numbers[0]) if len(numbers) == 1 else 0  # the header's own number for a list position
        shown = (FieldPath.parse_column(self.templates[t]).at(number).column() for t in found)
        return list(dict.fromkeys(shown))[:4]


@dataclasses.dataclass(frozen=True)
class BatchRow:
    """One applicant of a batch file."""

    id: str
    line: int  # where the row starts in the file (1 = the first line)
    notes: tuple[str, ...]  # the note columns' cells, as written
    applicant: Any  # the applicant's facts, or None when the row could not be read
    errors: tuple[dict[str, str], ...] = ()  # why it could not be read, as the API names fields
    lists: dict[FieldPath, tuple[int, ...]] = dataclasses.field(default_factory=dict)  # list -> file numbers


@dataclasses.dataclass(frozen=True)
class BatchInput:
    """A batch file, read: its rows in file order and what the output needs to echo and locate them."""

    name: str
    format: str  # csv or jsonl
    notes: tuple[str, ...]  # the note columns' headers, as written, in file order
    rows: tuple[BatchRow, ...]
    columns: dict[FieldPath, str] = dataclasses.field(default_factory=dict)  # a field's path -> its header
    language: str = "en"  # of its rows' problems

    @property
    def items(self) -> list[tuple[str, Any]]:
        """The (id, applicant) pairs to evaluate: every row that could be read, in file order."""
        return [(row.id, row.applicant) for row in self.rows if row.applicant is not None]

    def results(self, evaluated: Iterable[dict[str, Any]]) -> Iterator[tuple[BatchRow, dict[str, Any]]]:
        """Every row with its result, in file order: ``evaluated`` (the results of :attr:`items`, in their
        order) with the rows that could not be read answered as the API answers an invalid applicant."""
        source = iter(evaluated)
        for row in self.rows:
            if row.applicant is None:
                yield row, _problem(row.id, list(row.errors), self.language)
                continue
            result = next(source, None)
            if result is None:
                raise ValueError("fewer results than rows to evaluate")
            yield row, result
        if next(source, None) is not None:
            raise ValueError("more results than rows to evaluate")

    def column(self, row: BatchRow, path: str) -> str:
        """Where a fact the engine names (``programs[0].clock_hours``, as in ``inputs_needed``) goes in the
        file: for a CSV file its column (see :meth:`locate`), else the path as the API names it."""
        return self._place(row, path, _ROOT) if self.format == "csv" else path

    def locate(self, row: BatchRow, field: str) -> str:
        """Where an API field path (``applicant.programs[0].clock_hours``) is in the file: the column as
        written in the header, else the column that would hold it (``programs.1.clock_hours``)."""
        return self._place(row, field, _APPLICANT) if self.format == "csv" else field

    def _place(self, row: BatchRow, field: str, under: FieldPath) -> str:
        try:
            path = FieldPath.parse_api(field)
        except ValueError:  # no error names a field so; shown as it is rather than failing the output
            return field
        if path.startswith(under):
            path = path.relative_to(under)
        if not path.parts:
            return "the row"
        file: list[Any] = []  # the path with the row's file numbers for the API's list positions
        for part in path.parts:
            numbers = row.lists.get(FieldPath(tuple(file))) if isinstance(part, int) else None
            file.append(numbers[part] if numbers is not None and part < len(numbers) else part)
        for end in range(len(file), 0, -1):
            header = self.columns.get(FieldPath(tuple(file[:end])))
            if header is not None:
                return header
        return FieldPath(tuple(file)).column()


def _problem(item_id: str, errors: list[dict[str, str]], language: str) -> dict[str, Any]:
    """An unreadable row, answered as the batch API answers an invalid applicant (its errors already worded
    in ``language``)."""
    from .serialize import invalid_item

    return invalid_item(item_id, errors, language)


class _CellError(Exception):
    """Why a cell cannot be read: a message of the `messages` catalogue (in English, its id) and its values,
    worded in the reader's language when the row is reported."""

    def __init__(self, message: str, kind: str = "value_error", **values: Any) -> None:
        super().__init__(message)
        self.message, self.kind, self.values = message, kind, values


_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+-]?\.\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SHORT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
_YES = {"yes", "y", "true", "t", "1", "sí", "si"}
_NO = {"no", "n", "false", "f", "0"}


@dataclasses.dataclass(frozen=True)
class _Column:
    index: int
    header: str
    path: FieldPath
    kind: _Kind


@dataclasses.dataclass(frozen=True)
class _SlashDate:
    """A MM/DD/YYYY cell, kept to check the file against day-first dates once every row is read."""

    row: int  # position in the rows read
    column: _Column
    first: int
    second: int


@dataclasses.dataclass
class _Read:
    """A CSV row as read, before it becomes a :class:`BatchRow`."""

    line: int
    record: list[str]
    id: str = ""
    values: dict[FieldPath, Any] = dataclasses.field(default_factory=dict)  # by the field's path in the file
    errors: list[tuple[FieldPath, _CellError]] = dataclasses.field(default_factory=list)


def _convert(kind: _Kind, text: str, slash: list[tuple[int, int]]) -> Any:
    text = text.strip()
    if kind.name == "list":
        assert kind.item is not None
        return [_convert(kind.item, part, slash) for part in re.split(r"[;,]", text) if part.strip()]
    if kind.name == "enum":
        assert kind.values is not None
        value = kind.values.get(_spelling(text))
        if not value:
            near = difflib.get_close_matches(
                _spelling(text), [v for v in kind.values if kind.values[v]], n=1, cutoff=SIMILAR
            )
            if near:
                message = _("not a value of this column; did you mean `{value}`?")
                raise _CellError(message, "enum", value=kind.values[near[0]])
            shown = ", ".join(kind.allowed[:12])
            if len(kind.allowed) > 12:
                more = len(kind.allowed) - 12
                raise _CellError(_("expected one of: {values} ({count} more)"), "enum", values=shown, count=more)
            raise _CellError(_("expected one of: {values}"), "enum", values=shown)
        return value
    if kind.name == "bool":
        lowered = text.casefold()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise _CellError(_("expected yes or no"), "bool_parsing")
    if kind.name in ("int", "float"):
        if not _NUMBER.fullmatch(text):
            raise _CellError(_("expected a number (e.g. 1,200 or 12.5)"), "number_parsing")
        number = float(text.replace(",", ""))
        return int(number) if number.is_integer() else number
    if kind.name == "date":
        return _date(text, slash)
    return text


def _date(text: str, slash: list[tuple[int, int]]) -> str:
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _US_DATE.fullmatch(text)
        if not match:
            if _SHORT_YEAR.fullmatch(text):
                two_digits = _("a two-digit year is ambiguous: write the year in full (MM/DD/YYYY)")
                raise _CellError(two_digits, "date_parsing")
            raise _CellError(_("expected a date as MM/DD/YYYY or YYYY-MM-DD"), "date_parsing")
        month, day, year = (int(g) for g in match.groups())
        if 12 < month <= 31 and 1 <= day <= 12:
            slash.append((month, day))  # evidence that the file writes dates day first
            message = _("this date reads only as day first (DD/MM/YYYY): write it as MM/DD/YYYY or YYYY-MM-DD")
            raise _CellError(message, "date_parsing")
    try:
        iso = dt.date(year, month, day).isoformat()
    except ValueError:
        raise _CellError(_("not a calendar date (month or day out of range)"), "date_parsing") from None
    if not _ISO_DATE.fullmatch(text):
        slash.append((month, day))
    return iso


def _header_problem(header: str, vocab: _Vocabulary, reason: str | None, say: Say) -> str | None:
    """Why a header that names no field looks like a typo (None: a note column)."""
    if header.casefold().startswith(NOTE_PREFIX):
        return None
    suggestions = vocab.suggest(header)
    if reason is None and not suggestions and not _PATH_SHAPE.fullmatch(header):
        return None
    said = reason or say(_("names no applicant field"))
    if suggestions:
        options = say(_(" or ")).join(f"`{s}`" for s in suggestions)  # between two suggested columns
        said = say(_("{problem}; did you mean {options}?"), problem=said, options=options)
    return f"`{header}`: {said}"


NOTE_HINT = _("a column that holds notes, not facts, is kept as written by starting its header with `{prefix}`")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(text: str, name: str, model: type[BaseModel], max_rows: int | None, say: Say) -> BatchInput:
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = next((d for d in (";", "\t") if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    start = 1
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            if max_rows is not None and len(records) >= max_rows:
                raise BatchFileError(name, [say(_("more than {count} applicants: split the file"), count=max_rows)])
            records.append((line, record))
    except csv.Error as exc:  # a NUL byte, a cell beyond the csv module's size limit: the message holds no data
        raise BatchFileError(name, [say(_("line {line}: not readable as CSV ({why})"), line=start, why=exc)]) from None
    if header is None:
        raise BatchFileError(name, [say(_("no header row"))])

    vocab = _Vocabulary(model)
    problems, columns, notes = [], [], []
    id_column: int | None = None
    seen: dict[FieldPath, str] = {}
    for index, raw in enumerate(header):
        title = raw.strip()
        if not title:
            continue
        if title.casefold() == "id":
            if id_column is not None:
                problems.append(say(_("`{header}`: the id column appears twice"), header=title))
            id_column = index
            continue
        resolved = _resolve(title, model, say)
        if isinstance(resolved, str):
            reason = resolved if title.split(".", 1)[0] in model.model_fields else None
            problem = _header_problem(title, vocab, reason, say)
            if problem:
                problems.append(problem)
            else:
                notes.append((index, title))
            continue
        path, kind = resolved
        if path in seen:
            problems.append(say(_("`{first}` and `{second}` name the same field"), first=seen[path], second=title))
            continue
        seen[path] = title
        columns.append(_Column(index, title, path, kind))
    if problems:
        raise BatchFileError(name, [*problems, say(NOTE_HINT, prefix=NOTE_PREFIX)])
    if not columns:
        message = _("no column names an applicant field (e.g. `birth_date`, `programs.0.discipline`)")
        raise BatchFileError(name, [say(message)])

    read: list[_Read] = []
    slashes: list[_SlashDate] = []
    for line, record in records:
        entry = _Read(line, record)
        if any(cell.strip() for cell in record[len(header) :]):
            too_many = _CellError(_("more cells than the header has columns (quote a value with a comma)"))
            entry.errors.append((_ROOT, too_many))
        for column in columns:
            cell = record[column.index] if column.index < len(record) else ""
            if not cell.strip():
                continue
            found: list[tuple[int, int]] = []
            try:
                entry.values[column.path] = _convert(column.kind, cell, found)
            except _CellError as exc:
                entry.errors.append((column.path, exc))
            slashes += [_SlashDate(len(read), column, a, b) for a, b in found]
        cell_id = record[id_column].strip() if id_column is not None and id_column < len(record) else ""
        entry.id = cell_id or str(line)
        read.append(entry)

    # A date that reads only as day first means the file may write every date day first: then a slash date
    # whose day and month could be swapped is ambiguous.
    day_first = next((s for s in slashes if s.first > 12), None)
    if day_first is not None:
        witness = say(_("line {line}, `{column}`"), line=read[day_first.row].line, column=day_first.column.header)
        message = _("ambiguous date: the file also has day-first dates ({witness}); write it as YYYY-MM-DD")
        for s in slashes:
            if s.first <= 12 and s.second <= 12 and s.first != s.second:
                read[s.row].values.pop(s.column.path, None)
                read[s.row].errors.append((s.column.path, _CellError(message, "date_parsing", witness=witness)))

    rows = []
    for entry in read:
        applicant, lists = _assemble(entry.values, {*entry.values, *(path for path, _ in entry.errors)})
        note_cells = tuple(entry.record[i] if i < len(entry.record) else "" for i, _ in notes)
        if entry.errors:
            reported = tuple(
                {
                    "field": (_APPLICANT / _to_api(path, lists)).api(),
                    "message": say(error.message, **error.values),
                    "type": error.kind,
                }
                for path, error in entry.errors
            )
            rows.append(BatchRow(entry.id, entry.line, note_cells, None, reported, lists))
        else:
            rows.append(BatchRow(entry.id, entry.line, note_cells, applicant, (), lists))
    headers = {c.path: c.header for c in columns}
    return BatchInput(name, "csv", tuple(h for _, h in notes), tuple(rows), headers)


def _assemble(
    values: dict[FieldPath, Any], present: set[FieldPath]
) -> tuple[dict[str, Any], dict[FieldPath, tuple[int, ...]]]:
    """The applicant of a row's values (keyed by file paths), and for each list the file numbers of its items
    in order. Items are numbered in the file as people like (``programs.1``, ``programs.2``...): the API's
    lists have no gaps."""
    lists: dict[FieldPath, tuple[int, ...]] = {}
    for path in present:
        for i, part in enumerate(path.parts):
            if isinstance(part, int):
                of = FieldPath(path.parts[:i])
                lists[of] = tuple(sorted({*lists.get(of, ()), part}))
    applicant: dict[str, Any] = {}
    for path, value in values.items():
        api = _to_api(path, lists).parts
        node: Any = applicant
        for i, part in enumerate(api[:-1]):
            following = api[i + 1]
            if isinstance(part, int):
                while len(node) <= part:
                    node.append({})
                node = node[part]
            else:
                node = node.setdefault(part, [] if isinstance(following, int) else {})
        node[api[-1]] = value
    return applicant, lists


def _to_api(path: FieldPath, lists: dict[FieldPath, tuple[int, ...]]) -> FieldPath:
    """A file path's positions as the API's lists number them (from 0, no gaps)."""
    parts = path.parts
    return FieldPath(
        tuple(lists[FieldPath(parts[:i])].index(p) if isinstance(p, int) else p for i, p in enumerate(parts))
    )


def _read_jsonl(text: str, name: str, max_rows: int | None, say: Say) -> BatchInput:
    rows = []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 may be inside a JSON string
        if not line.strip():
            continue
        if max_rows is not None and len(rows) >= max_rows:
            raise BatchFileError(name, [say(_("more than {count} applicants: split the file"), count=max_rows)])
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchFileError(name, [say(_("line {line}: not JSON ({why})"), line=number, why=exc.msg)]) from None
        if isinstance(data, dict) and "applicant" in data:
            rows.append(BatchRow(str(data.get("id", number)), number, (), data["applicant"]))
        else:
            rows.append(BatchRow(str(number), number, (), data))
    return BatchInput(name, "jsonl", (), tuple(rows))


def read_items(
    source: str | os.PathLike[str] | bytes,
    applicant_model: type[BaseModel],
    *,
    name: str | None = None,
    max_rows: int | None = None,
    language: str = "en",
) -> BatchInput:
    """Read a batch file (a path, or an uploaded file's bytes with its ``name``), checking its header. The
    problems of a file that cannot be read are worded in ``language``.

    Raises:
        BatchFileError: the file cannot be read as a batch (not UTF-8 JSON, a likely typo in a header, more
            than ``max_rows`` applicants...): nothing should be evaluated. Unreadable values do not raise:
            their rows carry errors (see :meth:`BatchInput.results`).
        ValueError: the name's suffix is not .csv or .jsonl.
        OSError: the path cannot be read.
    """
    if isinstance(source, bytes | bytearray):
        if name is None:
            raise TypeError("read_items needs the file's name with its bytes")
        data = bytes(source)
    else:
        name = name or Path(source).name
        data = Path(source).read_bytes()
    kind = format_of(name, INPUT_FORMATS)
    say = _sayer(language)
    if kind == "jsonl":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BatchFileError(name, [say(_("not UTF-8 text"))]) from None
        batch = _read_jsonl(text, name, max_rows, say)
    else:
        batch = _read_csv(_decode(data), name, applicant_model, max_rows, say)
    return dataclasses.replace(batch, language=catalogue(language).language)


# ============================================================================================ writing

Text = Callable[[str, str], str]
"""The output's words: ``text(kind, key)`` for kind ``credential`` (a credential id: its designation),
``name`` (a credential id: its full name), ``criterion`` (a criterion or group id: its label), ``status`` (eligible,
ineligible, undetermined), ``reason`` (why an undetermined credential is open: a key of :data:`REASONS`) and
``phrase`` (a fixed phrase of the output's headers, a key of :data:`PHRASES`)."""


def rule_set_text(rules: Any, language: str = "en") -> Text:
    """The output's words in ``language`` (English when it is not supported): designations, criterion and
    group labels from the rule set's text, reasons and header phrases from the ``messages`` catalogue.
    Machine values (ids, statuses, dates) are the same in every language."""
    text_of = RuleText(rules, language).get
    messages = catalogue(language, "messages")
    criteria = {
        c.id: text_of(cred.path, f"criteria.{c.key}.label", c.label)
        for cred in rules.credentials.values()
        for c in cred.criteria.values()
    }
    for cred in rules.credentials.values():  # a group of alternatives is named like a criterion ("one of: ...")
        for route in cred.routes:
            criteria.update(
                (e.id, text_of(cred.path, f"groups.{e.key}.label", e.label))
                for e in route.entries
                if hasattr(e, "members")
            )
    designations = {cid: cred.designation for cid, cred in rules.credentials.items()}
    names = {cid: cred.name for cid, cred in rules.credentials.items()}

    def text(kind: str, key: str) -> str:
        if kind == "credential":
            return designations.get(key, key)
        if kind == "name":
            return names.get(key, key)
        if kind == "criterion":
            return criteria.get(key, key)
        if kind == "reason":
            return messages.gettext(REASONS[key]) if key in REASONS else key
        if kind == "phrase":
            return messages.gettext(key) if key in PHRASES else key
        return key

    return text


_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text (OWASP CSV injection): a leading ``'`` before a formula trigger."""
    if value.startswith(_TRIGGERS) or value.lstrip(" ").startswith(_TRIGGERS[:4]):
        return "'" + value
    return value


@dataclasses.dataclass
class WriteSummary:
    count: int = 0
    failed: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)  # the first rows' errors, in words


_ERRORS_KEPT = 10


class _Table:
    """The rows of the CSV and XLSX outputs (the same in both)."""

    def __init__(
        self, batch: BatchInput, credentials: Sequence[str], text: Text, as_of: str, rules: str, language: str = "en"
    ) -> None:
        self.batch, self.credentials, self.text = batch, list(credentials), text
        self.say = _sayer(language)
        self.provenance = [as_of, rules]
        self.header = ["id", *batch.notes, "ok", "error", "eligible"]
        self.kinds = ["id", *("note" for _ in batch.notes), "ok", "error", "eligible"]
        for cid in self.credentials:
            title = f"{text('credential', cid)} [{cid}]"
            for suffix, kind in (
                ("", "status"),
                ("missing", "missing"),
                ("inputs needed", "inputs"),
                ("eligible from", "date"),
                ("next step", "text"),
            ):
                self.header.append(f"{title} {text('phrase', suffix)}" if suffix else title)
                self.kinds.append(kind)
        self.header += ["as_of", "rules"]
        self.kinds += ["date", "rules"]

    def error(self, row: BatchRow, result: dict[str, Any]) -> str:
        problem = result.get("problem") or {}
        where = []
        for e in problem.get("errors", ()):  # worded in the results' language where they were found
            message = e["message"]
            where.append(f"`{self.batch.locate(row, e['field'])}`: {message}" if e["field"] != "applicant" else message)
        said = "; ".join(where) or problem.get("detail", "invalid")
        # the line as a str: a line number is written 1234, not as a quantity (1,234)
        return self.say(_("line {line}, {problems}"), line=str(row.line), problems=said)

    def row(self, row: BatchRow, result: dict[str, Any]) -> list[str]:
        text = self.text
        head = [result["id"], *row.notes]
        if not result["ok"]:
            return [
                *head,
                "false",
                self.error(row, result),
                "",
                *([""] * (5 * len(self.credentials))),
                *self.provenance,
            ]
        by_id = {c["id"]: c for c in result["credentials"]}
        out = [*head, "true", "", "; ".join(text("credential", cid) for cid in result["eligible"])]
        for cid in self.credentials:
            outcome = by_id.get(cid)
            if outcome is None:
                out += ["", "", "", "", ""]
                continue
            missing = "; ".join(text("criterion", c) for c in outcome.get("missing_criteria") or ())
            needed = [self.batch.column(row, f) for f in outcome.get("inputs_needed") or ()]
            if outcome["status"] == "undetermined":
                needed += [text("reason", r) for r in outcome.get("undetermined_reasons") or () if r in REASONS]
            needed = "; ".join(dict.fromkeys(needed))
            steps = outcome.get("next_steps") or ()
            step = self.step_text(row, outcome, steps[0]) if steps else ""  # written in the batch's language
            out += [text("status", outcome["status"]), missing, needed, _date_text(outcome.get("eligible_from")), step]
        return [*out, *self.provenance]

    def step_text(self, row: BatchRow, outcome: dict[str, Any], step: dict[str, Any]) -> str:
        """A next step's sentence, naming the facts it asks for by the file's columns (``programs.1.approvals``,
        as the ``inputs needed`` column does) instead of the API's paths (``programs[0].approvals``)."""
        sentence = str(step["text"])
        if step["action"] != "give":
            return sentence
        settles = set(step["criteria"])
        shortfalls = [s for s in outcome.get("shortfalls") or () if s["criterion"] in settles]
        inputs = {path for s in shortfalls for path in s.get("inputs") or ()}
        for path in sorted(inputs, key=len, reverse=True):  # `programs[0].approvals` before `programs`
            sentence = sentence.replace(path, self.batch.column(row, path))
        return sentence


def _date_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("date", "")
    return str(value)


def write_results(
    target: Path | IO[bytes],
    batch: BatchInput,
    evaluated: Iterable[dict[str, Any]],
    *,
    rules: Any,
    as_of: dt.date | str,
    credentials: Sequence[str] | None = None,
    format: str | None = None,  # noqa: A002 - the caller's word for it
    text: Text | None = None,
    language: str = "en",
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> WriteSummary:
    """Write every row's result, in file order, as the results of ``batch`` in ``format``.

    Args:
        target: a path (written to a temporary file beside it, then renamed: no half-written results) or a
            binary stream (an upload's response body).
        evaluated: the results of ``batch.items``, in their order (e.g. ``BatchRunner.run(batch.items, ...)``).
        rules: the rule set that produced them (``book.rules``): designations, labels and version.
        as_of: the evaluation date.
        credentials: the credentials evaluated, in column order (default: all of the rule set's).
        format: ``csv``, ``xlsx`` or ``jsonl``; default: the target path's suffix.
        text: the output's words (default :func:`rule_set_text` in ``language``).
        language: the language of the output's words (the results' own sentences, such as next steps, are
            in the language they were evaluated in: pass the same).
        on_result: called with each result once written (progress).
    """
    if format is None:
        if not isinstance(target, Path):
            raise TypeError("write_results needs a format to write to a stream")
        format = format_of(target)  # noqa: A001
    if format not in FORMATS:
        raise ValueError(f"unknown output format `{format}` (expected {', '.join(FORMATS)})")
    as_of_text = as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)
    selected = list(credentials) if credentials else list(rules.credentials)
    table = _Table(batch, selected, text or rule_set_text(rules, language), as_of_text, rules.version_id, language)
    summary = WriteSummary()

    def rows() -> Iterator[tuple[BatchRow, dict[str, Any]]]:
        for row, result in batch.results(evaluated):
            summary.count += 1
            if not result["ok"]:
                summary.failed += 1
                if len(summary.errors) < _ERRORS_KEPT:
                    summary.errors.append(table.error(row, result))
            yield row, result
            if on_result is not None:
                on_result(result)

    if isinstance(target, Path):
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            with partial.open("xb") as handle:  # created as any file the user writes (umask), not 0600
                _WRITERS[format](handle, table, rows())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    else:
        _WRITERS[format](target, table, rows())
    return summary


def _write_jsonl(stream: IO[bytes], table: _Table, rows: Iterator[tuple[BatchRow, dict[str, Any]]]) -> None:
    for _row, result in rows:
        stream.write(json.dumps(result, separators=(",", ":")).encode() + b"\n")


def _write_csv(stream: IO[bytes], table: _Table, rows: Iterator[tuple[BatchRow, dict[str, Any]]]) -> None:
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(wrapper)
        writer.writerow([neutralise(h) for h in table.header])
        for row, result in rows:
            writer.writerow([neutralise(cell) for cell in table.row(row, result)])
        wrapper.flush()
    finally:
        wrapper.detach()  # the caller's stream stays open


# Column widths (characters) by what a column holds; a note column is as wide as its header.
_WIDTHS = {
    "id": 12,
    "ok": 8,
    "error": 50,
    "eligible": 30,
    "status": 14,
    "missing": 50,
    "inputs": 30,
    "text": 50,
    "date": 12,
    "rules": 32,
}
_STATUS_FILLS = {"eligible": "D9EAD3", "ineligible": "F4CCCC", "undetermined": "FFF2CC"}  # light green, red, yellow
_FROZEN_NOTES = 2  # the id and at most this many note columns stay in view when scrolling right
_XLSX_MAX = 32_767  # characters a cell may hold


def _xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(value))
    return value if len(value) <= _XLSX_MAX else value[: _XLSX_MAX - 1] + "\u2026"


def _write_xlsx(stream: IO[bytes], table: _Table, rows: Iterator[tuple[BatchRow, dict[str, Any]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    book.properties.title = "credcheck results"
    book.properties.creator = "credcheck"
    sheet = book.create_sheet("Results")

    def cell(value: str, *, bold: bool = False, fill: str | None = None, wrap: bool = False) -> Any:
        out = WriteOnlyCell(sheet, value=_xlsx_text(value))
        out.data_type = "s"  # a plain string, never a formula
        if bold:
            out.font = Font(bold=True)
        if fill:
            out.fill = PatternFill("solid", start_color=fill)
        if wrap:
            out.alignment = Alignment(wrap_text=True, vertical="top")
        return out

    for i, (title, kind) in enumerate(zip(table.header, table.kinds, strict=True), 1):
        width = max(len(title) + 2, 10) if kind == "note" else _WIDTHS[kind]
        sheet.column_dimensions[get_column_letter(i)].width = min(width, 60)
    frozen = 1 + min(len(table.batch.notes), _FROZEN_NOTES)
    sheet.freeze_panes = f"{get_column_letter(frozen + 1)}2"
    try:
        _fill_xlsx(book, sheet, cell, table, rows)
        book.save(stream)
    except BaseException:
        _discard(book)
        raise


def _discard(book: Any) -> None:
    """Close and delete the temporary files a write-only workbook streams its sheets through."""
    for sheet in book.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not sheet.closed:
                sheet.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


def _colour_statuses(sheet: Any, table: _Table, count: int) -> None:
    """Status cells coloured by their word: one conditional format over the status columns (the text stays
    the information; cheaper than a fill per cell, and it follows the cell if a reader edits it)."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    if not count:
        return
    columns = [get_column_letter(i) for i, kind in enumerate(table.kinds, 1) if kind == "status"]
    ranges = " ".join(f"{c}2:{c}{count + 1}" for c in columns)
    for status, colour in _STATUS_FILLS.items():
        word = table.text("status", status).replace('"', '""')
        fill = PatternFill("solid", start_color=colour, end_color=colour)
        sheet.conditional_formatting.add(ranges, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=fill))


def _fill_xlsx(book: Any, sheet: Any, cell: Callable[..., Any], table: _Table, rows: Iterator[Any]) -> None:
    from openpyxl.utils import get_column_letter

    sheet.append([cell(h, bold=True, fill="D9D9D9", wrap=True) for h in table.header])
    count = 0
    for row, result in rows:
        sheet.append([cell(v) if v else None for v in table.row(row, result)])  # an empty cell is no cell
        count += 1
    _colour_statuses(sheet, table, count)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.header))}{count + 1}"

    about = book.create_sheet("About")
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 90
    as_of, rules = table.provenance
    phrase = functools.partial(table.text, "phrase")
    lines = [
        (phrase("credcheck results"), ""),
        (phrase("evaluated as of"), as_of),
        (phrase("rules"), rules),
        (phrase("applicants"), str(count)),
        ("", ""),
        (phrase("columns"), ""),
        *((phrase(key), phrase(value)) for key, value in ABOUT),
        ("", ""),
        (phrase("credentials"), ""),
    ]
    lines += [(f"{table.text('credential', cid)} [{cid}]", table.text("name", cid)) for cid in table.credentials]
    for key, value in lines:
        about.append([cell(key, bold=not value and bool(key)), cell(value)])


_WRITERS: dict[str, Callable[[IO[bytes], _Table, Iterator[tuple[BatchRow, dict[str, Any]]]], None]] = {
    "csv": _write_csv,
    "xlsx": _write_xlsx,
    "jsonl": _write_jsonl,
}
