"""Engine behaviour that the rule fixtures do not isolate: durable-rules sessions, slots, dated values,
effective dates, partial knowledge, statelessness, the clock and layering."""

from __future__ import annotations

import ast
import datetime as dt
import doctest
from pathlib import Path

import pytest

from engine import Rulebook, UnknownCredentialError, UnknownStateError, _dates, load_rulebook
from engine._program import encode_value
from tests.helpers import REPO, credential, make_rule_set

AS_OF = dt.date(2026, 11, 23)


def statuses(book: Rulebook, applicant: dict, as_of: dt.date = AS_OF, cred: str = "test.cred") -> dict[str, str]:
    result = book.evaluate(applicant, as_of=as_of, credentials=[cred]).as_dict()["credentials"][0]
    out = {"credential": result["status"]}
    for route in result["routes"]:
        out[route["id"]] = route["status"]
        for c in route["criteria"]:
            out[c["id"]] = c["status"]
    return out


def test_date_doctests() -> None:
    assert doctest.testmod(_dates).failed == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-05, "0.00001"),
        (1e30, "1000000000000"),
        (2.5, "2.5"),
        (3.0, "3"),
        (0.0, "0"),
        (True, "true"),
        ([1, "a"], '[1,"a"]'),
    ],
)
def test_values_are_never_sent_in_exponent_notation(value: object, text: str) -> None:
    assert encode_value(value) == text


def test_a_measure_with_more_distinct_tests_than_a_chunk_holds_is_spread_over_slots(tmp_path: Path) -> None:
    criteria = "".join(
        f"  h{i}:\n    label: At least {i} hours\n    measure: program.clock_hours\n"
        f"    test: {{at_least: {i}}}\n    cite: {{source: doc}}\n"
        for i in range(1, 151)
    )
    routes = "".join(f"  - {{id: r{i}, label: Route {i}, criteria: [h{i}]}}\n" for i in range(1, 151))
    book = load_rulebook(make_rule_set(tmp_path, credential("criteria:\n" + criteria + "routes:\n" + routes)))
    assert len({s.index for s in book.program.slot_of.values()}) >= 3
    result = statuses(book, {"programs": [{"discipline": "other", "clock_hours": 75}]})
    for i in range(1, 151):
        assert result[f"test.cred.h{i}"] == ("met" if i <= 75 else "unmet"), i


def test_sessions_are_deleted_so_more_than_1024_evaluations_work(rulebook: Rulebook) -> None:
    # durable-rules allows 1,024 live sessions per ruleset; a leak would fail on the 1,025th.
    applicant = {
        "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "completion_date": "2026-06-01"}]
    }
    first = rulebook.evaluate(applicant, as_of=AS_OF).as_dict()
    for _ in range(1100):
        rulebook.evaluate(applicant, as_of=AS_OF)
    assert rulebook.evaluate(applicant, as_of=AS_OF).as_dict() == first


def test_an_evaluation_with_nothing_to_evaluate_still_runs_a_session(rulebook: Rulebook) -> None:
    # The sentinel rule fires even with no facts, so deleting the session is safe.
    result = rulebook.evaluate({}, as_of=AS_OF, credentials=[])
    assert result.credentials == []


def test_evaluations_are_independent(rulebook: Rulebook) -> None:
    eligible = {"certifications": [{"credential": "aama.cma"}]}
    other = {"programs": [], "certifications": []}
    a1 = rulebook.evaluate(eligible, as_of=AS_OF).as_dict()
    rulebook.evaluate(other, as_of=AS_OF)
    a2 = rulebook.evaluate(eligible, as_of=AS_OF).as_dict()
    assert a1 == a2
    assert "aama.cma" in a1["eligible"]


DATED = """\
criteria:
  hours:
    label: Enough clock hours
    measure: program.clock_hours
    test:
      at_least:
        - {value: 600, to: 2025-06-30}
        - {value: 720, from: 2025-07-01}
    cite: {source: doc}
  old-rule:
    label: A rule that ended
    measure: program.military
    test: {is: true}
    cite: {source: doc}
    effective: {to: 2024-12-31}
routes:
  - {id: current, label: Current route, criteria: [hours, old-rule]}
  - id: retired
    label: A route that ended
    effective: {to: 2020-12-31}
    criteria: [hours]
"""


def test_dated_thresholds_and_effective_dates_follow_as_of(tmp_path: Path) -> None:
    book = load_rulebook(make_rule_set(tmp_path, credential(DATED)))
    applicant = {"programs": [{"discipline": "other", "clock_hours": 650, "military": False}]}
    before = statuses(book, applicant, as_of=dt.date(2025, 6, 30))
    after = statuses(book, applicant, as_of=dt.date(2025, 7, 1))
    assert before["test.cred.hours"] == "met" and after["test.cred.hours"] == "unmet"
    # An ended criterion is evaluated on its last day and not the day after.
    last_day = statuses(book, applicant, as_of=dt.date(2024, 12, 31))
    day_after = statuses(book, applicant, as_of=dt.date(2025, 1, 1))
    assert last_day["test.cred.old-rule"] == "unmet" and "test.cred.old-rule" not in day_after
    # Likewise an ended route.
    assert statuses(book, applicant, as_of=dt.date(2020, 12, 31))["test.cred.retired"] == "met"
    assert "test.cred.retired" not in statuses(book, applicant, as_of=dt.date(2021, 1, 1))
    detail = book.credential_detail("test.cred")
    versions = detail["routes"][0]["criteria"][0]["versions"]
    assert versions == [
        {"required": "at least 600", "from": None, "to": "2025-06-30"},
        {"required": "at least 720", "from": "2025-07-01", "to": None},
    ]


PARTIAL = """\
criteria:
  supervised-year:
    label: 12 months of supervised work within 3 years
    measure: {kind: experience, roles: [medical-assistant], total: months, within: {years: 3}, supervised: true}
    test: {at_least: 12}
    cite: {source: doc}
  active-cert:
    label: Holds an active MLS(ASCPi)
    measure: {kind: certifications, status: active}
    test: {includes_any: [ascpi.mls]}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [supervised-year]}
  - {id: cert, label: Certification, criteria: [active-cert]}
"""


@pytest.mark.parametrize(
    ("jobs", "expected", "missing"),
    [
        # one certain year is enough whatever the other job was
        (
            [
                {"supervised": True, "start_date": "2025-01-01", "end_date": "2025-12-31"},
                {"supervised": None},
            ],
            "met",
            [],
        ),
        # certain part too short, unknown part could complete it
        (
            [
                {"supervised": True, "start_date": "2025-06-01", "end_date": "2025-12-31"},
                {"supervised": None, "start_date": "2024-01-01", "end_date": "2024-12-31"},
            ],
            "unknown",
            ["work_experience[1].supervised"],
        ),
        # even counting the unknown job it is too short
        ([{"supervised": None, "start_date": "2025-06-01", "end_date": "2025-08-31"}], "unmet", []),
        # unsupervised work does not count
        ([{"supervised": False, "start_date": "2024-01-01", "end_date": "2025-12-31"}], "unmet", []),
    ],
)
def test_partly_known_experience(tmp_path: Path, jobs: list[dict], expected: str, missing: list[str]) -> None:
    book = load_rulebook(make_rule_set(tmp_path, credential(PARTIAL)))
    experience = []
    for job in jobs:
        entry = {
            "role": "medical-assistant",
            "start_date": job.get("start_date", "2025-01-01"),
            "end_date": job.get("end_date", "2025-12-31"),
        }
        if job["supervised"] is not None:
            entry["supervised"] = job["supervised"]
        experience.append(entry)
    result = book.evaluate({"work_experience": experience}, as_of=AS_OF, credentials=["test.cred"]).as_dict()
    criterion = result["credentials"][0]["routes"][0]["criteria"][0]
    assert criterion["status"] == expected
    assert criterion["missing_inputs"] == missing


@pytest.mark.parametrize(
    ("certs", "expected"),
    [
        ([{"credential": "ascpi.mls", "status": "active"}], "met"),
        ([{"credential": "ascpi.mls", "status": "lapsed"}], "unmet"),
        ([{"credential": "ascpi.mls"}], "unknown"),
        ([{"credential": "ascp.dpt"}], "unmet"),
        ([], "unmet"),
    ],
)
def test_certification_status_partly_known(tmp_path: Path, certs: list[dict], expected: str) -> None:
    book = load_rulebook(make_rule_set(tmp_path, credential(PARTIAL)))
    result = statuses(book, {"certifications": certs})
    assert result["test.cred.active-cert"] == expected


def test_unknown_ids_and_bad_dates_are_refused(rulebook: Rulebook) -> None:
    with pytest.raises(UnknownCredentialError):
        rulebook.evaluate({}, as_of=AS_OF, credentials=["aama.cmaa"])
    with pytest.raises(UnknownStateError):
        rulebook.evaluate({}, as_of=AS_OF, state="XX")
    with pytest.raises(TypeError):
        rulebook.evaluate({}, as_of=dt.datetime(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rulebook.evaluate({}, as_of="2026-01-01")  # type: ignore[arg-type]


def _engine_sources() -> list[Path]:
    return sorted((REPO / "engine").glob("*.py"))


def test_engine_never_reads_the_clock() -> None:
    offenders = []
    for path in _engine_sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {
                "today",
                "now",
                "utcnow",
                "time",
                "monotonic",
            }:
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_engine_imports_no_web_framework_nor_the_api() -> None:
    banned = {"fastapi", "starlette", "uvicorn", "api", "httpx"}
    offenders = []
    for path in _engine_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert offenders == []


def test_rules_directory_holds_no_code() -> None:
    code = [p for p in (REPO / "rules").rglob("*") if p.is_file() and p.suffix not in {".yaml", ".md"}]
    assert code == []


def test_fast_json_equals_the_explanation_objects(rulebook: Rulebook) -> None:
    """The single-applicant hot path builds JSON straight from decisions; it must equal the object path."""
    import random

    from benchmarks.population import applicant

    rng = random.Random(7)
    for _ in range(300):
        facts = applicant(rng)
        fast = rulebook.evaluate(facts, as_of=AS_OF).as_dict()
        slow = rulebook.evaluate(facts, as_of=AS_OF)
        _ = slow.credentials  # build the objects first: as_dict then serialises them
        assert fast == slow.as_dict()
        # again, now that every criterion of this applicant is in the shared cache of explained criteria
        assert rulebook.evaluate(facts, as_of=AS_OF).as_dict() == fast
        assert rulebook.evaluate(facts, as_of=AS_OF).as_dict(shared=True) == fast


def test_changing_an_answer_changes_no_other_answer(rulebook: Rulebook) -> None:
    """Explained criteria are cached across answers; what a caller gets from as_dict() is its own."""
    applicant = {"programs": [{"discipline": "medical-assisting", "clock_hours": 900}]}
    first = rulebook.evaluate(applicant, as_of=AS_OF).as_dict()
    for answer in first["credentials"]:
        for route in answer["routes"]:
            for criterion in route["criteria"]:
                criterion["message"] = "changed"
                criterion["missing_inputs"].append("changed")
    again = rulebook.evaluate(applicant, as_of=AS_OF).as_dict(shared=True)
    criteria = [c for cred in again["credentials"] for r in cred["routes"] for c in r["criteria"]]
    assert criteria and all(c["message"] != "changed" and "changed" not in c["missing_inputs"] for c in criteria)
