"""Engine behaviour that the rule fixtures do not isolate: durable-rules sessions, slots, dated values,
effective dates, partial knowledge, statelessness, the clock and layering."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from engine import (
    BUNDLED_RULES_DIR,
    Rulebook,
    UnknownCredentialError,
    UnknownStateError,
    default_rules_dir,
    load_rulebook,
)
from tests.helpers import REPO, credential, make_rule_set
from tests.oracle import production_statuses

AS_OF = dt.date(2026, 11, 23)


def statuses(book: Rulebook, applicant: dict, as_of: dt.date = AS_OF, cred: str = "test.cred") -> dict[str, str]:
    result = book.evaluate(applicant, as_of=as_of, credentials=[cred]).credentials[0]
    out = {"credential": result.status.value}
    for route in result.routes:
        out[route.id] = route.status.value
        for c in route.criteria:
            out[c.id] = c.status.value
    return out


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


def test_measures_of_one_scope_share_chunks_of_at_most_60_rules_and_all_met_still_evaluate(tmp_path: Path) -> None:
    # Three program measures of 30 tests each: the first two fill one chunk (60 rules), the third starts the
    # next. One fact may satisfy at most 64 sibling conditions (error 303), so a chunk of 90 rules all met by
    # one program fails to evaluate; one chunk per measure would send more facts than needed. Chunks are numbered
    # from 0: the sentinel fact is -1, and its rule would fire on every fact of a chunk numbered -1.
    fields = ("clock_hours", "clinical_hours", "didactic_hours")
    criteria = "".join(
        f"  {f[:3]}{i}:\n    label: At least {i} {f}\n    measure: program.{f}\n"
        f"    test: {{at_least: {i}}}\n    cite: {{source: doc}}\n"
        for f in fields
        for i in range(1, 31)
    )
    ids = ", ".join(f"{f[:3]}{i}" for f in fields for i in range(1, 31))
    rules = credential(f"criteria:\n{criteria}routes:\n  - {{id: all, label: All, criteria: [{ids}]}}\n")
    book = load_rulebook(make_rule_set(tmp_path, rules))
    program = book.program
    rules_per_chunk: dict[int, set[str]] = {}
    for key, slot in program.slot_of.items():
        rules_per_chunk.setdefault(slot.chunk, set()).add(program.rule_of[key])
    assert sorted(len(names) for names in rules_per_chunk.values()) == [30, 60]
    assert program.chunk_count == 2 and sorted(rules_per_chunk) == [0, 1]
    result = statuses(book, {"programs": [{"discipline": "other", **dict.fromkeys(fields, 100)}]})
    assert result["credential"] == "eligible"
    assert all(result[f"test.cred.{f[:3]}{i}"] == "met" for f in fields for i in range(1, 31))


def test_the_rule_set_is_the_one_credcheck_rules_dir_names_else_the_bundled_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = (
        "criteria:\n  h:\n    label: Hours\n    measure: program.clock_hours\n    test: {at_least: 1}\n"
        "    cite: {source: doc}\nroutes:\n  - {id: r, label: R, criteria: [h]}\n"
    )
    root = make_rule_set(tmp_path, credential(rules))
    monkeypatch.setenv("CREDCHECK_RULES_DIR", str(root))
    assert default_rules_dir() == root
    assert list(load_rulebook().rules.credentials) == ["test.cred"]
    monkeypatch.setenv("CREDCHECK_RULES_DIR", "")  # set but empty: the bundled rule set
    assert default_rules_dir() == BUNDLED_RULES_DIR == REPO / "rules"
    monkeypatch.delenv("CREDCHECK_RULES_DIR")
    assert default_rules_dir() == BUNDLED_RULES_DIR


def test_sessions_are_deleted_so_more_than_1024_evaluations_work(rulebook: Rulebook) -> None:
    # durable-rules allows 1,024 live sessions per ruleset; a leak would fail on the 1,025th.
    applicant = {
        "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "completion_date": "2026-06-01"}]
    }
    first = production_statuses(rulebook.evaluate(applicant, as_of=AS_OF))
    for _ in range(1100):
        rulebook.evaluate(applicant, as_of=AS_OF)
    assert production_statuses(rulebook.evaluate(applicant, as_of=AS_OF)) == first


def test_an_evaluation_with_nothing_to_evaluate_still_runs_a_session(rulebook: Rulebook) -> None:
    # The sentinel rule fires even with no facts, so deleting the session is safe.
    result = rulebook.evaluate({}, as_of=AS_OF, credentials=[])
    assert result.credentials == ()


def test_evaluations_are_independent(rulebook: Rulebook) -> None:
    eligible = {"certifications": [{"credential": "aama.cma"}]}
    other = {"programs": [], "certifications": []}
    a1 = rulebook.evaluate(eligible, as_of=AS_OF)
    rulebook.evaluate(other, as_of=AS_OF)
    a2 = rulebook.evaluate(eligible, as_of=AS_OF)
    assert production_statuses(a1) == production_statuses(a2)
    assert "aama.cma" in a1.eligible


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
    versions = book.credential("test.cred").criteria["hours"].versions
    assert [(v.requirement.op, v.requirement.value, v.start, v.end) for v in versions] == [
        ("at_least", 600, None, dt.date(2025, 6, 30)),
        ("at_least", 720, dt.date(2025, 7, 1), None),
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
    result = book.evaluate({"work_experience": experience}, as_of=AS_OF, credentials=["test.cred"], trace=True)
    criterion = result.credentials[0].routes[0].criteria[0]
    assert criterion.status == expected
    assert list(criterion.missing) == missing
    # the trace names the candidates whose rule fired: the low bound (0) when it meets the test, only the
    # high bound (1) when the facts could go either way, none when even the high bound fails
    assert criterion.trace.fired == {"met": (0,), "unknown": (1,), "unmet": ()}[expected]


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
    code = [p for p in (REPO / "rules").rglob("*") if p.is_file() and p.suffix not in {".yaml", ".md", ".po"}]
    assert code == []


def test_explained_criteria_from_the_shared_cache_equal_fresh_ones(rulebook: Rulebook) -> None:
    """Explained criteria are cached across answers by everything their JSON depends on: an answer built from
    a warm cache equals one built by a serializer that has seen nothing."""
    import random

    from api.schemas import Detail
    from api.serialize import Serializer, serializer
    from benchmarks.population import applicant

    rng = random.Random(7)
    warm = serializer(rulebook)
    for _ in range(200):
        facts = applicant(rng)
        for detail in (Detail.STANDARD, Detail.FULL):
            for language in ("en", "es"):
                evaluation = rulebook.evaluate(facts, as_of=AS_OF)
                answer = warm.eligibility(evaluation, detail=detail, language=language)
                assert answer == Serializer(rulebook).eligibility(evaluation, detail=detail, language=language)


INCLUDES_ANY = credential(
    """\
criteria:
  approved:
    label: Approved by NCCT or AMT
    measure: program.approvals
    test: {includes_any: [ncct-authorized, amt-board-approved]}
    cite: {source: doc}
routes:
  - {id: only, label: Only route, criteria: [approved]}
"""
)


def test_includes_any_of_several_values_compiles_whatever_the_heap_holds(tmp_path: Path) -> None:
    """durable-rules 2.0.28 reads a byte it never wrote when an `$iany` condition holds an `$or`
    (``createForwardAlpha`` leaves the forward node's right operand type unset; ``createAlpha`` then checks it for
    an identifier, 0x09, or an expression, 0x0C), so a rule set with `includes_any` of two or more values failed
    to compile (error 102, ERR_UNEXPECTED_TYPE) now and then, depending on what the freed memory held: a
    mutation run and a run of the generated rule sets hit it. Freed memory filled with 0x09 makes the old
    encoding fail about one time in eight; the test compiles the rule set 100 times so."""
    from engine import load_rule_set

    rules = load_rule_set(make_rule_set(tmp_path, INCLUDES_ANY))
    for _ in range(100):
        junk = [bytearray(b"\x09" * size) for size in (64, 128, 256, 512, 1024, 2048, 4096) for _ in range(20)]
        del junk
        Rulebook(rules)  # compiles the rule set into a durable-rules ruleset
    book = Rulebook(rules)
    for approvals, status in (
        (["amt-board-approved"], "met"),
        (["ncct-authorized", "state-approved"], "met"),
        (["state-approved"], "unmet"),
        ([], "unmet"),
        (None, "unknown"),
    ):
        program = {"discipline": "other"} | ({} if approvals is None else {"approvals": approvals})
        assert statuses(book, {"programs": [program]})["test.cred.approved"] == status, approvals
