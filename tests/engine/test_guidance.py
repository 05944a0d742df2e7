"""Guidance (issue #13): shortfalls, feasibility, the nearest route, the timeline and next steps.

The properties run over the oracle's applicant strategy (``tests/engine/test_oracle.py``), which aims
applicants at routes and puts dates and numbers at and around the rules' thresholds and windows:

* on ``eligible_from`` the credential is eligible, and on the day before it is not;
* between two consecutive dates of the timeline no verdict changes (a random date in between);
* adding exactly a route's missing quantity to the applicant meets that criterion, and a smaller change
  does not (the shortfall is exact and minimal);
* no precluded route is the nearest route, and no route the timeline shows met later is called precluded.

The projection of the facts to a later date is written again, independently of ``engine._guidance``
(``tests.fixtures.project``, shared with the rule fixtures' ``eligible_from`` check): a program in progress
whose expected completion date has come is completed, and a job still going whose hours are a total so far
goes on at its average hours per day; nothing else changes.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from engine import Action, Assumption, Cause, Effort, Feasibility, Need, Rulebook, Verdict, load_rulebook
from tests.engine.test_oracle import cases
from tests.fixtures import project
from tests.helpers import credential, make_rule_set

AS_OF = dt.date(2026, 11, 23)
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: evaluations ahead make it slow; `note` shows the case
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def verdict_on(book: Rulebook, applicant: dict[str, Any], as_of: dt.date, day: dt.date, credential: str) -> Verdict:
    evaluation = book.evaluate(project(applicant, as_of, day), as_of=day, credentials=[credential])
    return evaluation.verdicts[0][1]


def guidance_of(book: Rulebook, applicant: dict[str, Any], as_of: dt.date, credential: str | None = None) -> Any:
    evaluation = book.evaluate(applicant, as_of=as_of, credentials=[credential] if credential else None)
    found = {g.id: g for g in evaluation.guidance()}
    return found[credential] if credential else found


# ---------------------------------------------------------------------------------------------- examples


def student(days_left: int) -> dict[str, Any]:
    """A medical-assisting student in an accredited program that ends ``days_left`` days after AS_OF."""
    return {
        "birth_date": "2000-03-04",
        "high_school": {"credential": "diploma", "date": "2018-06-01"},
        "programs": [
            {
                "discipline": "medical-assisting",
                "status": "in-progress",
                "completion_date": (AS_OF + dt.timedelta(days=days_left)).isoformat(),
                "accreditor": "CAAHEP",
                "institution_accreditation": "usde",
                "clock_hours": 900,
            }
        ],
        "certifications": [],
    }


def test_a_student_finishing_in_80_days_is_told_the_day_she_becomes_eligible(rulebook: Rulebook) -> None:
    applicant = student(80)
    ccma = guidance_of(rulebook, applicant, AS_OF, "nha.ccma")
    completion = AS_OF + dt.timedelta(days=80)
    assert ccma.status == Verdict.UNDETERMINED  # today: not yet (and not "ineligible" with nothing said)
    assert ccma.eligible_from == completion
    assert ccma.nearest_route == "nha.ccma.training-program"
    change = next(c for c in ccma.timeline if c.on == completion)
    assert change.status == Verdict.ELIGIBLE and Assumption.PROGRAM_COMPLETES in change.assumptions
    assert [s.action for s in ccma.next_steps] == [Action.WAIT] and ccma.next_steps[0].on == completion
    # the training route closes five years after completion: the eligibility ahead has an end too
    assert ccma.eligible_until is not None and ccma.eligible_until > completion
    assert verdict_on(rulebook, applicant, AS_OF, ccma.eligible_until, "nha.ccma") == Verdict.ELIGIBLE
    assert verdict_on(rulebook, applicant, AS_OF, ccma.eligible_until + dt.timedelta(days=1), "nha.ccma") != (
        Verdict.ELIGIBLE
    )


def test_the_recertification_route_is_never_suggested_to_a_first_time_graduate(rulebook: Rulebook) -> None:
    cma = guidance_of(rulebook, student(80), AS_OF, "aama.cma")
    category_3 = next(r for r in cma.routes if r.id == "aama.cma.category-3")
    assert category_3.feasibility == Feasibility.PRECLUDED
    assert [s.cause for s in category_3.shortfalls] == [Cause.OWN_CREDENTIAL]
    assert cma.nearest_route == "aama.cma.category-1"


def mlt_graduate() -> dict[str, Any]:
    """The issue's 2021 MLT graduate: 4 of 6 biology hours, 30 months of full-time lab work, one area short."""
    return {
        "birth_date": "1995-01-01",
        "high_school": {"credential": "diploma"},
        "degrees": [
            {
                "level": "associate",
                "field": "biological-science",
                "conferred_date": "2021-05-01",
                "institution_accreditation": "usde",
            }
        ],
        "semester_hours": {"total": 64, "chemistry": 8, "biology": 4},
        "programs": [
            {
                "discipline": "medical-laboratory-technician",
                "status": "completed",
                "completion_date": "2021-05-15",
                "accreditor": "NAACLS",
                "military": False,
            }
        ],
        "work_experience": [
            {
                "role": "clinical-laboratory",
                "start_date": "2024-05-23",
                "hours_per_week": 40,
                "supervised": True,
                "lab_areas": ["blood-banking", "chemistry", "hematology", "microbiology", "urinalysis"],
            }
        ],
    }


def test_a_closed_window_is_precluded_and_the_route_she_can_act_on_is_the_nearest(rulebook: Rulebook) -> None:
    mlt = guidance_of(rulebook, mlt_graduate(), AS_OF, "ascp.mlt")
    routes = {r.id: r for r in mlt.routes}
    program = routes["ascp.mlt.accredited-program"]
    assert program.feasibility == Feasibility.PRECLUDED
    assert [(s.criterion, s.cause) for s in program.shortfalls] == [
        ("ascp.mlt.completed-within-5-years", Cause.WINDOW_CLOSED)
    ]
    assert mlt.nearest_route == "ascp.mlt.clinical-experience"
    gaps = {s.criterion: s for s in routes["ascp.mlt.clinical-experience"].shortfalls}
    biology = gaps["ascp.mlt.biology-6"]
    assert (biology.need, biology.amount, biology.unit.value, biology.effort) == (
        Need.MORE,
        2,
        "semester-hours",
        Effort.COURSEWORK,
    )
    areas = gaps["ascp.mlt.lab-areas-covered"]
    assert (areas.need, areas.values) == (Need.ALL_OF, ("immunology",))  # what is missing, not the whole list
    work = gaps["ascp.mlt.lab-work-3-of-10-years"]
    assert work.need == Need.MORE and work.unit.value == "months" and 5.5 < work.amount < 6.5
    assert work.strict is False  # at least 36 months: the amount itself will do
    assert work.on is not None and work.on > AS_OF  # the job goes on: the months come by themselves
    # the steps follow the effort order: work that accrues before coursework
    assert [s.criteria[0] for s in mlt.next_steps][-1] == "ascp.mlt.biology-6"


def lab_technician(**hours: float) -> dict[str, Any]:
    """The MLT graduate's degree with all the coursework and no program, in a full-time laboratory job covering
    every area since 2025-01-07 (686 days, 98 weeks, to AS_OF), its hours given as ``hours``: the experience
    route's 36 months are still ahead."""
    person = mlt_graduate()
    del person["programs"]
    person["semester_hours"] = {"chemistry": 8, "biology": 8}
    person["work_experience"] = [
        {
            "role": "clinical-laboratory",
            "start_date": "2025-01-07",
            "setting": "accredited-clinical-laboratory",
            "lab_areas": ["blood-banking", "chemistry", "hematology", "microbiology", "immunology", "urinalysis"],
            **hours,
        }
    ]
    return person


def test_an_ongoing_job_given_as_total_hours_goes_on_at_its_weekly_average(rulebook: Rulebook) -> None:
    # "You keep working as you do now": 3,920 hours in 98 weeks of a job still going is 40 hours a week from now
    # on too. Guidance once kept the total at 3,920 hours ahead, so the weekly average fell below ASCP's 35-hour
    # full time and the job stopped counting: no date at all, against 2028-01-06 for "40 hours a week".
    weekly = guidance_of(rulebook, lab_technician(hours_per_week=40), AS_OF, "ascp.mlt")
    total = guidance_of(rulebook, lab_technician(total_hours=3920), AS_OF, "ascp.mlt")
    assert weekly.eligible_from is not None
    assert total.eligible_from == weekly.eligible_from
    assert [(c.on, c.status, c.assumptions) for c in total.timeline] == [
        (c.on, c.status, c.assumptions) for c in weekly.timeline
    ]
    assert Assumption.WORK_CONTINUES in total.timeline[0].assumptions
    route = {r.id: r for r in total.routes}["ascp.mlt.clinical-experience"]
    work = {s.criterion: s for s in route.shortfalls}["ascp.mlt.lab-work-3-of-10-years"]
    assert work.on == total.eligible_from
    # the projection the checks use (tests.fixtures.project) agrees: eligible on that day, not the day before
    day = total.eligible_from
    assert verdict_on(rulebook, lab_technician(total_hours=3920), AS_OF, day, "ascp.mlt") == Verdict.ELIGIBLE
    before = verdict_on(rulebook, lab_technician(total_hours=3920), AS_OF, day - dt.timedelta(days=1), "ascp.mlt")
    assert before != Verdict.ELIGIBLE


def test_an_eligible_applicant_is_told_to_apply_and_until_when(rulebook: Rulebook) -> None:
    graduate = student(-30)
    graduate["programs"][0]["status"] = "completed"
    ccma = guidance_of(rulebook, graduate, AS_OF, "nha.ccma")
    assert ccma.status == Verdict.ELIGIBLE and ccma.eligible_from is None
    assert ccma.next_steps[0].action == Action.APPLY and ccma.next_steps[0].on == ccma.eligible_until
    assert ccma.eligible_until is not None
    assert verdict_on(rulebook, graduate, AS_OF, ccma.eligible_until, "nha.ccma") == Verdict.ELIGIBLE
    assert verdict_on(rulebook, graduate, AS_OF, ccma.eligible_until + dt.timedelta(days=1), "nha.ccma") != (
        Verdict.ELIGIBLE
    )


def test_a_credential_with_only_unchecked_routes_says_to_ask_the_body(rulebook: Rulebook) -> None:
    mlt = guidance_of(rulebook, student(80), AS_OF, "amt.mlt")
    assert mlt.nearest_route is None
    assert [s.action for s in mlt.next_steps] == [Action.CHECK]


# ---------------------------------------------------------------------------------------------- properties


def _days_between(a: dt.date, b: dt.date, data: st.DataObject) -> dt.date | None:
    if (b - a).days <= 1:
        return None
    return a + dt.timedelta(days=data.draw(st.integers(1, (b - a).days - 1)))


@PROPERTY
@given(cases(), st.data())
def test_eligible_from_is_the_first_eligible_day(rulebook: Rulebook, case: Any, data: st.DataObject) -> None:
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    for g in guidance_of(rulebook, applicant, as_of).values():
        if g.eligible_from is None:
            continue
        assert g.status != Verdict.ELIGIBLE
        assert verdict_on(rulebook, applicant, as_of, g.eligible_from, g.id) == Verdict.ELIGIBLE, g.id
        before = g.eligible_from - dt.timedelta(days=1)
        assert verdict_on(rulebook, applicant, as_of, before, g.id) != Verdict.ELIGIBLE, g.id


@PROPERTY
@given(cases(), st.data())
def test_no_verdict_changes_between_two_dates_of_the_timeline(
    rulebook: Rulebook, case: Any, data: st.DataObject
) -> None:
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    for g in guidance_of(rulebook, applicant, as_of).values():
        dates = [as_of, *(c.on for c in g.timeline), g.horizon]
        verdicts = [g.status, *(c.status for c in g.timeline)]
        for (start, end), verdict in zip(zip(dates, dates[1:], strict=False), verdicts, strict=False):
            assert start < end
            day = _days_between(start, end, data)
            if day is not None:
                assert verdict_on(rulebook, applicant, as_of, day, g.id) == verdict, (g.id, day)
        for change in g.timeline:  # and each date is a change, as the engine says
            assert verdict_on(rulebook, applicant, as_of, change.on, g.id) == change.status


def _field_target(rulebook: Rulebook, criterion: str) -> str | None:
    """The applicant field a number test reads (a field or the first of a sum), or None."""
    cred = criterion.rsplit(".", 1)[0]
    measure = rulebook.rules.credentials[cred].criteria[criterion.rsplit(".", 1)[1]].measure
    if measure.source not in ("field", "sum") or measure.kind != "number":
        return None
    return measure.inputs[0]


def _with(applicant: dict[str, Any], path: str, record: str | None, add: float) -> dict[str, Any]:
    """The applicant with ``add`` more of a field; a record's field on that record alone (the others removed,
    so the route cannot read another one)."""
    out = copy.deepcopy(applicant)
    section, attr = path.split(".")
    if section.endswith("[]"):
        assert record is not None
        index = int(record.split("[")[1].rstrip("]"))
        out[section[:-2]] = [out[section[:-2]][index]]
        target = out[section[:-2]][0]
    else:
        target = out.setdefault(section, {})
    target[attr] = (target.get(attr) or 0) + add
    return out


def _criterion_status(rulebook: Rulebook, applicant: dict[str, Any], as_of: dt.date, route: str, crit: str) -> str:
    evaluation = rulebook.evaluate(applicant, as_of=as_of, credentials=[route.rsplit(".", 1)[0]])
    [outcome] = evaluation.credentials
    found = next(r for r in outcome.routes if r.id == route)
    return next(c.status.value for c in found.criteria if c.id == crit)


@PROPERTY
@given(cases())
def test_a_shortfall_is_exact_and_minimal(rulebook: Rulebook, case: Any) -> None:
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    for g in guidance_of(rulebook, applicant, as_of).values():
        for route in g.routes:
            for s in route.shortfalls:
                path = _field_target(rulebook, s.criterion)
                if s.need != Need.MORE or s.strict or path is None or s.cause is not None or s.group:
                    continue
                if "[]" in path and s.record is None:
                    continue  # a program not listed yet
                exact = _with(applicant, path, s.record, s.amount)
                assert _criterion_status(rulebook, exact, as_of, route.id, s.criterion) == "met", s
                step = 1 if float(s.amount).is_integer() else 0.01
                less = _with(applicant, path, s.record, s.amount - step)
                assert _criterion_status(rulebook, less, as_of, route.id, s.criterion) == "unmet", s


@PROPERTY
@given(cases())
def test_precluded_routes_are_never_nearest_nor_met_later(rulebook: Rulebook, case: Any) -> None:
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    for g in guidance_of(rulebook, applicant, as_of).values():
        precluded = {r.id for r in g.routes if r.feasibility == Feasibility.PRECLUDED}
        assert g.nearest_route not in precluded
        for change in g.timeline:
            assert not precluded & set(change.routes), (g.id, change)
        for route in g.routes:
            assert (route.feasibility == Feasibility.PRECLUDED) == any(s.cause for s in route.shortfalls)


@PROPERTY
@given(cases())
def test_summaries_name_the_same_nearest_route_with_or_without_guidance_computed(rulebook: Rulebook, case: Any) -> None:
    """A batch summary takes guidance's nearest route when guidance was computed first (the serializer's
    order), and works it out alone otherwise: both ways give the same summaries."""
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    alone = rulebook.evaluate(applicant, as_of=as_of).summaries()
    guided = rulebook.evaluate(applicant, as_of=as_of)
    nearest = {g.id: g.nearest_route for g in guided.guidance()}
    assert guided.summaries() == alone
    assert {s.id: s.nearest_route for s in alone if s.status != Verdict.ELIGIBLE} == {
        cid: route for cid, route in nearest.items() if cid in {s.id for s in alone if s.status != Verdict.ELIGIBLE}
    }


AFTER_A_WINDOW = """\
criteria:
  completed:
    label: Has completed a program
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {days: 0}}
    cite: {source: doc}
  within-a-year:
    label: Completed it no more than a year ago
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: {years: 1}}
    cite: {source: doc}
  bachelor:
    label: Holds a bachelor's degree or higher
    measure: degree.level
    test: {at_least: bachelor}
    cite: {source: doc}
  high-school:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
routes:
  - {id: recent-program, label: A program completed within a year, criteria: [completed, within-a-year]}
  - {id: degree, label: A bachelor's degree, criteria: [bachelor]}
  - {id: diploma, label: A diploma, criteria: [high-school]}
"""


def test_the_route_after_an_eligibility_ends_weighs_every_route_on_that_day(tmp_path: Path) -> None:
    # Eligible now by a program completed within a year; from the day the year is over, the degree route is
    # precluded (an associate degree stays one: its shortfall lists the levels that would do) and the diploma
    # route, its fact not given, is the one left to name.
    book = load_rulebook(make_rule_set(tmp_path, credential(AFTER_A_WINDOW)))
    applicant = {
        "programs": [{"discipline": "medical-assisting", "status": "completed", "completion_date": "2026-06-01"}],
        "degrees": [{"level": "associate", "field": "medical-assisting"}],
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE
    assert found.eligible_until == dt.date(2027, 6, 1)
    assert found.after_until == "test.cred.diploma"
    later = guidance_of(book, applicant, dt.date(2027, 6, 2), "test.cred")
    degree = next(r for r in later.routes if r.id == "test.cred.degree")
    assert degree.feasibility == Feasibility.PRECLUDED
    assert [s.values for s in degree.shortfalls] == [("bachelor", "master", "doctorate")]
    assert later.nearest_route == found.after_until


AFTER_A_WINDOW_TWO_AGES = """\
criteria:
  completed:
    label: Has completed a program
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {days: 0}}
    cite: {source: doc}
  within-a-year:
    label: Completed it no more than a year ago
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: {years: 1}}
    cite: {source: doc}
  fifty:
    label: Is at least 50
    measure: age
    test: {at_least: 50}
    cite: {source: doc}
  thirty:
    label: Is at least 30
    measure: age
    test: {at_least: 30}
    cite: {source: doc}
routes:
  - {id: recent-program, label: A program completed within a year, criteria: [completed, within-a-year]}
  - {id: at-fifty, label: Fifty years of age, criteria: [fifty]}
  - {id: at-thirty, label: Thirty years of age, criteria: [thirty]}
"""


def test_routes_left_alike_are_ranked_by_the_day_they_are_met_after_an_eligibility_and_in_summaries(
    tmp_path: Path,
) -> None:
    # Eligible now by a program completed within a year. From the day the year is over, two routes are left,
    # both a wait for a birthday: the 50th, listed first, is decades away, the 30th half a year. Checked on
    # that day, the nearest route is the 30th birthday's (the one met first); the route named today as the
    # one after the eligibility ends must be the same.
    book = load_rulebook(make_rule_set(tmp_path, credential(AFTER_A_WINDOW_TWO_AGES)))
    applicant = {
        "birth_date": "1997-12-01",  # 30 on 2027-12-01, half a year after the window closes
        "programs": [{"discipline": "medical-assisting", "status": "completed", "completion_date": "2026-06-01"}],
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE
    assert found.eligible_until == dt.date(2027, 6, 1)
    later = guidance_of(book, applicant, dt.date(2027, 6, 2), "test.cred")
    assert later.nearest_route == "test.cred.at-thirty"
    assert found.after_until == later.nearest_route
    # and a summary made without guidance (a batch's) names the same route
    (alone,) = book.evaluate(applicant, as_of=dt.date(2027, 6, 2), credentials=["test.cred"]).summaries()
    assert alone.nearest_route == later.nearest_route


COMPLETED_STATUS = """\
criteria:
  graduated:
    label: The program is completed
    measure: program.status
    test: {one_of: [completed]}
    cite: {source: doc}
routes:
  - {id: graduate, label: A completed program, criteria: [graduated]}
"""


def test_a_program_in_progress_counts_as_completed_from_its_expected_date(tmp_path: Path) -> None:
    # A rule asking for the program's status (not its date): guidance projects the program as completed on its
    # completion date, so that is the first eligible day.
    book = load_rulebook(make_rule_set(tmp_path, credential(COMPLETED_STATUS)))
    program = {"discipline": "medical-assisting", "status": "in-progress", "completion_date": "2027-03-01"}
    applicant = {"programs": [program]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from == dt.date(2027, 3, 1)
    assert [(c.on, c.status, c.assumptions) for c in found.timeline] == [
        (dt.date(2027, 3, 1), Verdict.ELIGIBLE, (Assumption.PROGRAM_COMPLETES,))
    ]


GROUP_THEN_WINDOW = """\
criteria:
  completed:
    label: Has completed the program
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {days: 0}}
    cite: {source: doc}
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  within-2-years:
    label: Completed the program no more than 2 years ago
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: {years: 2}}
    cite: {source: doc}
routes:
  - id: graduate
    label: A program or a diploma, and a program within 2 years
    criteria:
      - id: program-or-diploma
        label: A completed program or a diploma
        any: [completed, diploma]
      - within-2-years
"""


def test_an_eligibility_a_group_opens_is_seen_to_end_when_a_window_closes(tmp_path: Path) -> None:
    # The group is met from the completion date (its `completed` member), the 2-year window closes later: the
    # timeline shows both days although the group stays met in between.
    book = load_rulebook(make_rule_set(tmp_path, credential(GROUP_THEN_WINDOW)))
    applicant = {
        "high_school": {"credential": "none"},
        "programs": [{"discipline": "medical-assisting", "status": "in-progress", "completion_date": "2027-03-01"}],
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.eligible_from == dt.date(2027, 3, 1)
    assert found.eligible_until == dt.date(2029, 3, 1)
    assert [(c.on, c.status) for c in found.timeline] == [
        (dt.date(2027, 3, 1), Verdict.ELIGIBLE),
        (dt.date(2029, 3, 2), Verdict.INELIGIBLE),
    ]


SUPERVISED_WORK = """\
criteria:
  supervised-work:
    label: At least 6 months of supervised work
    measure: {kind: experience, roles: [clinical-laboratory], total: months, supervised: true}
    test: {at_least: 6}
    cite: {source: doc}
routes:
  - {id: work, label: Work, criteria: [supervised-work]}
"""


def test_a_test_whose_low_and_high_bounds_pass_on_different_days_has_both_days_on_the_timeline(
    tmp_path: Path,
) -> None:
    # A job that may be supervised (not said) from 2026-12-01 and a supervised one from 2027-01-01: the upper
    # bound reaches 6 months first (undetermined), the lower one a month later (eligible). The search for the
    # days a test changes stopped at the first, so the day the applicant becomes eligible was missing.
    book = load_rulebook(make_rule_set(tmp_path, credential(SUPERVISED_WORK)))
    applicant = {
        "work_experience": [
            {"role": "clinical-laboratory", "start_date": "2026-12-01", "hours_per_week": 40},
            {"role": "clinical-laboratory", "start_date": "2027-01-01", "hours_per_week": 40, "supervised": True},
        ]
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert [c.status for c in found.timeline] == [Verdict.UNDETERMINED, Verdict.ELIGIBLE]
    maybe, sure = (c.on for c in found.timeline)
    assert found.eligible_from == sure
    for day, status in ((maybe, Verdict.UNDETERMINED), (sure, Verdict.ELIGIBLE)):
        assert verdict_on(book, applicant, AS_OF, day, "test.cred") == status
        assert verdict_on(book, applicant, AS_OF, day - dt.timedelta(days=1), "test.cred") != status


def test_a_supervised_job_beside_one_whose_supervision_is_not_said_dates_the_ccma_on_its_12th_month(
    rulebook: Rulebook,
) -> None:
    # NHA's work route: 12 months of supervised work within 3 years. The job from 2026-09-01 is supervised;
    # the one from 2026-06-01 may be. Guidance said eligible from 2029-05-31, missing the day the supervised
    # job alone gives 12 months.
    applicant = {
        "birth_date": "1995-01-01",
        "high_school": {"credential": "diploma"},
        "work_experience": [
            {"role": "medical-assistant", "start_date": "2026-06-01", "hours_per_week": 40},
            {"role": "medical-assistant", "start_date": "2026-09-01", "hours_per_week": 40, "supervised": True},
        ],
    }
    ccma = guidance_of(rulebook, applicant, AS_OF, "nha.ccma")
    assert ccma.eligible_from == dt.date(2027, 8, 31)
    assert verdict_on(rulebook, applicant, AS_OF, dt.date(2027, 8, 31), "nha.ccma") == Verdict.ELIGIBLE
    assert verdict_on(rulebook, applicant, AS_OF, dt.date(2027, 8, 30), "nha.ccma") != Verdict.ELIGIBLE


HALF_YEAR_HOURS = """\
criteria:
  part-time:
    label: At most 1,040 hours of laboratory work in the last 6 months
    measure: {kind: experience, roles: [clinical-laboratory], total: hours, within: {months: 6}}
    test: {at_most: 1040}
    cite: {source: doc}
routes:
  - {id: half-time, label: Part time, criteria: [part-time]}
"""


@pytest.mark.parametrize(
    ("window", "most", "start", "as_of"),
    [
        ("{months: 6}", 1040, "2020-01-01", AS_OF),  # a job over every window from today
        ("{months: 6}", 1040, "2026-10-20", AS_OF),  # over whole windows from 2027-04-20 only
        # a year is 366 days, both ends counted, and 367 when it holds a 29 February: 2,091 and 2,097 hours
        ("{years: 1}", 2095, "2027-02-10", dt.date(2027, 2, 15)),
    ],
)
def test_hours_over_a_whole_calendar_window_change_with_its_length_and_the_timeline_has_every_change(
    tmp_path: Path, window: str, most: int, start: str, as_of: dt.date
) -> None:
    # 40 hours a week over the last 6 months is 1,040 hours on a window of 182 days and 1,057 on one of 185:
    # hours, unlike months, are as many as the days worked, so the verdict changes as months fall. Guidance
    # took the total of a job over its whole window as steady and missed those days.
    rules = HALF_YEAR_HOURS.replace("{months: 6}", window).replace("at_most: 1040", f"at_most: {most}")
    book = load_rulebook(make_rule_set(tmp_path, credential(rules)))
    applicant = {"work_experience": [{"role": "clinical-laboratory", "start_date": start, "hours_per_week": 40}]}
    found = guidance_of(book, applicant, as_of, "test.cred")
    days = [as_of + dt.timedelta(days=k) for k in range(1, 800)]
    verdicts = [verdict_on(book, applicant, as_of, day, "test.cred") for day in days]
    before = [found.status, *verdicts[:-1]]
    seen = [(day, v) for day, v, b in zip(days, verdicts, before, strict=True) if v != b]
    assert len(seen) > 1  # not one steady verdict
    assert [(c.on, c.status) for c in found.timeline if c.on <= days[-1]] == seen


ACCRUED_HOURS = """\
criteria:
  hours:
    label: At least 2,000 hours of laboratory work
    measure: {kind: experience, roles: [clinical-laboratory], total: hours}
    test: {at_least: 2000}
    cite: {source: doc}
routes:
  - {id: worked, label: Worked, criteria: [hours]}
"""


@pytest.mark.parametrize(
    ("start", "total", "day"),
    [
        # 1,000 hours in the 100 days from 2026-08-16 to AS_OF, both counted: 10 hours a day from now on too,
        # so 2,000 hours on the 200th day, 2027-03-03 (the day before, 1,990)
        ("2026-08-16", 1000, dt.date(2027, 3, 3)),
        ("2026-11-23", 10, dt.date(2027, 6, 10)),  # a job begun today: 10 hours on its first day
    ],
)
def test_a_total_of_hours_so_far_reaches_a_threshold_on_the_day_its_average_says(
    tmp_path: Path, start: str, total: int, day: dt.date
) -> None:
    book = load_rulebook(make_rule_set(tmp_path, credential(ACCRUED_HOURS)))
    applicant = {"work_experience": [{"role": "clinical-laboratory", "start_date": start, "total_hours": total}]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.eligible_from == day
    assert verdict_on(book, applicant, AS_OF, day, "test.cred") == Verdict.ELIGIBLE
    assert verdict_on(book, applicant, AS_OF, day - dt.timedelta(days=1), "test.cred") == Verdict.INELIGIBLE


WORK_AND_PROGRAM = """\
criteria:
  some-work:
    label: At least a month of medical assistant work
    measure: {kind: experience, roles: [medical-assistant], total: months}
    test: {at_least: 1}
    cite: {source: doc}
  program-ended:
    label: A program's completion date has come
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {days: 0}}
    cite: {source: doc}
routes:
  - {id: both, label: Both, criteria: [some-work, program-ended]}
"""


def test_a_job_that_ends_today_is_not_assumed_to_go_on(tmp_path: Path) -> None:
    # The eligibility ahead rests on the program completing, not on work continuing: the job ends on AS_OF.
    book = load_rulebook(make_rule_set(tmp_path, credential(WORK_AND_PROGRAM)))
    applicant = student(30)
    applicant["work_experience"] = [
        {"role": "medical-assistant", "start_date": "2026-01-01", "end_date": AS_OF.isoformat(), "hours_per_week": 40}
    ]
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.eligible_from == AS_OF + dt.timedelta(days=30)
    assert found.timeline[0].assumptions == (Assumption.PROGRAM_COMPLETES,)
    applicant["work_experience"][0].pop("end_date")  # a job still going: both
    assert guidance_of(book, applicant, AS_OF, "test.cred").timeline[0].assumptions == (
        Assumption.PROGRAM_COMPLETES,
        Assumption.WORK_CONTINUES,
    )


TWO_BOUNDS = """\
criteria:
  some-work:
    label: Some work, 24 months at most
    measure: {kind: experience, roles: [clinical-laboratory], total: months}
    test: {more_than: 0, at_most: 24}
    cite: {source: doc}
routes:
  - {id: junior, label: Junior, criteria: [some-work]}
"""


def test_the_day_the_second_bound_of_a_test_fails_is_on_the_timeline(tmp_path: Path) -> None:
    # An ongoing job: `more_than: 0` stays met, `at_most: 24` fails one day (found by bisection on that bound).
    book = load_rulebook(make_rule_set(tmp_path, credential(TWO_BOUNDS)))
    applicant = {"work_experience": [{"role": "clinical-laboratory", "start_date": "2026-01-01", "hours_per_week": 40}]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE
    last = found.eligible_until
    assert last is not None and dt.date(2027, 12, 1) < last < dt.date(2028, 2, 1)
    assert verdict_on(book, applicant, AS_OF, last, "test.cred") == Verdict.ELIGIBLE
    assert verdict_on(book, applicant, AS_OF, last + dt.timedelta(days=1), "test.cred") == Verdict.INELIGIBLE
    assert [c.on for c in found.timeline] == [last + dt.timedelta(days=1)]


ROUTE_ENDS = """\
criteria:
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
  within-a-year:
    label: Completed a program no more than a year ago
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: {years: 1}}
    cite: {source: doc}
routes:
  - {id: by-diploma, label: A diploma, criteria: [diploma]}
  - id: recent
    label: A recent program
    effective: {to: 2027-03-31}
    criteria: [within-a-year]
"""


def test_the_timeline_lists_only_days_the_verdict_changes(tmp_path: Path) -> None:
    # The route `recent` goes out of effect and its window closes ahead; the diploma route stays met, so the
    # verdict never changes: nothing on the timeline, no end to the eligibility.
    book = load_rulebook(make_rule_set(tmp_path, credential(ROUTE_ENDS)))
    program = {"discipline": "medical-assisting", "status": "completed", "completion_date": "2026-06-01"}
    applicant = {"high_school": {"credential": "diploma"}, "programs": [program]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE
    assert found.timeline == ()
    assert found.eligible_until is None


PROGRAM_OR_AGE = """\
criteria:
  completed:
    label: Has completed a program
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {days: 0}}
    cite: {source: doc}
  adult:
    label: Is at least 21
    measure: age
    test: {at_least: 21}
    cite: {source: doc}
routes:
  - id: program-or-age
    label: A program, or 21 years of age
    criteria:
      - {id: program-or-adult, label: A program or 21 years, any: [completed, adult]}
"""


def test_with_no_program_listed_an_applicant_member_of_a_program_group_still_dates_the_eligibility(
    tmp_path: Path,
) -> None:
    # No program given: the group's program member cannot be read, its age member is met on the 21st birthday.
    book = load_rulebook(make_rule_set(tmp_path, credential(PROGRAM_OR_AGE)))
    found = guidance_of(book, {"birth_date": "2006-01-10", "programs": []}, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from == dt.date(2027, 1, 10)
    assert found.next_steps[0].action == Action.WAIT


def test_a_route_an_unchanging_fact_keeps_unmet_does_not_crowd_the_live_routes_days_out_of_the_timeline(
    tmp_path: Path,
) -> None:
    # Route `waits` needs an ABHES program and 1 to 50 months since completing it: the applicant's program is
    # CAAHEP-accredited, which never changes, so its 50 monthly days are no candidate days. Were they, the
    # 48 earliest candidate days (guidance's bound) would all be theirs, and the 21st birthday, 55 months
    # ahead, on which route `age` is met, would be missed.
    waits = "".join(
        f"  w{k}:\n    label: {k} months since completion\n"
        f"    measure: {{kind: time_since, date: program.completion_date}}\n"
        f"    test: {{at_least: {{months: {k}}}}}\n    cite: {{source: doc}}\n"
        for k in range(1, 51)
    )
    rules = credential(
        "criteria:\n"
        "  abhes:\n    label: An ABHES program\n    measure: program.accreditor\n"
        "    test: {one_of: [ABHES]}\n    cite: {source: doc}\n"
        "  adult:\n    label: Is at least 21\n    measure: age\n    test: {at_least: 21}\n    cite: {source: doc}\n"
        f"{waits}routes:\n"
        f"  - {{id: waits, label: Waits, criteria: [abhes, {', '.join(f'w{k}' for k in range(1, 51))}]}}\n"
        "  - {id: age, label: Age, criteria: [adult]}\n"
    )
    book = load_rulebook(make_rule_set(tmp_path, rules))
    birthday = dt.date(2031, 6, 23)  # 21 years old 55 months after AS_OF
    applicant = {
        "birth_date": birthday.replace(year=birthday.year - 21).isoformat(),
        "programs": [{"discipline": "other", "accreditor": "CAAHEP", "completion_date": AS_OF.isoformat()}],
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from == birthday
    assert verdict_on(book, applicant, AS_OF, birthday, "test.cred") == Verdict.ELIGIBLE
    assert verdict_on(book, applicant, AS_OF, birthday - dt.timedelta(days=1), "test.cred") == Verdict.INELIGIBLE


def _hours_credential(test: str) -> dict[str, str]:
    return credential(f"""\
criteria:
  hours:
    label: Semester hours
    measure: semester_hours.total
    test: {test}
    cite: {{source: doc}}
routes:
  - {{id: college, label: College credit, criteria: [hours]}}
""")


@pytest.mark.parametrize(
    ("test", "given", "need", "amount", "strict"),
    [
        ("{at_least: 60}", 58, Need.MORE, 2, False),
        ("{more_than: 60}", 58, Need.MORE, 2, True),  # more than 2 more
        ("{more_than: 60}", 60, Need.MORE, 0, True),  # exactly the bound: any more will do
        ("{at_most: 10}", 12, Need.LESS, 2, False),
        ("{less_than: 10}", 12, Need.LESS, 2, True),
        ("{less_than: 10}", 10, Need.LESS, 0, True),
        ("{at_least: 0, at_most: 10}", 12.5, Need.LESS, 2.5, False),  # the bound that fails, not the first one
    ],
)
def test_a_numeric_shortfall_states_the_bound_that_fails_and_how_far(
    tmp_path: Path, test: str, given: float, need: Need, amount: float, strict: bool
) -> None:
    book = load_rulebook(make_rule_set(tmp_path, _hours_credential(test)))
    found = guidance_of(book, {"semester_hours": {"total": given}}, AS_OF, "test.cred")
    (shortfall,) = found.routes[0].shortfalls
    assert (shortfall.need, shortfall.amount, shortfall.strict) == (need, amount, strict)
    assert shortfall.effort == Effort.COURSEWORK and shortfall.unit.value == "semester-hours"


DEGREE_AND_PROGRAM = """\
criteria:
  bachelor-or-master:
    label: Holds a bachelor's or a master's degree
    measure: degree.level
    test: {one_of: [bachelor, master]}
    cite: {source: doc}
  program:
    label: A medical-assisting program
    measure: program.discipline
    test: {one_of: [medical-assisting]}
    cite: {source: doc}
routes:
  - {id: degree, label: A degree, criteria: [bachelor-or-master]}
  - {id: program-route, label: A program, criteria: [program]}
"""


def test_shortfalls_name_levels_by_their_codes_and_no_record_when_none_is_listed(tmp_path: Path) -> None:
    book = load_rulebook(make_rule_set(tmp_path, credential(DEGREE_AND_PROGRAM)))
    applicant = {"degrees": [{"level": "associate", "field": "medical-assisting"}], "programs": []}
    routes = {r.id: r for r in guidance_of(book, applicant, AS_OF, "test.cred").routes}
    (degree,) = routes["test.cred.degree"].shortfalls
    assert (degree.need, degree.values, degree.record) == (Need.ONE_OF, ("bachelor", "master"), "degrees[0]")
    (program,) = routes["test.cred.program-route"].shortfalls
    assert (program.need, program.record, program.effort) == (Need.RECORD, None, Effort.PROGRAM)


TWO_PROGRAMS = """\
criteria:
  diploma:
    label: Has a diploma or a GED
    measure: high_school.credential
    test: {one_of: [diploma, ged]}
    cite: {source: doc}
  hours-900:
    label: A program of 900 clock hours
    measure: program.clock_hours
    test: {at_least: 900}
    cite: {source: doc}
  weeks-20:
    label: A program of 20 weeks
    measure: program.duration_weeks
    test: {at_least: 20}
    cite: {source: doc}
routes:
  - {id: school, label: School, criteria: [diploma]}
  - {id: program-route, label: Program, criteria: [hours-900, weeks-20]}
"""


def test_shortfalls_are_those_of_the_record_the_route_read_and_a_missing_diploma_can_be_made_up(
    tmp_path: Path,
) -> None:
    # Two programs in progress, both able to make the route: the second meets more of it (the route reads it),
    # so its one shortfall is given, not the first program's two. No diploma: a fact that can still change.
    book = load_rulebook(make_rule_set(tmp_path, credential(TWO_PROGRAMS)))
    programs = [
        {"discipline": "medical-assisting", "status": "in-progress", "clock_hours": 100, "duration_weeks": 10},
        {"discipline": "medical-assisting", "status": "in-progress", "clock_hours": 800, "duration_weeks": 30},
    ]
    routes = {
        r.id: r
        for r in guidance_of(
            book, {"high_school": {"credential": "none"}, "programs": programs}, AS_OF, "test.cred"
        ).routes
    }
    program = routes["test.cred.program-route"]
    assert [(s.criterion, s.record, s.amount) for s in program.shortfalls] == [
        ("test.cred.hours-900", "programs[1]", 100)
    ]
    school = routes["test.cred.school"]
    assert school.feasibility == Feasibility.POSSIBLE and school.shortfalls[0].cause is None


UNTIL_MARCH = """\
criteria:
  adult:
    label: Is at least 21
    measure: age
    test: {at_least: 21}
    cite: {source: doc}
routes:
  - id: until-march
    label: Open until the end of March 2027
    effective: {to: 2027-03-31}
    criteria: [adult]
"""


def test_a_route_going_out_of_effect_ends_an_eligibility_that_began_the_day_before_its_last(tmp_path: Path) -> None:
    # The days ahead are evaluated with the plan of their period (between days a rule starts or stops
    # applying): 2027-03-30 and 2027-03-31 are in the route's last period, 2027-04-01 is not.
    book = load_rulebook(make_rule_set(tmp_path, credential(UNTIL_MARCH)))
    found = guidance_of(book, {"birth_date": "2006-03-30"}, AS_OF, "test.cred")
    assert (found.eligible_from, found.eligible_until) == (dt.date(2027, 3, 30), dt.date(2027, 3, 31))
    assert [(c.on, c.status) for c in found.timeline] == [
        (dt.date(2027, 3, 30), Verdict.ELIGIBLE),
        (dt.date(2027, 4, 1), Verdict.INELIGIBLE),
    ]


RECENT_WORK = """\
criteria:
  recent-year:
    label: At least 12 months of laboratory work within the last 3 years
    measure: {kind: experience, roles: [clinical-laboratory], total: months, within: {years: 3}}
    test: {at_least: 12}
    cite: {source: doc}
routes:
  - {id: recent, label: Recent work, criteria: [recent-year]}
"""


def _verdict_changes(book: Rulebook, applicant: dict[str, Any], start: dt.date, end: dt.date) -> list[Any]:
    """The days from ``start`` to ``end`` on which the verdict differs from the day before, evaluated day by
    day (no events, no bisection): what the timeline must list."""
    out, previous = [], verdict_on(book, applicant, start, start, "test.cred")
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        verdict = verdict_on(book, applicant, start, day, "test.cred")
        if verdict != previous:
            out.append((day, verdict))
        previous = verdict
    return out


def _timeline_checked(book: Rulebook, applicant: dict[str, Any], as_of: dt.date, horizon: dt.date) -> Any:
    """The credential's guidance, once its timeline is shown to be the day-by-day verdict changes."""
    found = guidance_of(book, applicant, as_of, "test.cred")
    assert [(c.on, c.status) for c in found.timeline] == _verdict_changes(book, applicant, as_of, horizon)
    return found


def _lab_jobs(jobs: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Full-time clinical-laboratory jobs from (start, end) pairs (end None: ongoing)."""
    return [
        {"role": "clinical-laboratory", "start_date": start, "end_date": end, "hours_per_week": 40}
        for start, end in jobs
    ]


@pytest.mark.parametrize(
    ("jobs", "as_of", "changes"),
    [
        # ended: met until the window's start has passed six months into the job
        ([("2024-01-01", "2025-06-30")], AS_OF, [Verdict.INELIGIBLE]),
        # two jobs a month apart, 8 and 7 months: met once the second has lasted 4 months (together 12), then
        # unmet when the window's start has left enough of the first behind
        (
            [("2024-03-01", "2024-10-31"), ("2024-12-01", "2025-06-30")],
            dt.date(2025, 2, 27),
            [Verdict.ELIGIBLE, Verdict.INELIGIBLE],
        ),
        # ongoing, started a month ago: met a year after its start, and stays met
        ([("2026-10-23", None)], AS_OF, [Verdict.ELIGIBLE]),
    ],
)
def test_the_days_a_windowed_experience_total_crosses_its_bound_are_the_timeline(
    tmp_path: Path, jobs: list[tuple[str, str | None]], as_of: dt.date, changes: list[Verdict]
) -> None:
    # `_job_events`: the days a job starts or ends and the days the window's start passes a job's edges; the
    # crossings between them are found by bisection. Each is checked against a day-by-day evaluation.
    book = load_rulebook(make_rule_set(tmp_path, credential(RECENT_WORK)))
    applicant = {"work_experience": _lab_jobs(jobs)}
    found = _timeline_checked(book, applicant, as_of, dt.date(as_of.year + 4, as_of.month, 1))
    assert [c.status for c in found.timeline] == changes
    eligible = [c.on for c in found.timeline if c.status == Verdict.ELIGIBLE]
    ended = [c.on - dt.timedelta(days=1) for c in found.timeline if c.status != Verdict.ELIGIBLE]
    assert found.eligible_from == (eligible[0] if eligible and found.status != Verdict.ELIGIBLE else None)
    assert found.eligible_until == (ended[0] if ended else None)


RECENT_MLS = """\
criteria:
  recent-mls:
    label: Earned the MLS(ASCPi) within the last year
    measure: {kind: certifications, earned_within: {years: 1}}
    test: {includes_any: [ascpi.mls]}
    cite: {source: doc}
routes:
  - {id: recertify, label: Recertify, criteria: [recent-mls]}
"""


@pytest.mark.parametrize(
    ("earned", "as_of", "until"),
    [
        ("2026-03-15", AS_OF, dt.date(2027, 3, 15)),
        # a year from 29 February: the window reaches back to 28 February, so it is the last day
        ("2024-02-29", dt.date(2024, 11, 1), dt.date(2025, 2, 28)),
        # earned on a month's last day, evaluated on another month's
        ("2026-01-31", dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
    ],
)
def test_a_credential_earned_within_a_window_is_eligible_to_the_windows_last_day(
    tmp_path: Path, earned: str, as_of: dt.date, until: dt.date
) -> None:
    # `_earned_events`: the day a credential leaves its `earned_within` window is asked about
    book = load_rulebook(make_rule_set(tmp_path, credential(RECENT_MLS)))
    applicant = {"certifications": [{"credential": "ascpi.mls", "earned_date": earned, "status": "active"}]}
    found = guidance_of(book, applicant, as_of, "test.cred")
    assert found.status == Verdict.ELIGIBLE and found.eligible_until == until
    assert [(c.on, c.status) for c in found.timeline] == [(until + dt.timedelta(days=1), Verdict.INELIGIBLE)]
    assert verdict_on(book, applicant, as_of, until, "test.cred") == Verdict.ELIGIBLE
    assert verdict_on(book, applicant, as_of, until + dt.timedelta(days=1), "test.cred") != Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("window", "second", "changes"),
    [
        # 6 months back from 2024-08-29, 30 and 31 is 2024-02-29 (month ends clamp): an MLS earned that day is
        # within 6 months until 31 August, three days after 29 August, past the days guidance asked about; with
        # a second one earned ahead the verdict was eligible at both ends of the days between, and the months
        # without a credential in its window were missing from the timeline
        ("{months: 6}", "2026-02-27", ["2024-09-01", "2026-02-27", "2026-08-28"]),
        # the second earned before the first would leave a window counted a month too long
        ("{months: 6}", "2024-12-01", ["2024-09-01", "2024-12-01", "2025-06-02"]),
        ("{days: 90}", "2024-07-01", ["2024-05-30", "2024-07-01", "2024-09-30"]),
        ("{years: 1}", "2025-03-15", ["2025-03-01", "2025-03-15", "2026-03-16"]),
    ],
)
def test_the_days_a_credential_enters_and_leaves_its_window_are_on_the_timeline(
    tmp_path: Path, window: str, second: str, changes: list[str]
) -> None:
    rules = RECENT_MLS.replace("{years: 1}", window)
    book = load_rulebook(make_rule_set(tmp_path, credential(rules)))
    applicant = {
        "certifications": [
            {"credential": "ascpi.mls", "earned_date": "2024-02-29", "status": "active"},
            {"credential": "ascpi.mls", "earned_date": second, "status": "active"},
        ]
    }
    as_of = dt.date(2024, 2, 29)
    found = guidance_of(book, applicant, as_of, "test.cred")
    expected = [
        (dt.date.fromisoformat(day), status)
        for day, status in zip(changes, (Verdict.INELIGIBLE, Verdict.ELIGIBLE, Verdict.INELIGIBLE), strict=True)
    ]
    assert found.status == Verdict.ELIGIBLE and found.eligible_until == expected[0][0] - dt.timedelta(days=1)
    assert [(c.on, c.status) for c in found.timeline] == expected
    for day, status in expected:
        assert verdict_on(book, applicant, as_of, day, "test.cred") == status
        assert verdict_on(book, applicant, as_of, day - dt.timedelta(days=1), "test.cred") != status


def test_a_window_counted_in_days_ends_the_eligibility_on_its_last_day(tmp_path: Path) -> None:
    # `earned_within: {days: 90}`: earned on 2026-10-01, the credential counts through 2026-12-30 (90 days on).
    book = load_rulebook(make_rule_set(tmp_path, credential(RECENT_MLS.replace("{years: 1}", "{days: 90}"))))
    applicant = {"certifications": [{"credential": "ascpi.mls", "earned_date": "2026-10-01", "status": "active"}]}
    last = dt.date(2026, 12, 30)
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE and found.eligible_until == last
    assert verdict_on(book, applicant, AS_OF, last, "test.cred") == Verdict.ELIGIBLE
    assert verdict_on(book, applicant, AS_OF, last + dt.timedelta(days=1), "test.cred") == Verdict.INELIGIBLE


def test_a_credential_dated_ahead_dates_the_eligibility_on_the_day_it_is_earned(tmp_path: Path) -> None:
    # Guidance's own reading of `includes_any` finds the day the credential enters its window (no event
    # marks it; only leaving the window is one): a reading that never holds would miss the eligibility.
    book = load_rulebook(make_rule_set(tmp_path, credential(RECENT_MLS)))
    earned = AS_OF + dt.timedelta(days=30)
    applicant = {"certifications": [{"credential": "ascpi.mls", "earned_date": earned.isoformat(), "status": "active"}]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE and found.eligible_from == earned
    assert verdict_on(book, applicant, AS_OF, earned - dt.timedelta(days=1), "test.cred") == Verdict.INELIGIBLE


WORK_SINCE_PROGRAM = """\
criteria:
  work-since:
    label: At least 6 months of laboratory work since completing the program
    measure: {kind: experience, roles: [clinical-laboratory], total: months, since: program.completion_date}
    test: {at_least: 6}
    cite: {source: doc}
routes:
  - {id: since, label: Work since the program, criteria: [work-since]}
"""


@pytest.mark.parametrize(
    ("completed", "jobs", "changes"),
    [
        # a job that began before the program ended counts from the completion date only
        ("2026-09-30", [("2026-03-01", None)], [Verdict.ELIGIBLE]),
        # a program in progress: the job counts from its expected completion date
        ("2027-02-15", [("2026-10-01", None)], [Verdict.ELIGIBLE]),
    ],
)
def test_experience_since_a_date_is_eligible_the_day_the_total_since_it_is_reached(
    tmp_path: Path, completed: str, jobs: list[tuple[str, str | None]], changes: list[Verdict]
) -> None:
    # `_job_events` with `since`: the since date is a day the total starts to grow
    book = load_rulebook(make_rule_set(tmp_path, credential(WORK_SINCE_PROGRAM)))
    status = "completed" if dt.date.fromisoformat(completed) <= AS_OF else "in-progress"
    applicant = {
        "programs": [{"discipline": "medical-laboratory-technician", "status": status, "completion_date": completed}],
        "work_experience": _lab_jobs(jobs),
    }
    found = _timeline_checked(book, applicant, AS_OF, dt.date(2028, 6, 1))
    assert [c.status for c in found.timeline] == changes
    assert found.eligible_from == found.timeline[0].on
    # six months of work counted from the completion date, not from the job's start
    assert 180 <= (found.eligible_from - dt.date.fromisoformat(completed)).days <= 185


HOURS_WITHIN_2_YEARS = """\
criteria:
  recent-hours:
    label: At least {hours} hours of laboratory work within the last 2 years
    measure: {{kind: experience, roles: [clinical-laboratory], total: hours, within: {{years: 2}}}}
    test: {{at_least: {hours}}}
    cite: {{source: doc}}
routes:
  - {{id: recent, label: Recent hours, criteria: [recent-hours]}}
"""


@pytest.mark.parametrize(
    ("hours", "second_job", "changes"),
    [
        (1400, "2026-06-01", [Verdict.INELIGIBLE, Verdict.ELIGIBLE]),
        (1400, "2026-03-01", [Verdict.INELIGIBLE, Verdict.ELIGIBLE]),
        (1600, "2026-06-01", [Verdict.ELIGIBLE, Verdict.INELIGIBLE, Verdict.ELIGIBLE]),
    ],
)
def test_a_windowed_total_that_falls_then_rises_again_has_every_change_on_the_timeline(
    tmp_path: Path, hours: int, second_job: str, changes: list[Verdict]
) -> None:
    # A full-time job leaves the 2-year window while a half-time one adds hours: the total rises, falls while
    # the first job leaves the window (40 hours a week out, 20 in), then rises again. Only the days the
    # window's start passes the first job's edges (`_job_events`) bound the fall.
    book = load_rulebook(make_rule_set(tmp_path, credential(HOURS_WITHIN_2_YEARS.format(hours=hours))))
    applicant = {
        "work_experience": [
            {"role": "clinical-laboratory", "start_date": "2025-01-01", "end_date": "2025-06-30", "hours_per_week": 40},
            {"role": "clinical-laboratory", "start_date": second_job, "hours_per_week": 20},
        ]
    }
    found = _timeline_checked(book, applicant, AS_OF, dt.date(2029, 1, 1))
    assert [c.status for c in found.timeline] == changes


DATED_WINDOW_AND_STATUS = """\
criteria:
  long-ago:
    label: Completed the program more than a dated number of years ago
    measure: {kind: time_since, date: program.completion_date}
    test:
      more_than:
        - {value: {years: 5}, to: 2026-06-15}
        - {value: {years: 1}, from: 2026-06-16, to: 2026-07-30}
        - {value: {years: 3}, from: 2026-08-01, to: 2026-11-09}
    cite: {source: doc}
  completed:
    label: The program is completed
    measure: program.status
    test: {one_of: [completed]}
    cite: {source: doc}
routes:
  - {id: r, label: A program completed long ago, criteria: [long-ago, completed]}
"""


def test_a_reading_unknown_on_one_side_of_a_span_does_not_break_the_search_for_changes(tmp_path: Path) -> None:
    # Found by test_generated_rules (seed 34): a program still in progress on its completion date has no
    # reading of "time since completion" today (one signal: unknown), while its projected reading on a later
    # day has one signal per dated version of the test (three here). Guidance compared the two tuples signal
    # by signal and raised IndexError, so the whole evaluation failed.
    book = load_rulebook(make_rule_set(tmp_path, credential(DATED_WINDOW_AND_STATUS)))
    as_of = dt.date(2026, 2, 14)
    applicant = {"programs": [{"discipline": "other", "status": "in-progress", "completion_date": "2026-02-14"}]}
    found = guidance_of(book, applicant, as_of, "test.cred")
    # the thresholds ask for 5, then 1, then 3 years, and no version applies after 2026-11-09: the program,
    # completed today at the earliest, never meets them within their dates
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from is None
    assert all(change.status != Verdict.ELIGIBLE for change in found.timeline)


TWO_VERSIONS_APART = """\
criteria:
  long-enough:
    label: Completed the program long enough ago (1 year until 2026, 3 years from 2027)
    measure: {kind: time_since, date: program.completion_date}
    test:
      at_least:
        - {value: {years: 1}, to: 2026-12-31}
        - {value: {years: 3}, from: 2027-01-01}
    cite: {source: doc}
routes:
  - {id: r, label: A program completed long enough ago, criteria: [long-enough]}
"""


def test_each_dated_version_of_a_test_is_searched_for_its_own_day_of_change(tmp_path: Path) -> None:
    # After 2027-01-01 (the last bound) both versions' signals change: the 1-year one on 2027-06-01, which
    # no longer applies, and the 3-year one on 2029-06-01, which does. Searching the span for the first change
    # of any signal would find only 2027-06-01 and miss the eligibility.
    book = load_rulebook(make_rule_set(tmp_path, credential(TWO_VERSIONS_APART)))
    applicant = {"programs": [{"discipline": "other", "status": "completed", "completion_date": "2026-06-01"}]}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from == dt.date(2029, 6, 1)
    assert [(c.on, c.status) for c in found.timeline] == [(dt.date(2029, 6, 1), Verdict.ELIGIBLE)]


TEN_YEARS_SINCE = """\
criteria:
  ten-years:
    label: Completed the program at least 10 years ago
    measure: {kind: time_since, date: program.completion_date}
    test: {at_least: {years: 10}}
    cite: {source: doc}
routes:
  - {id: r, label: A program completed 10 years ago, criteria: [ten-years]}
"""


def test_the_timeline_lists_changes_before_its_horizon_not_on_it(tmp_path: Path) -> None:
    # The horizon is 10 years ahead, and the timeline covers the days before it: a program completed the day
    # before the evaluation date is 10 years old the day before the horizon (listed); one completed on the
    # evaluation date reaches 10 years on the horizon itself (not listed).
    book = load_rulebook(make_rule_set(tmp_path, credential(TEN_YEARS_SINCE)))
    for completed, listed in ((AS_OF - dt.timedelta(days=1), True), (AS_OF, False)):
        applicant = {"programs": [{"discipline": "other", "status": "completed", "completion_date": str(completed)}]}
        found = guidance_of(book, applicant, AS_OF, "test.cred")
        assert found.horizon == dt.date(2036, 11, 23)
        reached = dt.date(completed.year + 10, completed.month, completed.day)
        assert found.eligible_from == (reached if listed else None)
        assert [c.on for c in found.timeline] == ([reached] if listed else [])


LATER_ROUTE = """\
criteria:
  a-year-since:
    label: Completed the program more than a year ago
    measure: {kind: time_since, date: program.completion_date}
    test: {more_than: {years: 1}}
    cite: {source: doc}
routes:
  - {id: new, label: A route offered from 2027-03-01, criteria: [a-year-since], effective: {from: 2027-03-01}}
"""

LATER_CRITERION = """\
criteria:
  two-years-since:
    label: Completed the program more than 2 years ago (asked from 2027)
    measure: {kind: time_since, date: program.completion_date}
    test: {more_than: {years: 2}}
    cite: {source: doc}
    effective: {from: 2027-01-01}
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
routes:
  - {id: diploma-and-program, label: A diploma and a program 2 years ago, criteria: [diploma, two-years-since]}
"""


def test_routes_and_criteria_coming_into_effect_ahead_have_their_own_days_of_change(tmp_path: Path) -> None:
    # Found by checking generated rule sets' timelines against verdicts day by day: only the criteria in effect
    # today, of routes in effect today, were searched for days of change. The route of `later.route` opens on
    # 2027-03-01 and its criterion is met from 2027-06-02 (a year and a day after completion); the criterion of
    # `later.criterion`, asked from 2027-01-01, is met from 2028-06-02. Both days were missed.
    files = {**credential(LATER_ROUTE, "later.route"), **credential(LATER_CRITERION, "later.criterion")}
    book = load_rulebook(make_rule_set(tmp_path, files))
    applicant = {
        "programs": [{"discipline": "other", "status": "completed", "completion_date": "2026-06-01"}],
        "high_school": {"credential": "diploma"},
    }
    route = guidance_of(book, applicant, AS_OF, "later.route")
    assert route.status == Verdict.INELIGIBLE
    assert route.eligible_from == dt.date(2027, 6, 2)
    criterion = guidance_of(book, applicant, AS_OF, "later.criterion")
    assert criterion.status == Verdict.ELIGIBLE
    assert criterion.eligible_until == dt.date(2026, 12, 31)
    assert [(c.on, c.status) for c in criterion.timeline] == [
        (dt.date(2027, 1, 1), Verdict.INELIGIBLE),
        (dt.date(2028, 6, 2), Verdict.ELIGIBLE),
    ]


REVIVED_ROUTE = """\
criteria:
  within-a-year:
    label: Finished high school more than 90 days and at most a year ago
    measure: {kind: time_since, date: high_school.date}
    test: {more_than: {days: 90}, at_most: {days: 365}}
    cite: {source: doc}
  finished:
    label: Has finished high school (asked from 2027)
    measure: {kind: time_since, date: high_school.date}
    test: {at_least: {days: 1}}
    cite: {source: doc}
    effective: {from: 2027-01-01}
  fifty-draws:
    label: At least 50 draws in the program
    measure: program.venipunctures
    test: {at_least: 50}
    cite: {source: doc}
routes:
  - id: recent
    label: Recently out of high school
    criteria:
      - within-a-year
      - {id: finished-or-draws, label: Finished or 50 draws, any: [finished, fifty-draws]}
"""


def test_a_route_kept_unmet_today_by_a_group_that_gains_a_member_ahead_has_its_days_of_change(
    tmp_path: Path,
) -> None:
    # Today the group is its program member alone, unmet for good (no program): the route looked dead, so its
    # window's end (a year after high school) was never searched. From 2027-01-01 the group has a member
    # that is met, and the window decides: eligible from 2027-01-01 until 2027-10-01.
    book = load_rulebook(make_rule_set(tmp_path, credential(REVIVED_ROUTE)))
    applicant = {"high_school": {"credential": "diploma", "date": "2026-10-01"}, "programs": []}
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert [(c.on, c.status) for c in found.timeline] == [
        (dt.date(2027, 1, 1), Verdict.ELIGIBLE),
        (dt.date(2027, 10, 2), Verdict.INELIGIBLE),
    ]
    assert (found.eligible_from, found.eligible_until) == (dt.date(2027, 1, 1), dt.date(2027, 10, 1))


THRESHOLD_FROM_LATER = """\
criteria:
  within-a-year:
    label: Completed the program at most a year ago (a threshold from 2027 on)
    measure: {kind: time_since, date: program.completion_date}
    test: {at_most: [{value: {years: 1}, from: 2027-01-01}]}
    cite: {source: doc}
  diploma:
    label: Has a diploma
    measure: high_school.credential
    test: {one_of: [diploma]}
    cite: {source: doc}
routes:
  - {id: diploma-and-program, label: A diploma and a recent program, criteria: [diploma, within-a-year]}
"""


def test_a_criterion_whose_dated_threshold_starts_ahead_has_its_days_of_change(tmp_path: Path) -> None:
    # The threshold has no value today, so the criterion is out of today's plan (the route is the diploma
    # alone: eligible). From 2027-01-01 it applies, and it stops being met a year after the completion.
    book = load_rulebook(make_rule_set(tmp_path, credential(THRESHOLD_FROM_LATER)))
    applicant = {
        "programs": [{"discipline": "other", "status": "completed", "completion_date": "2026-06-01"}],
        "high_school": {"credential": "diploma"},
    }
    found = guidance_of(book, applicant, AS_OF, "test.cred")
    assert found.status == Verdict.ELIGIBLE
    assert [(c.on, c.status) for c in found.timeline] == [(dt.date(2027, 6, 2), Verdict.INELIGIBLE)]
    assert found.eligible_until == dt.date(2027, 6, 1)


LEAVES_EFFECT = """\
criteria:
  over-21:
    label: Is over 21
    measure: age
    test: {more_than: 21}
    cite: {source: doc}
  not-postsecondary:
    label: The program is not postsecondary (asked until January 2027)
    measure: program.postsecondary
    test: {is: false}
    cite: {source: doc}
    effective: {to: 2027-01-31}
routes:
  - {id: adult, label: Over 21 and a program not postsecondary, criteria: [over-21, not-postsecondary]}
"""


def test_a_criterion_that_keeps_a_route_unmet_until_it_leaves_effect_does_not_make_the_route_dead(
    tmp_path: Path,
) -> None:
    # With no program, the program criterion is unmet on every day it is asked; it was taken as unmet for good,
    # so the route looked dead and its age criterion was never searched. From 2027-02-01 it is no longer asked,
    # and the applicant is over 21 (22) from 2027-06-01.
    book = load_rulebook(make_rule_set(tmp_path, credential(LEAVES_EFFECT)))
    found = guidance_of(book, {"birth_date": "2005-06-01", "programs": []}, AS_OF, "test.cred")
    assert found.status == Verdict.INELIGIBLE
    assert found.eligible_from == dt.date(2027, 6, 1)
    assert [(c.on, c.status) for c in found.timeline] == [(dt.date(2027, 6, 1), Verdict.ELIGIBLE)]
