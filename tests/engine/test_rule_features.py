"""The rule features that keep a verdict no firmer than its source (issue #11), on small test rule sets.

* cautions: shown with their status, never deciding a route, a verdict or the inputs needed;
* unencoded routes: never met; unmet when their gate fails, otherwise unknown; without a gate the credential
  is never ineligible (reason `unencoded-route`);
* incomplete criteria: at best unknown (reason `requirement-not-stated`);
* `unknown_for`: values the source does not decide are unknown (reason `source-undecided`);
* derived facts: a field not given but implied by another is one of a set of values;
* `only_lab_duties`: hours counted at each job's share of laboratory duties;
* the loader refuses a secondary-only requirement deciding on an official route;
* the requirement an answer reports is what the rule file says (`unknown_for`, a second bound, a rank's
  vocabulary, dated thresholds that come out equal merged into one).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from api.render import renderer
from engine import Op, Requirement, RuleSetError, TimeSpan, Why, load_rulebook
from engine.outcome import Bound, Unit, Window
from tests.helpers import DERIVATIONS, DERIVED_RULES, credential, make_rule_set

AS_OF = dt.date(2026, 12, 1)

SECONDARY = """\
  prep: {title: A prep site, url: https://example.org/prep, kind: secondary, retrieved: 2026-01-01}
"""


def book_with(tmp_path: Path, rules: str, extra: dict[str, str] | None = None) -> Any:
    head = credential(rules)
    (path, text), = head.items()
    text = text.replace("sources:\n", "sources:\n" + SECONDARY, 1) if "prep" in rules else text
    return load_rulebook(make_rule_set(tmp_path, {path: text, **(extra or {})}))


def answer(book: Any, applicant: dict[str, Any]) -> Any:
    return book.evaluate(applicant, as_of=AS_OF).credentials[0]


def routes(cred: Any) -> dict[str, str]:
    return {r.id.removeprefix("test.cred."): r.status.value for r in cred.routes}


CAUTION = """\
criteria:
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  adult:
    label: Is at least 18
    measure: age
    test: {at_least: 18}
    cite: {source: prep}
cautions: [adult]
routes:
  - id: school
    label: School
    criteria: [diploma]
"""


def test_a_caution_is_shown_but_never_decides(tmp_path: Path) -> None:
    book = book_with(tmp_path, CAUTION)
    minor = answer(book, {"birth_date": "2010-01-01", "high_school": {"credential": "diploma"}})
    assert minor.status == "eligible"
    [caution] = minor.routes[0].cautions
    assert caution.id == "test.cred.adult" and caution.status == "unmet"
    assert caution.definition.citations[0].kind == "secondary"
    unknown_age = answer(book, {"high_school": {"credential": "diploma"}})
    assert unknown_age.status == "eligible" and unknown_age.inputs_needed == ()
    no_diploma = answer(book, {"birth_date": "1990-01-01", "high_school": {"credential": "none"}})
    assert no_diploma.status == "ineligible"  # a caution met does not make anyone eligible either


def test_a_secondary_only_requirement_cannot_decide_on_an_official_route(tmp_path: Path) -> None:
    rules = CAUTION.replace("cautions: [adult]\n", "common: [adult]\n")
    with pytest.raises(RuleSetError) as caught:
        book_with(tmp_path, rules)
    [problem] = caught.value.problems
    assert problem.key == "criteria.adult" and "list it under `cautions`" in problem.message


def test_a_criterion_cannot_be_both_a_caution_and_deciding(tmp_path: Path) -> None:
    rules = CAUTION.replace("    cite: {source: prep}\n", "    cite: {source: doc}\n").replace(
        "criteria: [diploma]", "criteria: [diploma, adult]"
    )
    with pytest.raises(RuleSetError) as caught:
        book_with(tmp_path, rules)
    assert any("both a caution and a deciding entry" in p.message for p in caught.value.problems)


UNENCODED = """\
criteria:
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  holds-intl:
    label: Holds the international credential
    measure: {kind: certifications}
    test: {includes_any: [ascpi.mls]}
    cite: {source: doc}
routes:
  - id: school
    label: School
    criteria: [diploma]
unencoded_routes:
  - id: international
    label: International holders
    reason: Its experience terms were not retrieved.
    gate: [holds-intl]
    cite: {source: doc}
    verification: {source: official, confidence: low}
"""


def test_a_gated_unencoded_route_fails_only_when_its_gate_fails(tmp_path: Path) -> None:
    book = book_with(tmp_path, UNENCODED)
    outsider = answer(book, {"high_school": {"credential": "none"}, "certifications": []})
    assert outsider.status == "ineligible"
    assert routes(outsider) == {"school": "unmet", "international": "unmet"}
    holder = answer(book, {"high_school": {"credential": "none"}, "certifications": [{"credential": "ascpi.mls"}]})
    assert holder.status == "undetermined"  # never eligible on a route the rule set cannot decide
    assert routes(holder) == {"school": "unmet", "international": "unknown"}
    assert holder.reasons == ("unencoded-route",) and holder.inputs_needed == ()
    international = holder.routes[1]
    assert international.coverage == "gate" and international.definition.reason and international.definition.citations


def test_without_a_gate_an_unencoded_route_keeps_the_credential_open(tmp_path: Path) -> None:
    book = book_with(tmp_path, UNENCODED.replace("    gate: [holds-intl]\n", "").replace(
        "    criteria: [diploma]\n", "    criteria: [diploma, holds-intl]\n"
    ))
    nobody = answer(book, {"high_school": {"credential": "none"}, "certifications": []})
    assert nobody.status == "undetermined" and nobody.reasons == ("unencoded-route",)
    assert nobody.routes[1].coverage == "none" and nobody.routes[1].criteria == ()


def test_common_entries_gate_an_unencoded_route_too(tmp_path: Path) -> None:
    rules = UNENCODED.replace("    gate: [holds-intl]\n", "").replace("routes:\n", "common: [diploma]\nroutes:\n", 1)
    rules = rules.replace("    criteria: [diploma]\n", "    criteria: [holds-intl]\n")
    book = book_with(tmp_path, rules)
    no_diploma = answer(book, {"high_school": {"credential": "none"}})
    assert no_diploma.status == "ineligible" and no_diploma.routes[1].coverage == "gate"
    assert answer(book, {"high_school": {"credential": "diploma"}, "certifications": []}).status == "undetermined"


INCOMPLETE = """\
criteria:
  lab-work:
    label: Has laboratory experience (how much is not stated)
    measure: {kind: experience, roles: [laboratory-assistant], total: hours}
    test: {more_than: 0}
    incomplete: The source does not say how many hours it requires.
    cite: {source: doc}
routes:
  - id: experience
    label: Experience
    criteria: [lab-work]
"""

LAB_JOB = {"role": "laboratory-assistant", "start_date": "2025-01-01", "end_date": "2025-12-31", "hours_per_week": 40}


def test_an_incomplete_criterion_is_at_best_unknown(tmp_path: Path) -> None:
    book = book_with(tmp_path, INCOMPLETE)
    worked = answer(book, {"work_experience": [LAB_JOB]})
    assert worked.status == "undetermined" and worked.reasons == ("requirement-not-stated",)
    criterion = worked.routes[0].criteria[0]
    assert criterion.status == "unknown" and criterion.missing == () and criterion.why == "requirement-not-stated"
    assert "does not say how many hours" in renderer(book, "en").message(criterion)
    assert answer(book, {"work_experience": []}).status == "ineligible"


UNDECIDED = """\
criteria:
  diploma:
    label: Has a diploma or GED
    measure: high_school.credential
    test: {one_of: [diploma, ged], unknown_for: [foreign-equivalent]}
    cite: {source: doc}
routes:
  - id: school
    label: School
    criteria: [diploma]
"""


@pytest.mark.parametrize(
    ("credential_held", "status"),
    [("diploma", "eligible"), ("foreign-equivalent", "undetermined"), ("none", "ineligible")],
)
def test_a_value_the_source_does_not_decide_is_unknown(tmp_path: Path, credential_held: str, status: str) -> None:
    cred = answer(book_with(tmp_path, UNDECIDED), {"high_school": {"credential": credential_held}})
    assert cred.status == status
    if status == "undetermined":
        assert cred.reasons == ("source-undecided",) and cred.inputs_needed == ()


def test_unknown_for_needs_one_of(tmp_path: Path) -> None:
    rules = UNDECIDED.replace(
        "{one_of: [diploma, ged], unknown_for: [foreign-equivalent]}", "{includes_any: [ged], unknown_for: [ged]}"
    )
    with pytest.raises(RuleSetError) as caught:
        book_with(tmp_path, rules)
    assert any("`unknown_for` goes with `one_of`" in p.message for p in caught.value.problems)


@pytest.mark.parametrize(
    ("program", "status"),
    [
        ({"discipline": "phlebotomy", "accreditor": "CAAHEP"}, "met"),  # every derived value passes
        ({"discipline": "phlebotomy", "accreditor": "other"}, "unknown"),  # some do, some do not
        ({"discipline": "phlebotomy", "accreditor": "NAACLS"}, "unknown"),  # no derivation: not given
        ({"discipline": "phlebotomy", "accreditor": "CAAHEP", "institution_accreditation": "none"}, "unmet"),
    ],
)
def test_a_derived_fact_decides_when_every_value_it_allows_agrees(
    tmp_path: Path, program: dict[str, Any], status: str
) -> None:
    book = book_with(tmp_path, DERIVED_RULES, {"derivations.yaml": DERIVATIONS})
    criterion = answer(book, {"programs": [program]}).routes[0].criteria[0]
    assert criterion.status == status
    if status == "unknown" and "accreditor" in program and program["accreditor"] == "other":
        assert criterion.missing == ("programs[0].institution_accreditation",)
    if status == "met":  # the answer shows the values the derivation allows, and which derivation it was
        assert (criterion.measured.alternatives, criterion.measured.derived_by) == (
            ("usde", "chea"),
            "programmatic-implies-institutional",
        )
    # `why: derived` says a derivation decided it; one that leaves it open decides nothing
    assert criterion.why == (Why.DERIVED if status == "met" else None)


def test_a_derivation_must_name_enumerated_fields_of_one_record(tmp_path: Path) -> None:
    broken = DERIVATIONS.replace("path: program.accreditor, one_of: [CAAHEP]", "path: program.clock_hours, one_of: [x]")
    with pytest.raises(RuleSetError) as caught:
        book_with(tmp_path, DERIVED_RULES, {"derivations.yaml": broken})
    assert any("is not an enumerated applicant field" in str(p) for p in caught.value.problems)


LAB_DUTIES = """\
criteria:
  lab-duties-520:
    label: At least 520 hours of clinical laboratory duties
    measure: {kind: experience, roles: [laboratory-assistant, other-healthcare], total: hours, only_lab_duties: true}
    test: {at_least: 520}
    cite: {source: doc}
routes:
  - id: experience
    label: Experience
    criteria: [lab-duties-520]
"""


@pytest.mark.parametrize(
    ("percent", "status"), [(50, "met"), (10, "unmet"), (None, "unknown")]
)  # 52 weeks x 40 hours = 2,085.7 hours; half of them are laboratory duties, a tenth are not enough
def test_only_laboratory_duties_count(tmp_path: Path, percent: float | None, status: str) -> None:
    job = {**LAB_JOB, "role": "other-healthcare"}
    if percent is not None:
        job["lab_duties_percent"] = percent
    criterion = answer(book_with(tmp_path, LAB_DUTIES), {"work_experience": [job]}).routes[0].criteria[0]
    assert criterion.status == status
    if status == "unknown":
        assert criterion.missing == ("work_experience[0].lab_duties_percent",)


def test_provisional_rules_say_so(tmp_path: Path) -> None:
    provisional = "    verification: {source: official, confidence: medium, provisional: true, note: Pilot era.}\n"
    rules = CAUTION.replace("    cite: {source: doc}\n", "    cite: {source: doc}\n" + provisional, 1)
    criterion = answer(book_with(tmp_path, rules), {}).routes[0].criteria[0]
    assert criterion.definition.verification.provisional is True


TRACED = """\
criteria:
  diploma:
    label: Has a diploma or GED
    measure: high_school.credential
    test: {one_of: [diploma, ged], unknown_for: [foreign-equivalent]}
    cite: {source: doc}
  credits:
    label: Has the semester hours asked for on the day
    measure: semester_hours.total
    test: {at_least: [{value: 60, to: 2026-06-30}, {value: 64, from: 2026-07-01}]}
    cite: {source: doc}
routes:
  - id: school
    label: School
    criteria: [diploma, credits]
"""


def test_a_trace_names_the_dated_test_in_effect_and_the_rule_of_undecided_values(tmp_path: Path) -> None:
    book = book_with(tmp_path, TRACED)
    applicant = {"high_school": {"credential": "foreign-equivalent"}, "semester_hours": {"total": 62}}
    cred = book.evaluate(applicant, as_of=AS_OF, trace=True).credentials[0]
    diploma, credits = cred.routes[0].criteria
    assert diploma.status == "unknown" and diploma.trace.undecided_rule
    assert credits.status == "unmet" and credits.trace.undecided_rule is None
    assert (credits.trace.version_from, credits.trace.version_to) == (dt.date(2026, 7, 1), None)
    assert credits.trace.inputs == (("semester_hours.total", 62),)


MET_THEN_MISSING = """\
criteria:
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  credits:
    label: Has 60 semester hours
    measure: semester_hours.total
    test: {at_least: 60}
    cite: {source: doc}
routes:
  - {id: school, label: School, criteria: [diploma, credits]}
"""


def test_an_undetermined_credential_says_why_when_an_entry_after_a_met_one_lacks_its_fact(tmp_path: Path) -> None:
    cred = answer(book_with(tmp_path, MET_THEN_MISSING), {"high_school": {"credential": "diploma"}})
    assert cred.status == "undetermined"
    assert cred.reasons == ("missing-inputs",)
    assert cred.inputs_needed == ("semester_hours.total",)


@pytest.mark.parametrize(
    ("kind", "test", "start", "end"),
    [
        # time since a date: a larger time is an earlier date (AS_OF is 2026-12-01)
        ("time_since", "{at_most: {years: 4}}", "2022-12-01", None),
        ("time_since", "{less_than: {years: 4}}", "2022-12-02", None),
        ("time_since", "{at_least: {years: 1}}", None, "2025-12-01"),
        ("time_since", "{more_than: {years: 1}}", None, "2025-11-30"),
        # time until a date: a larger time is a later date
        ("time_until", "{at_most: {days: 30}}", None, "2026-12-31"),
        ("time_until", "{less_than: {days: 30}}", None, "2026-12-30"),
        ("time_until", "{at_least: {days: 30}}", "2026-12-31", None),
        ("time_until", "{more_than: {days: 30}}", "2027-01-01", None),
    ],
)
def test_a_time_requirement_states_the_dates_its_date_must_fall_in(
    tmp_path: Path, kind: str, test: str, start: str | None, end: str | None
) -> None:
    rules = f"""\
criteria:
  timed:
    label: A program completed (or completing) in time
    measure: {{kind: {kind}, date: program.completion_date}}
    test: {test}
    cite: {{source: doc}}
routes:
  - {{id: only, label: Only, criteria: [timed]}}
"""
    program = {"discipline": "medical-assisting", "completion_date": "2026-01-15"}
    criterion = answer(book_with(tmp_path, rules), {"programs": [program]}).routes[0].criteria[0]
    window = criterion.requirement.window
    assert window.field == "programs[].completion_date"
    day = dt.date.fromisoformat
    assert (window.start, window.end) == (start and day(start), end and day(end))


@pytest.mark.parametrize(
    ("kind", "test", "completion", "measured"),
    [
        # counted back from the evaluation date: 2026-12-01 less 1 year 10 months is 2025-02-01, 17 days on
        ("time_since", "{at_most: {years: 4}}", "2025-01-15", TimeSpan(1, 10, 17)),
        ("time_until", "{at_most: {days: 30}}", "2026-12-11", TimeSpan(days=10)),
        ("time_until", "{at_most: {days: 30}}", "2026-12-01", TimeSpan(days=0)),  # today: not "ahead"
        ("time_until", "{at_most: {days: 30}}", "2026-11-21", TimeSpan(days=10, negative=True)),
    ],
)
def test_a_time_measure_shows_the_time_in_the_tests_unit(
    tmp_path: Path, kind: str, test: str, completion: str, measured: TimeSpan
) -> None:
    rules = f"""\
criteria:
  timed:
    label: A program completed (or completing) in time
    measure: {{kind: {kind}, date: program.completion_date}}
    test: {test}
    cite: {{source: doc}}
routes:
  - {{id: only, label: Only, criteria: [timed]}}
"""
    program = {"discipline": "medical-assisting", "completion_date": completion}
    criterion = answer(book_with(tmp_path, rules), {"programs": [program]}).routes[0].criteria[0]
    assert criterion.measured.low == criterion.measured.high == measured


UNMET_THEN_OPEN = """\
criteria:
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  credits:
    label: Has 60 semester hours
    measure: semester_hours.total
    test: {at_least: 60}
    cite: {source: doc}
routes:
  - id: school-or-college
    label: School or college
    criteria: [{id: diploma-or-credits, label: A diploma or 60 semester hours, any: [diploma, credits]}]
"""


def test_the_reasons_come_from_every_open_member_of_a_group_and_nothing_is_added_unasked(tmp_path: Path) -> None:
    # The group's first member is unmet, the second open for want of a fact: the reason and the input are still
    # given. No state was asked for and no trace: the evaluation carries neither.
    book = book_with(tmp_path, UNMET_THEN_OPEN)
    evaluation = book.evaluate({"high_school": {"credential": "none"}}, as_of=AS_OF)
    cred = evaluation.credentials[0]
    assert cred.status == "undetermined" and cred.reasons == ("missing-inputs",)
    assert cred.inputs_needed == ("semester_hours.total",)
    assert evaluation.state is None
    assert all(c.trace is None for r in cred.routes for c in r.criteria)


WORK = """\
criteria:
  lab-work:
    label: 12 months of laboratory work since the program
    measure: {kind: experience, roles: [clinical-laboratory], total: months, since: program.completion_date}
    test: {at_least: 12}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [lab-work]}
"""


@pytest.mark.parametrize(
    ("applicant", "needed"),
    [
        ({"programs": [{"discipline": "phlebotomy", "completion_date": "2025-01-01"}]}, ("work_experience",)),
        ({"programs": [{"discipline": "phlebotomy"}]}, ("programs[0].completion_date", "work_experience")),
    ],
)
def test_work_experience_not_given_is_asked_for(tmp_path: Path, applicant: dict[str, Any], needed: tuple) -> None:
    cred = answer(book_with(tmp_path, WORK), applicant)
    assert cred.status == "undetermined" and cred.inputs_needed == needed


@pytest.mark.parametrize(
    ("measure", "test", "applicant", "requirement"),
    [
        (
            "high_school.credential",
            "{one_of: [diploma, ged], unknown_for: [foreign-equivalent]}",
            {"high_school": {"credential": "diploma"}},
            Requirement(
                Op.ONE_OF,
                values=("diploma", "ged"),
                vocabulary="high_school_credential",
                unknown_for=("foreign-equivalent",),
            ),
        ),
        (
            "semester_hours.total",
            "{at_least: 12, less_than: 60}",
            {"semester_hours": {"total": 30}},
            Requirement(Op.AT_LEAST, value=12, unit=Unit.SEMESTER_HOURS, also=Bound(Op.LESS_THAN, 60)),
        ),
        (  # a rank: its levels named as in the file, with the vocabulary they are levels of
            "degree.level",
            "{at_least: associate, less_than: master}",
            {"degrees": [{"level": "bachelor"}]},
            Requirement(
                Op.AT_LEAST, value="associate", vocabulary="degree_level", also=Bound(Op.LESS_THAN, "master")
            ),
        ),
        (
            "degree.level",
            "{at_least: bachelor}",
            {"degrees": [{"level": "bachelor"}]},
            Requirement(Op.AT_LEAST, value="bachelor", vocabulary="degree_level"),
        ),
    ],
    ids=["unknown-for", "two-bounds", "rank-two-bounds", "rank"],
)
def test_the_requirement_reported_is_the_rule_files(
    tmp_path: Path, measure: str, test: str, applicant: dict[str, Any], requirement: Requirement
) -> None:
    rules = f"""\
criteria:
  tested:
    label: The tested requirement
    measure: {measure}
    test: {test}
    cite: {{source: doc}}
routes:
  - {{id: only, label: Only, criteria: [tested]}}
"""
    criterion = answer(book_with(tmp_path, rules), applicant).routes[0].criteria[0]
    assert criterion.status == "met"
    assert criterion.requirement == requirement


SAME_THRESHOLD_TWICE = """\
criteria:
  credits:
    label: Has 60 semester hours (restated, unchanged, from July 2025)
    measure: semester_hours.total
    test: {at_least: [{value: 60, to: 2025-06-30}, {value: 60, from: 2025-07-01}]}
    cite: {source: doc}
routes:
  - {id: only, label: Only, criteria: [credits]}
"""


def test_dated_thresholds_that_are_equal_are_one_version(tmp_path: Path) -> None:
    book = book_with(tmp_path, SAME_THRESHOLD_TWICE)
    [version] = book.rules.credentials["test.cred"].criteria["credits"].versions
    assert (version.start, version.end) == (None, None)
    for day in (dt.date(2025, 6, 30), dt.date(2025, 7, 1), AS_OF):
        cred = book.evaluate({"semester_hours": {"total": 59}}, as_of=day, trace=True).credentials[0]
        [criterion] = cred.routes[0].criteria
        assert criterion.status == "unmet"
        assert criterion.requirement == Requirement(Op.AT_LEAST, value=60, unit=Unit.SEMESTER_HOURS)
        assert (criterion.trace.version_from, criterion.trace.version_to) == (None, None)


# Experience measures (issue 16, gaps the mutation sample left in engine/_measures.py).

RECENT_WORK = """\
criteria:
  recent-months:
    label: Six months of laboratory work in the last 2 years
    measure: {kind: experience, roles: [laboratory-assistant], total: months, within: {years: 2}}
    test: {at_least: 6}
    cite: {source: doc}
  recent-areas:
    label: Some laboratory area in the last 2 years
    measure: {kind: experience_areas, roles: [laboratory-assistant], within: {years: 2}}
    test: {includes_any: [chemistry]}
    cite: {source: doc}
routes:
  - id: months
    label: Months
    criteria: [recent-months]
  - id: areas
    label: Areas
    criteria: [recent-areas]
"""


def test_the_experience_window_is_shown_with_the_requirement(tmp_path: Path) -> None:
    # `within` reports the dates the work must lie in (both ends inclusive), for a total and for lab areas.
    cred = answer(book_with(tmp_path, RECENT_WORK), {"work_experience": [LAB_JOB]})
    for route in cred.routes:
        window = route.criteria[0].requirement.window
        assert window is not None, route.id
        assert (window.field, window.start, window.end) == ("work_experience", dt.date(2024, 12, 1), AS_OF)


TWO_JOBS = """\
criteria:
  months:
    label: Laboratory months
    measure: {kind: experience, roles: [laboratory-assistant], total: months}
    test: {at_least: 1}
    cite: {source: doc}
routes:
  - id: worked
    label: Worked
    criteria: [months]
"""


def test_jobs_a_day_apart_are_not_counted_as_one(tmp_path: Path) -> None:
    # Jan 1-10 and Jan 12-20 are 10 + 9 = 19 days: the day between them (Jan 11) is not worked.
    job = {"role": "laboratory-assistant", "hours_per_week": 40}
    apart = [dict(job, start_date="2025-01-01", end_date="2025-01-10"),
             dict(job, start_date="2025-01-12", end_date="2025-01-20")]
    joined = [dict(job, start_date="2025-01-01", end_date="2025-01-10"),
              dict(job, start_date="2025-01-11", end_date="2025-01-20")]
    book = book_with(tmp_path, TWO_JOBS)
    read = {name: answer(book, {"work_experience": jobs}).routes[0].criteria[0].measured
            for name, jobs in (("apart", apart), ("joined", joined))}
    assert read["apart"].low == read["apart"].high and read["joined"].low == read["joined"].high
    assert read["joined"].low > read["apart"].low
    assert read["apart"].low == pytest.approx(round(19 * 12 / 365, 4))


WHOLE_WINDOW = """\
criteria:
  last-half-year:
    label: 6 months of laboratory work in the last 6 months
    measure: {kind: experience, roles: [laboratory-assistant], total: months, within: {months: 6}}
    test: {at_least: 6}
    cite: {source: doc}
  at-most-half-a-year:
    label: At most half a year of laboratory work in the last 6 months
    measure: {kind: experience, roles: [laboratory-assistant], total: years, within: {months: 6}}
    test: {at_most: 0.5}
    cite: {source: doc}
  last-year:
    label: 12 months of laboratory work in the last year
    measure: {kind: experience, roles: [laboratory-assistant], total: months, within: {years: 1}}
    test: {at_least: 12}
    cite: {source: doc}
routes:
  - {id: recent, label: Recent, criteria: [last-half-year]}
  - {id: at-most, label: At most, criteria: [at-most-half-a-year]}
  - {id: year, label: A year, criteria: [last-year]}
"""


@pytest.mark.parametrize("as_of", ["2026-03-01", "2026-04-30", "2026-05-31", "2026-08-31", "2028-02-29"])
def test_work_over_a_whole_calendar_window_counts_as_the_windows_length(tmp_path: Path, as_of: str) -> None:
    # "Within the last 6 months" is 182 to 185 days, both ends counted, as months have their lengths; at 365/12
    # days a month, a job over all of it counted 5.98 to 6.08 months: 6 months of work "in the last 6 months"
    # failed on some days and passed on others, and "at most half a year" in them did the opposite.
    day = dt.date.fromisoformat(as_of)
    job = {"role": "laboratory-assistant", "start_date": "2020-01-01", "hours_per_week": 40}
    cred = book_with(tmp_path, WHOLE_WINDOW).evaluate({"work_experience": [job]}, as_of=day).credentials[0]
    assert routes(cred) == {"recent": "met", "at-most": "met", "year": "met"}
    months, years, year = (r.criteria[0].measured for r in cred.routes)
    assert (months.low, months.high, years.low, years.high, year.low) == (6, 6, 0.5, 0.5, 12)


def test_work_over_part_of_a_calendar_window_never_counts_more_than_the_window(tmp_path: Path) -> None:
    # 2026-03-01 back 6 months is 2025-09-01: a job from 2025-09-02 misses one day of the window's 182.
    job = {"role": "laboratory-assistant", "start_date": "2025-09-02", "hours_per_week": 40}
    book = book_with(tmp_path, WHOLE_WINDOW)
    short = book.evaluate({"work_experience": [job]}, as_of=dt.date(2026, 3, 1)).credentials[0]
    assert short.routes[0].criteria[0].measured.low == pytest.approx(round(181 * 12 / 365, 4))
    assert routes(short)["recent"] == "unmet"
    # 2026-08-31 back 6 months is 2026-02-28: a job from 2026-03-01 has 184 of the window's 185 days, which at
    # 365/12 days a month is more than 6 months: it counts 6, the window's length, not more.
    job["start_date"] = "2026-03-01"
    long = book.evaluate({"work_experience": [job]}, as_of=dt.date(2026, 8, 31)).credentials[0]
    assert long.routes[0].criteria[0].measured.low == 6
    assert long.routes[1].criteria[0].measured.low == 0.5


HOURS_AND_CERT = """\
criteria:
  hours-1000:
    label: At least 1,000 hours of laboratory work
    measure: {kind: experience, roles: [laboratory-assistant], total: hours}
    test: {at_least: 1000}
    cite: {source: doc}
  holds-intl:
    label: Holds the international credential
    measure: {kind: certifications}
    test: {includes_any: [ascpi.mls]}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [hours-1000]}
  - {id: held, label: Held, criteria: [holds-intl]}
"""


def test_a_job_of_unknown_size_asks_for_its_hours_per_week(tmp_path: Path) -> None:
    book = book_with(tmp_path, HOURS_AND_CERT)
    job = {k: v for k, v in LAB_JOB.items() if k != "hours_per_week"}
    criterion = answer(book, {"work_experience": [{**LAB_JOB, "hours_per_week": 10}, job]}).routes[0].criteria[0]
    assert criterion.status == "unknown" and criterion.missing == ("work_experience[1].hours_per_week",)


def test_the_trace_shows_each_record_read_as_given_with_nothing_added(tmp_path: Path) -> None:
    # a record's facts in the trace are the fields given, dates in ISO form: no null for a field left out
    book = book_with(tmp_path, HOURS_AND_CERT)
    applicant = {"work_experience": [LAB_JOB], "certifications": [{"credential": "ascpi.mls", "status": "active"}]}
    [work, held] = book.evaluate(applicant, as_of=AS_OF, trace=True).credentials[0].routes
    assert held.criteria[0].trace.inputs == (
        ("certifications[0]", {"credential": "ascpi.mls", "status": "active"}),
    )
    assert work.criteria[0].trace.inputs == (
        ("work_experience[0]", {k: (v if k != "hours_per_week" else 40.0) for k, v in LAB_JOB.items()}),
    )
    nothing = book.evaluate({}, as_of=AS_OF, trace=True).credentials[0].routes
    assert [r.criteria[0].trace.inputs for r in nothing] == [(("work_experience", None),), (("certifications", None),)]


APPROVED = """\
criteria:
  approved:
    label: The program is approved by NCCT
    measure: program.approvals
    test: {includes_any: [ncct-authorized]}
    cite: {source: doc}
routes:
  - {id: ncct, label: Approved, criteria: [approved]}
"""


def test_the_trace_shows_a_list_field_as_the_values_given(tmp_path: Path) -> None:
    # a field holding a list (a program's approvals) is shown as its values, enums by value, in the order given
    book = book_with(tmp_path, APPROVED)
    program = {"discipline": "phlebotomy", "approvals": ["state-approved", "ncct-authorized"]}
    [route] = book.evaluate({"programs": [program]}, as_of=AS_OF, trace=True).credentials[0].routes
    assert route.criteria[0].status == "met"
    assert route.criteria[0].trace.inputs == (("programs[0].approvals", ["state-approved", "ncct-authorized"]),)


@pytest.mark.parametrize(
    ("status", "completion"), [("in-progress", "2026-01-15"), ("completed", "2027-01-15")]
)  # still in progress with a completion date passed, or completed on a date still ahead
def test_a_status_contradicting_the_completion_date_asks_for_both(
    tmp_path: Path, status: str, completion: str
) -> None:
    book = book_with(tmp_path, AGE_SINCE_AREAS)
    program = {"discipline": "medical-laboratory-technician", "status": status, "completion_date": completion}
    recent = book.evaluate({"programs": [program]}, as_of=AS_OF).credentials[0].routes[3].criteria[0]
    assert recent.status == "unknown"
    assert recent.missing == ("programs[0].status", "programs[0].completion_date")


SINCE_HIGH_SCHOOL = """\
criteria:
  school-years:
    label: Finished high school at least 2 years ago
    measure: {kind: time_since, date: high_school.date}
    test: {at_least: {years: 2}}
    cite: {source: doc}
routes:
  - {id: school, label: School, criteria: [school-years]}
"""


def test_the_trace_of_a_date_in_a_section_not_given_shows_the_date_missing(tmp_path: Path) -> None:
    # the applicant's `high_school` left out: the date is shown as not given (no record to read it from)
    book = book_with(tmp_path, SINCE_HIGH_SCHOOL)
    [route] = book.evaluate({}, as_of=AS_OF, trace=True).credentials[0].routes
    assert route.criteria[0].status == "unknown"
    assert route.criteria[0].trace.inputs == (("high_school.date", None),)
    given = {"high_school": {"credential": "diploma", "date": "2020-06-01"}}
    [route] = book.evaluate(given, as_of=AS_OF, trace=True).credentials[0].routes
    assert (route.criteria[0].status, route.criteria[0].trace.inputs) == ("met", (("high_school.date", "2020-06-01"),))


ACTIVE_RECENT_CERT = """\
criteria:
  recent-mls:
    label: Holds an active MLS certification earned in the last 5 years
    measure: {kind: certifications, status: active, earned_within: {years: 5}}
    test: {includes_any: [ascpi.mls]}
    cite: {source: doc}
routes:
  - {id: held, label: Held, criteria: [recent-mls]}
"""


def test_a_certification_of_unknown_status_or_date_asks_for_exactly_those_fields(tmp_path: Path) -> None:
    book = book_with(tmp_path, ACTIVE_RECENT_CERT)
    held = [
        {"credential": "ascpi.mls", "earned_date": "2024-05-01"},  # status not given
        {"credential": "ascpi.mls", "status": "active"},  # earned when?
        {"credential": "ascpi.mls", "status": "lapsed", "earned_date": "2024-05-01"},  # not active: asks nothing
    ]
    [route] = book.evaluate({"certifications": held}, as_of=AS_OF).credentials[0].routes
    criterion = route.criteria[0]
    assert criterion.status == "unknown"
    assert criterion.missing == ("certifications[0].status", "certifications[1].earned_date")
    # the window the requirement applies to names the field it reads, from 5 years before the evaluation date
    assert criterion.requirement.window == Window("certifications[].earned_date", dt.date(2021, 12, 1), AS_OF)


IN_A_LAB = """\
criteria:
  lab-year:
    label: At least 12 months of laboratory work in an accredited laboratory
    measure:
      {kind: experience, roles: [laboratory-assistant], total: months, settings: [accredited-clinical-laboratory]}
    test: {at_least: 12}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [lab-year]}
"""


def test_a_job_of_unknown_setting_asks_for_its_setting_and_one_elsewhere_does_not_count(tmp_path: Path) -> None:
    book = book_with(tmp_path, IN_A_LAB)
    elsewhere = {**LAB_JOB, "setting": "hospital"}
    criterion = answer(book, {"work_experience": [elsewhere, LAB_JOB]}).routes[0].criteria[0]
    assert criterion.status == "unknown" and criterion.missing == ("work_experience[1].setting",)
    assert answer(book, {"work_experience": [elsewhere]}).routes[0].criteria[0].status == "unmet"


def test_the_trace_of_laboratory_areas_shows_only_the_jobs_of_the_roles_counted(tmp_path: Path) -> None:
    book = book_with(tmp_path, AGE_SINCE_AREAS)
    counted = {"role": "clinical-laboratory", "start_date": "2025-01-01", "lab_areas": ["chemistry"]}
    other = {"role": "medical-assistant", "start_date": "2024-01-01", "lab_areas": ["hematology"]}
    areas = book.evaluate({"work_experience": [other, counted]}, as_of=AS_OF, trace=True).credentials[0].routes[2]
    assert areas.criteria[0].status == "met"
    assert areas.criteria[0].trace.inputs == (("work_experience[1]", counted),)


FULL_TIME_YEAR = """\
criteria:
  full-time-year:
    label: At least 12 months of full-time laboratory work
    measure: {kind: experience, roles: [laboratory-assistant], total: months, min_hours_per_week: 35}
    test: {at_least: 12}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [full-time-year]}
"""


@pytest.mark.parametrize("order", [1, -1])
def test_a_part_time_job_is_left_out_and_the_jobs_after_it_still_count(tmp_path: Path, order: int) -> None:
    book = book_with(tmp_path, FULL_TIME_YEAR)
    part_time = {**LAB_JOB, "start_date": "2024-01-01", "end_date": "2024-12-31", "hours_per_week": 20}
    jobs = [part_time, LAB_JOB][::order]
    criterion = answer(book, {"work_experience": jobs}).routes[0].criteria[0]
    assert criterion.status == "met" and criterion.measured.low == pytest.approx(12, abs=0.1)
    assert answer(book, {"work_experience": [part_time]}).routes[0].criteria[0].status == "unmet"


AGE_SINCE_AREAS = """\
criteria:
  adult:
    label: Is at least 18
    measure: age
    test: {at_least: 18}
    cite: {source: doc}
  work-since:
    label: At least 6 months of laboratory work since completing the program
    measure: {kind: experience, roles: [clinical-laboratory], total: months, since: program.completion_date}
    test: {at_least: 6}
    cite: {source: doc}
  chemistry:
    label: Has worked in chemistry
    measure: {kind: experience_areas, roles: [clinical-laboratory]}
    test: {includes_all: [chemistry]}
    cite: {source: doc}
  recent:
    label: Completed the program within the last 4 years
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: {years: 4}}
    cite: {source: doc}
routes:
  - {id: of-age, label: Of age, criteria: [adult]}
  - {id: since, label: Since the program, criteria: [work-since]}
  - {id: areas, label: Areas, criteria: [chemistry]}
  - {id: graduate, label: Recent graduate, criteria: [recent]}
"""


def test_the_trace_names_each_fact_a_measure_read_and_areas_not_given_are_asked_for(tmp_path: Path) -> None:
    book = book_with(tmp_path, AGE_SINCE_AREAS)
    job = {"role": "clinical-laboratory", "start_date": "2025-01-01", "hours_per_week": 40.0}
    program = {"discipline": "medical-laboratory-technician", "status": "completed", "completion_date": "2026-01-15"}
    applicant = {"birth_date": "2000-01-02", "programs": [program], "work_experience": [job]}
    routes = book.evaluate(applicant, as_of=AS_OF, trace=True).credentials[0].routes
    adult, since, areas, recent = (r.criteria[0] for r in routes)
    assert adult.trace.inputs == (("birth_date", "2000-01-02"),)
    # the date work is counted from, then the jobs
    assert since.status == "met"
    assert since.trace.inputs == (("programs[0].completion_date", "2026-01-15"), ("work_experience[0]", job))
    assert areas.status == "unknown" and areas.missing == ("work_experience[0].lab_areas",)
    # a completion date is read with the program's status (a status contradicting the date leaves it open)
    assert recent.trace.inputs == (("programs[0].completion_date", "2026-01-15"), ("programs[0].status", "completed"))


FULL_TIME = """\
criteria:
  full-time-2-years:
    label: Two years of full-time work in the last two years
    measure:
      kind: experience
      roles: [medical-administrative-specialist]
      total: years
      within: {years: 2}
      min_hours_per_week: 40
    test: {at_least: 2}
    cite: {source: doc}
routes:
  - id: work
    label: Work
    criteria: [full-time-2-years]
"""


@pytest.mark.parametrize(
    ("weekly", "start", "end", "total_hours", "status"),
    [
        # 6,364 days at 40 h/week are 254,560/7 hours; the nearest binary number, 36365.71428571428, is a hair
        # under that (CI's counterexample: the engine said full-time, the oracle's exact arithmetic did not).
        (40, "2010-06-21", "2027-11-22", 254560 / 7, "met"),
        (40, "2010-06-21", "2027-11-22", 36365.72, "met"),
        (40, "2010-06-21", "2027-11-22", 36365.0, "unmet"),  # 39.9992 h/week
        # 9 days at 38 h/week are 342/7 hours, whose float divided back gave 37.99999999999999: not full-time.
        (38, "2026-06-21", "2026-06-29", 342 / 7, "met"),
        (38, "2026-06-21", "2026-06-29", 48.85, "unmet"),  # 37.9944 h/week
    ],
)
def test_weekly_hours_from_a_total_are_compared_to_a_ten_thousandth_of_an_hour(
    tmp_path: Path, weekly: int, start: str, end: str, total_hours: float, status: str
) -> None:
    rules = FULL_TIME.replace("min_hours_per_week: 40", f"min_hours_per_week: {weekly}").replace(
        "at_least: 2}", "at_least: 0.02}"  # a week or more of such work
    )
    job = {"role": "medical-administrative-specialist", "start_date": start, "end_date": end}
    job["total_hours"] = total_hours
    criterion = answer(book_with(tmp_path, rules), {"work_experience": [job]}).routes[0].criteria[0]
    assert criterion.status == status
