"""Field paths: where a fact is in an applicant, in each of the three spellings the project writes.

* **the API's** (request errors, ``missing_inputs``, ``inputs_needed``, a criterion's ``record``, the page):
  ``programs[0].clock_hours``, ``programs[].clock_hours`` for any program, ``applicant.programs[0]`` from
  the request body;
* **a batch file's column header**: ``programs.0.clock_hours`` (the file's own numbers);
* **a rule file's**: ``program.clock_hours`` (a record-level field names its section in the singular, with no
  position; applicant-level fields are written as the API writes them: ``high_school.credential``).

A :class:`FieldPath` is the path itself, a tuple of parts: field names (``str``) and list positions (``int``,
or :attr:`FieldPath.ANY` for any position). Every spelling is parsed and formatted here, and nowhere else.

Privacy: a path built from a client's input (:meth:`FieldPath.from_loc`) names a key that does not look like
a field name as ``<unknown key>``: a misspelt ``discpline`` is worth quoting back, a key holding a person's
name or number is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Final, Literal

__all__ = ["RULE_PATH_PATTERN", "SECTIONS", "WITHHELD", "FieldPath", "Part", "Scope", "api_path"]

Scope = Literal["applicant", "program", "degree"]

# The records rules read by path: scope, the section as rule paths name it, the attribute on Applicant
# holding the record(s), whether it is a list of records.
SECTIONS: tuple[tuple[Scope, str, str, bool], ...] = (
    ("applicant", "high_school", "high_school", False),
    ("applicant", "semester_hours", "semester_hours", False),
    ("program", "program", "programs", True),
    ("degree", "degree", "degrees", True),
)
_LIST_OF_SECTION = {section: attr for _, section, attr, is_list in SECTIONS if is_list}  # program -> programs
_SECTION_OF_LIST = {attr: section for section, attr in _LIST_OF_SECTION.items()}  # programs -> program

# How rule files write a field: a field, or a section's field (the rule-file schema checks this pattern).
RULE_PATH_PATTERN: Final = r"^[a-z_]+(?:\.[a-z_]+)?$"
_RULE_PATH = re.compile(RULE_PATH_PATTERN)

# A key a client sent is quoted back only if it looks like a field name (a typo such as `discpline` helps; a
# key holding a name or a number could be personal data).
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
WITHHELD: Final = "<unknown key>"

# One part of the API's spelling: `[n]` or `[]`, or a name (after a dot unless it comes first).
_API_PART = re.compile(r"\[([0-9]*)\]|(\.?)(" + re.escape(WITHHELD) + r"|[A-Za-z_][A-Za-z0-9_-]*)")


class _AnyIndex:
    """Any position of a list: ``programs[]`` in the API's spelling, ``programs.#`` in a column template."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FieldPath.ANY"

    def __reduce__(self) -> str:
        return "_ANY"  # pickled by reference: one marker in every process


_ANY: Final = _AnyIndex()
Part = str | int | _AnyIndex


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A field's place in an applicant (or in a request body): names and list positions.

    Build one from a pydantic error location (:meth:`from_loc`), a spelling (:meth:`parse_api`,
    :meth:`parse_column`, :meth:`from_rule`) or its parts (:meth:`of`); write it with :meth:`api`,
    :meth:`column` or :meth:`rule`. ``prefix / path`` joins two paths (or a path and a part).
    """

    parts: tuple[Part, ...] = ()

    ANY: ClassVar[_AnyIndex] = _ANY

    def __post_init__(self) -> None:
        for part in self.parts:
            if isinstance(part, bool) or not isinstance(part, str | int | _AnyIndex):
                raise TypeError(f"a field path part is a name, a position or FieldPath.ANY, not {part!r}")
            if isinstance(part, int) and part < 0:
                raise ValueError(f"a list position is 0 or more, not {part}")

    # ---------------------------------------------------------------- building

    @classmethod
    def of(cls, *parts: Part) -> FieldPath:
        """``FieldPath.of("programs", 0, "clock_hours")``."""
        return cls(parts)

    @classmethod
    def from_loc(cls, loc: Iterable[object]) -> FieldPath:
        """A pydantic error location (``("programs", 0, "clock_hours")``) as a path. pydantic's own location
        tags (``function-after[...]``, ``list[...]``) are left out; a key that does not look like a field name
        becomes ``<unknown key>``."""
        parts: list[Part] = []
        for part in loc:
            if isinstance(part, int) and not isinstance(part, bool):
                parts.append(part)
            elif isinstance(part, str) and not any(c in part for c in "[]()"):
                parts.append(part if _FIELD_NAME.fullmatch(part) else WITHHELD)
        return cls(tuple(parts))

    @classmethod
    def parse_api(cls, text: str) -> FieldPath:
        """The API's spelling (``applicant.programs[0].clock_hours``, ``programs[].clock_hours``) as a path.

        Raises:
            ValueError: ``text`` is not a path in the API's spelling.
        """
        parts: list[Part] = []
        end = 0
        for match in _API_PART.finditer(text):
            index, dot, name = match.groups()
            if match.start() != end or (name is not None and bool(dot) != bool(parts)):
                break
            end = match.end()
            parts.append(name if name is not None else _ANY if index == "" else int(index))
        if end != len(text):
            raise ValueError(f"not a field path: {text!r}")
        return cls(tuple(parts))

    @classmethod
    def parse_column(cls, header: str) -> FieldPath:
        """A batch file's column header (``programs.0.clock_hours``) as a path: its dot-separated parts, numbers
        (decimal digits) as positions, ``#`` as any position. The parts are not checked against the applicant:
        a header may name no field (``programs.discipline``, ``Student name``), which the batch reader says."""
        if not header:
            return cls()
        return cls(
            tuple(int(part) if part.isdecimal() else _ANY if part == "#" else part for part in header.split("."))
        )

    @classmethod
    def from_rule(cls, path: str, index: int | None = None) -> FieldPath:
        """A rule file's path (``program.clock_hours``) as the applicant's: ``programs[index].clock_hours``
        (any program when ``index`` is ``None``). ``index`` is the record's position in its list; it does not
        apply to an applicant-level field (``birth_date``, ``high_school.credential``) and is ignored there.

        Raises:
            ValueError: ``path`` is not written as rule files write fields.
        """
        if not _RULE_PATH.fullmatch(path):
            raise ValueError(f"not a rule field path: {path!r}")
        section, _, attr = path.partition(".")
        if section in _SECTION_OF_LIST:
            raise ValueError(f"rule files name the section `{_SECTION_OF_LIST[section]}`, not `{section}`")
        plural = _LIST_OF_SECTION.get(section) if attr else None
        if plural is None:
            return cls(tuple(path.split(".")))
        return cls((plural, _ANY if index is None else index, attr))

    def __truediv__(self, other: FieldPath | Part) -> FieldPath:
        return FieldPath(self.parts + (other.parts if isinstance(other, FieldPath) else (other,)))

    def at(self, index: int | None) -> FieldPath:
        """The path with its any-position parts at ``index`` (unchanged when ``index`` is ``None``)."""
        if index is None:
            return self
        return FieldPath(tuple(index if part is _ANY else part for part in self.parts))

    def relative_to(self, prefix: FieldPath) -> FieldPath:
        """The rest of the path after ``prefix`` (``applicant.programs[0]`` relative to ``applicant``).

        Raises:
            ValueError: the path does not start with ``prefix``.
        """
        if not self.startswith(prefix):
            raise ValueError(f"{self.api()!r} is not under {prefix.api()!r}")
        return FieldPath(self.parts[len(prefix.parts) :])

    def startswith(self, prefix: FieldPath) -> bool:
        """Whether the path is ``prefix`` or under it."""
        return self.parts[: len(prefix.parts)] == prefix.parts

    # ---------------------------------------------------------------- writing

    def api(self) -> str:
        """As the API names fields: ``programs[0].clock_hours``, ``programs[].clock_hours`` (any program)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(f".{part}" if out else part)
            else:
                out.append("[]" if part is _ANY else f"[{part}]")
        return "".join(out)

    def column(self) -> str:
        """As a batch file's header names the field: ``programs.0.clock_hours`` (``programs.#.clock_hours``, a
        template, for any program). The numbers are the path's own: a file's numbering is the reader's to
        map (``api.batch_io``)."""
        return ".".join("#" if part is _ANY else str(part) for part in self.parts)

    def rule(self) -> str:
        """As rule files name the field: ``program.clock_hours`` for any program's (or one program's) clock
        hours, ``high_school.credential``, ``birth_date``.

        Raises:
            ValueError: rule files have no name for this path (``work_experience[0].role``, ``programs``).
        """
        parts = self.parts
        if len(parts) == 3 and parts[0] in _SECTION_OF_LIST and not isinstance(parts[1], str):
            parts = (_SECTION_OF_LIST[parts[0]], parts[2])
        elif parts and parts[0] in _SECTION_OF_LIST:
            parts = ()  # a list of records, or a field of it without a position
        names = [part for part in parts if isinstance(part, str)]
        text = ".".join(names)
        if not names or len(names) != len(parts) or not _RULE_PATH.fullmatch(text):
            raise ValueError(f"rule files have no name for {self.api()!r}")
        return text


@functools.lru_cache(maxsize=4096)
def api_path(*parts: Part) -> str:
    """``FieldPath.of(*parts).api()``, memoized: for the paths the engine names on every evaluation
    (``programs[0]``, ``work_experience[2].hours_per_week``), where building the path each time would cost."""
    return FieldPath(parts).api()
