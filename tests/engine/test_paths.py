"""Field paths (``engine/_paths.py``): one type for the API's, the batch files' and the rule files' spellings."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import FieldPath, Rulebook
from engine._paths import WITHHELD, api_path

ANY = FieldPath.ANY

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
positions = st.integers(min_value=0, max_value=10**6)
paths = st.lists(st.one_of(names, positions, st.just(ANY)), max_size=6).map(lambda parts: FieldPath(tuple(parts)))
# A column names fields and numbered items (a number or the `#` of a template, never a name of digits)
column_names = names.filter(lambda n: not n.isdigit())


@given(paths)
def test_the_api_spelling_reads_back_as_the_same_path(path: FieldPath) -> None:
    assert FieldPath.parse_api(path.api()) == path


@given(st.lists(st.one_of(column_names, positions, st.just(ANY)), min_size=1, max_size=6))
def test_the_column_spelling_reads_back_as_the_same_path(parts: list[Any]) -> None:
    path = FieldPath(tuple(parts))
    assert FieldPath.parse_column(path.column()) == path


@given(paths)
def test_a_path_is_a_value(path: FieldPath) -> None:
    assert pickle.loads(pickle.dumps(path)) == path
    assert hash(FieldPath(path.parts)) == hash(path)
    with pytest.raises(AttributeError):
        path.parts = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "api", "column"),
    [
        (FieldPath.of("programs", 0, "clock_hours"), "programs[0].clock_hours", "programs.0.clock_hours"),
        (FieldPath.of("programs", ANY, "clock_hours"), "programs[].clock_hours", "programs.#.clock_hours"),
        (FieldPath.of("birth_date"), "birth_date", "birth_date"),
        (FieldPath.of("high_school", "credential"), "high_school.credential", "high_school.credential"),
        (
            FieldPath.of("items", 3, "applicant", "degrees", 1),
            "items[3].applicant.degrees[1]",
            "items.3.applicant.degrees.1",
        ),
        (FieldPath.of("programs", 0, "approvals", 2), "programs[0].approvals[2]", "programs.0.approvals.2"),
        (FieldPath(), "", ""),
    ],
)
def test_the_spellings(path: FieldPath, api: str, column: str) -> None:
    assert (path.api(), path.column()) == (api, column)
    assert api_path(*path.parts) == api


@pytest.mark.parametrize(
    ("rule", "index", "api"),
    [
        ("program.clock_hours", 0, "programs[0].clock_hours"),
        ("program.clock_hours", None, "programs[].clock_hours"),
        ("degree.level", 3, "degrees[3].level"),
        ("high_school.credential", None, "high_school.credential"),
        ("high_school.credential", 2, "high_school.credential"),  # an applicant-level field has one record
        ("semester_hours.chemistry", None, "semester_hours.chemistry"),
        ("birth_date", None, "birth_date"),
    ],
)
def test_a_rule_path_names_the_applicant_field_of_its_record(rule: str, index: int | None, api: str) -> None:
    path = FieldPath.from_rule(rule, index)
    assert path.api() == api
    assert path.rule() == rule


def test_every_field_rules_may_measure_reads_back_from_its_api_path(rulebook: Rulebook) -> None:
    fields = rulebook.rules.fields
    assert len(fields) > 30
    for rule, spec in fields.items():
        for index in (None, 0, 7):
            path = FieldPath.from_rule(rule, index)
            assert FieldPath.parse_api(spec.input_path(index)) == path
            assert path.rule() == rule
            assert path.parts[0] == (spec.section_attr or spec.attr) and path.parts[-1] == spec.attr


@given(st.sampled_from(["program", "degree"]), st.from_regex(r"[a-z_]{1,20}", fullmatch=True), st.none() | positions)
def test_a_record_rule_path_and_a_position_make_the_api_path(section: str, attr: str, index: int | None) -> None:
    path = FieldPath.from_rule(f"{section}.{attr}", index)
    assert path.api() == f"{section}s{'[]' if index is None else f'[{index}]'}.{attr}"
    assert path.rule() == f"{section}.{attr}"


@pytest.mark.parametrize(
    "path",
    [
        FieldPath.of("work_experience", 0, "role"),
        FieldPath.of("programs"),
        FieldPath.of("programs", 0),
        FieldPath.of("programs", "clock_hours"),
        FieldPath.of("programs", 0, "approvals", 1),
        FieldPath.of("a", "b", "c"),
        FieldPath.of("Birth_Date"),
        FieldPath(),
    ],
)
def test_a_path_rules_cannot_name_has_no_rule_spelling(path: FieldPath) -> None:
    with pytest.raises(ValueError, match="rule files have no name"):
        path.rule()


@pytest.mark.parametrize("rule", ["programs.clock_hours", "program.", "Program.clock_hours", "a.b.c", ""])
def test_only_rule_spellings_are_read_as_rule_paths(rule: str) -> None:
    with pytest.raises(ValueError):
        FieldPath.from_rule(rule)


def test_a_pydantic_location_keeps_field_names_and_withholds_other_keys() -> None:
    loc = ("programs", 0, "function-after[_dates(), TrainingProgram]", "clock_hours")
    assert FieldPath.from_loc(loc).api() == "programs[0].clock_hours"
    assert FieldPath.from_loc(("programs", 1, "discpline")).api() == "programs[1].discpline"
    for key in ("Jane Doe", "123-45-6789", "x" * 65, "é", "1984"):
        assert FieldPath.from_loc(("programs", 0, key)) == FieldPath.of("programs", 0, WITHHELD)
    assert FieldPath.from_loc(("Jane Doe",)).api() == "<unknown key>"
    assert FieldPath.parse_api("applicant.<unknown key>") == FieldPath.of("applicant", WITHHELD)
    assert FieldPath.from_loc(()) == FieldPath()


@given(st.lists(st.one_of(st.text(max_size=12), st.integers(min_value=0, max_value=99))))
def test_a_location_never_quotes_a_key_that_is_no_field_name(loc: list[Any]) -> None:
    path = FieldPath.from_loc(loc)
    for part in path.parts:
        assert isinstance(part, int) or part == WITHHELD or (part in loc and part.isascii() and " " not in part)
    assert FieldPath.parse_api(path.api()) == path


@pytest.mark.parametrize(
    "text", ["programs[0", "programs[a]", ".programs", "programs..x", "programs[0]x", "a b", "programs.0", "[-1]"]
)
def test_what_is_not_the_api_spelling_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a field path"):
        FieldPath.parse_api(text)


def test_a_column_header_is_read_as_written_and_checked_by_its_reader() -> None:
    assert FieldPath.parse_column("programs.2.clock_hours") == FieldPath.of("programs", 2, "clock_hours")
    assert FieldPath.parse_column("programs.discipline") == FieldPath.of("programs", "discipline")
    assert FieldPath.parse_column("Student name") == FieldPath.of("Student name")
    assert FieldPath.parse_column("programs.#.<field>") == FieldPath.of("programs", ANY, "<field>")
    assert FieldPath.parse_column("programs.²") == FieldPath.of("programs", "²")  # a digit, but no number
    assert FieldPath.parse_column("programs.٣") == FieldPath.of("programs", 3)
    assert FieldPath.parse_column("") == FieldPath()


def test_paths_join_and_split() -> None:
    applicant = FieldPath.of("applicant")
    path = applicant / FieldPath.of("programs", 0) / "clock_hours"
    assert path.api() == "applicant.programs[0].clock_hours"
    assert path.relative_to(applicant) == FieldPath.of("programs", 0, "clock_hours")
    assert path.startswith(applicant) and not path.startswith(FieldPath.of("items"))
    with pytest.raises(ValueError):
        path.relative_to(FieldPath.of("items"))
    assert FieldPath.of("programs", ANY, "clock_hours").at(4) == FieldPath.of("programs", 4, "clock_hours")
    assert FieldPath.of("programs", ANY).at(None) == FieldPath.of("programs", ANY)


@pytest.mark.parametrize("part", [-1, True, 1.5, None, ("a",)])
def test_a_part_is_a_name_a_position_or_any(part: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        FieldPath.of("programs", part)
