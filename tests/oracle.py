"""A differential oracle: a deliberately simple, independent evaluator of the rule files.

It exists only to be compared with the production engine (``tests/engine/test_oracle.py``). It reads
``rules/vocabulary.yaml`` and ``rules/credentials/*/*.yaml`` itself with PyYAML and interprets them in plain
Python, with no durable-rules and nothing imported from the engine's evaluation code. What it knows of the
semantics comes from ``rules/README.md``, the field docstrings of ``engine/_schema.py`` and
``engine/applicant.py``, the statuses documented in ``engine/_results.py`` and the YAML fixtures in
``tests/rules/``. Speed and explanations do not matter here; being obviously right does.

Semantics, as implemented here
------------------------------
* Statuses are three-valued: ``met``, ``unmet``, ``unknown``. A route is the AND of its entries (``common``
  first), a group the OR of its members (Kleene logic: unmet < unknown < met, AND = min, OR = max).
  A credential is ``eligible`` if any route is met, ``ineligible`` if every route in effect is unmet,
  ``undetermined`` otherwise (unencoded routes are routes too: see below). With no route in effect on the
  evaluation date it is ``ineligible``: no route is offered that day.
* Missing facts. A measure that needs a missing fact is unknown: a field, the age, a date of a time
  measure (``end_absent: zero`` reads a missing ``end`` as no time at all, whatever the ``start``), a sum
  with any part missing (``tests/rules/credentials/ascp/pbt.yaml``: "leaves the collection count unknown,
  even with 120 venipunctures"), a program's ``completion_date`` measured against the evaluation date when
  its ``status`` contradicts it (in progress with the date passed, completed with the date ahead). An
  experience total ``since`` a missing date is anything from 0 to all the
  matching work ever done. Beyond that, partial knowledge: a criterion is
  met if its test holds whatever the unknown facts turn out to be, unmet if it fails whatever they are,
  unknown otherwise. A job whose filter is unknown counts for the upper bound of a total only; a job's
  unknown hours or counts are anything from 0 up; an absent ``work_experience`` or ``certifications`` list
  could hold anything, an empty one holds nothing.
* Record-level criteria (measures reading ``program.*`` or ``degree.*``, including an experience window
  ``since`` a program date) must all hold for the same record. For each record kind a route uses, every
  record is tried: its *part* is the AND of the route's entries that involve that kind (a group is
  evaluated whole on the record, its other members included). The route uses the record that comes
  closest, ranked by part status (met > unknown > unmet), then by how many of the route's record-level
  criteria it meets, then by lowest index -- the record the production result reports, so that
  criterion statuses can be compared one by one. An absent list (``programs`` left out) makes every
  record-level criterion ``unknown``; an empty list (``programs: []``) makes them ``unmet``.
* Calendar arithmetic: adding months or years clamps the day to the end of the month (Jan 31 + 1 month =
  Feb 28; Feb 29 + 1 year = Feb 28). Age is in completed years: the birthday of a Feb 29 birth falls on
  Feb 28 in common years. Time measures (``time_since``, ``time_until``, ``time_between``) compared with
  ``{days: n}`` compare day counts; with months or years they count whole months from the measure's
  reference date, like a window: back from the evaluation date for ``time_since``, back from ``end`` for
  ``time_between``, forward from the evaluation date for ``time_until``. So ``time from a to b <= n months``
  iff ``a >= b - n months``: "within 4 years" of 2026-11-23 is on or after 2022-11-23, and on 2028-02-29 a
  date of 2023-02-28 is exactly 5 years ago (2028-02-29 - 5 years = 2023-02-28), as for experience windows.
* Experience: jobs whose role is listed; filters ``supervised``, ``settings`` and ``min_hours_per_week``
  (weekly hours are ``hours_per_week``, else ``total_hours`` over the job's weeks, rounded to 4 decimals)
  may be unknown for a job,
  which then counts for the upper bound only. The window is ``within`` (a duration ending on the evaluation
  date: from the evaluation date minus the duration, calendar-clamped, to the evaluation date, both
  inclusive; 3 years before 2028-02-29 is 2025-02-28), ``since`` a program date (that day
  to the evaluation date, inclusive), or everything up to the evaluation date. Ongoing jobs run to the
  evaluation date; end dates are inclusive; a job with no day in the window contributes nothing.
  ``years``/``months`` count the days of the union of the jobs' days in the window (1 year = 365 days,
  1 month = 365/12 days), but a ``within`` window counts at most its own length (``{months: 6}`` is 6 months,
  ``{days: 180}`` 180 days), and exactly that when every one of its days is worked; ``hours`` add up per
  job ``hours_per_week * days / 7``, or ``total_hours`` spread evenly over the job's days (the part inside
  the window); counts add up per job. Arithmetic is exact (fractions), so boundary values compare exactly.
* ``experience_areas``: the union of ``lab_areas`` of jobs in the roles with a day in the window; a job
  without ``lab_areas`` could have covered any area.
* ``certifications``: the credential ids held (``status: active`` keeps active ones; an unknown status
  may or may not be active); ``earned_within`` keeps those earned in the window (as for ``within``).
* Routes the rule files list under ``unencoded_routes`` are routes too, never met: their entries are the
  ``common`` ones and their ``gate``; unmet when an entry is unmet, otherwise unknown (with no entry: unknown).
  ``cautions`` are shown, never part of a route's status. A criterion marked ``incomplete`` is at best unknown
  (a pass means only its known part holds). A ``one_of`` test's ``unknown_for`` values are unknown.
* Derived facts (``rules/derivations.yaml``): a field that is not given, on a record whose ``when`` field is one
  of the listed values, may be any of the ``then`` values, each tested (an ``unknown_for`` value is unknown):
  met if all are met, unmet if all are unmet, else unknown.
* ``only_lab_duties`` experience counts each job's hours times ``lab_duties_percent`` / 100; a job without the
  percent may count, wholly, for the upper bound only.
* Where the documents leave a choice, the choice above is the one ``rules/README.md`` states; the property
  test found the earlier, less decided choices (a missing ``since`` date making a total unknown, date tests
  counting forward like an age while windows counted back) and the engine was changed to these.
* ``effective`` ranges and dated thresholds (both days inclusive) select what applies on the evaluation
  date; criteria and routes not in effect are left out (a group left with no member is left out, and so is
  an encoded route left with no entry: it is not offered that day; an unencoded one stays open). A
  criterion one of whose dated thresholds has no value in force that day (the dates leave a gap) is not in
  effect that day either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

MET, UNKNOWN, UNMET = "met", "unknown", "unmet"
_RANK = {UNMET: 0, UNKNOWN: 1, MET: 2}
INF = float("inf")

# Which list of the applicant holds the records of a record kind (engine/applicant.py).
RECORD_LISTS = {"program": "programs", "degree": "degrees"}
# Applicant fields whose values come from an ordered vocabulary (engine/applicant.py: Degree.level).
ORDERED_FIELDS = {"degree.level": "degree_level"}


def all_of(statuses: list[str]) -> str:
    return min(statuses, key=_RANK.__getitem__) if statuses else MET


def any_of(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__) if statuses else UNMET


# ---------------------------------------------------------------------------------------------- dates


# Month arithmetic comes from dateutil, not from a copy of engine/_dates.py, so that a misunderstanding shared
# by the two would still show: ``relativedelta(months=n)`` keeps the day of the month, or takes the last day
# of the target month when it has no such day (Jan 31 + 1 month = Feb 28 or 29; Feb 29 + 1 year = Feb 28).


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus (or minus) whole months, the day clamped to the month's last day."""
    return day + relativedelta(months=months)


def duration_months(duration: dict[str, int]) -> int | None:
    """Months of a ``{years: n}`` or ``{months: n}`` duration; None for ``{days: n}``."""
    if "years" in duration:
        return 12 * duration["years"]
    if "months" in duration:
        return duration["months"]
    return None


def subtract(day: dt.date, duration: dict[str, int]) -> dt.date:
    months = duration_months(duration)
    return day - dt.timedelta(days=duration["days"]) if months is None else add_months(day, -months)


def age(birth: dt.date, on: dt.date) -> int:
    """Completed years, 0 before the birth date (a Feb 29 birthday is on Feb 28 in common years)."""
    return max(0, relativedelta(on, birth).years)


def compare_time(start: dt.date, end: dt.date, duration: dict[str, int], anchor: str = "end") -> int:
    """Sign of (time from ``start`` to ``end``) minus ``duration``: -1, 0 or 1.

    Months are counted from the ``anchor`` date, the measure's reference point: back from ``end`` ("is
    ``start`` within n months before ``end``?") or forward from ``start``.
    """
    months = duration_months(duration)
    if months is None:
        diff = (end - start).days - duration["days"]
    elif anchor == "end":
        diff = (add_months(end, -months) - start).days
    else:
        diff = (end - add_months(start, months)).days
    return (diff > 0) - (diff < 0)


def day_count(first: dt.date, last: dt.date) -> int:
    """Days from ``first`` to ``last``, both inclusive (0 when ``last`` is before ``first``)."""
    return max(0, (last - first).days + 1)


def union_days(spans: list[tuple[int, int]]) -> int:
    """Days covered by inclusive (first, last) spans, overlaps counted once."""
    days, reach = 0, None
    for first, last in sorted(spans):
        if reach is not None and first <= reach:
            first = reach + 1
        if first <= last:
            days += last - first + 1
        reach = last if reach is None else max(reach, last)
    return days


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


# ---------------------------------------------------------------------------------------------- values
# A measured value, as much as is known of it:
#   Num(lo, hi)            a number between lo and hi (lo == hi when known exactly)
#   Enum(value)            an enumerated or boolean value (value None when unknown)
#   Time(start, end)       a duration from start to end (either None when unknown), or Time(zero=True)
#   Sets(sure, maybe)      a set that contains ``sure`` and is contained in ``maybe`` (None: anything)


@dataclass(frozen=True)
class Num:
    lo: Fraction | float
    hi: Fraction | float


@dataclass(frozen=True)
class Enum:
    value: Any
    path: str = ""
    candidates: frozenset[Any] | None = None  # a derived fact: the field is one of these (value is None)


@dataclass(frozen=True)
class Time:
    start: dt.date | None = None
    end: dt.date | None = None
    zero: bool = False
    anchor: str = "end"  # the date whole months are counted from


@dataclass(frozen=True)
class Sets:
    sure: frozenset[str]
    maybe: frozenset[str] | None


UNKNOWN_NUM = Num(-INF, INF)


def _number(value: Any) -> Num:
    return UNKNOWN_NUM if value is None else Num(value, value)


# ---------------------------------------------------------------------------------------------- rules


@dataclass
class Criterion:
    id: str
    measure: dict[str, Any]
    test: dict[str, Any]
    effective: dict[str, Any] | None
    kind: str | None  # "program", "degree" or None (not record-level)
    incomplete: bool = False


@dataclass
class Group:
    id: str
    members: list[str]


@dataclass
class Route:
    id: str
    entries: list[str | Group]
    effective: dict[str, Any] | None
    complete: bool = True  # False for an unencoded route (never met)
    cautions: list[str] = field(default_factory=list)  # the credential's cautions, then the route's


@dataclass
class Credential:
    id: str
    criteria: dict[str, Criterion]
    routes: list[Route]
    unencoded: int


@dataclass
class RouteVerdict:
    status: str
    criteria: list[tuple[str, str | None, str]] = field(default_factory=list)  # (id, group id, status)
    records: dict[str, int | None] = field(default_factory=dict)  # record kind -> index used
    # The record each criterion of ``criteria`` was decided on (``programs[1]``; None: applicant-level, or no
    # record given), in the same order.
    criterion_records: list[str | None] = field(default_factory=list)
    groups: list[tuple[str, str]] = field(default_factory=list)  # (group id, status), in route order
    entries: list[tuple[str, str]] = field(default_factory=list)  # (criterion or group id, status)
    cautions: list[tuple[str, str, str | None]] = field(default_factory=list)  # (id, status, record)
    complete: bool = True


@dataclass
class CredentialVerdict:
    status: str
    routes: dict[str, RouteVerdict]


def _normalise_measure(measure: Any) -> dict[str, Any]:
    if isinstance(measure, str):
        return {"kind": "age"} if measure == "age" else {"kind": "field", "path": measure}
    return dict(measure)


def _paths(measure: dict[str, Any]) -> list[str]:
    kind = measure["kind"]
    if kind == "field":
        return [measure["path"]]
    if kind in ("time_since", "time_until"):
        return [measure["date"]]
    if kind == "time_between":
        return [measure["start"], measure["end"]]
    if kind == "sum":
        return list(measure["paths"])
    if kind == "experience" and measure.get("since"):
        return [measure["since"]]
    return []


def _record_kind(measure: dict[str, Any]) -> str | None:
    kinds = {p.split(".")[0] for p in _paths(measure)} & set(RECORD_LISTS)
    assert len(kinds) <= 1, measure
    return kinds.pop() if kinds else None


def _in_effect(effective: dict[str, Any] | None, on: dt.date) -> bool:
    if not effective:
        return True
    start, end = as_date(effective.get("from")), as_date(effective.get("to"))
    return (start is None or start <= on) and (end is None or on <= end)


def _thresholds_in_force(test: dict[str, Any], on: dt.date) -> bool:
    """False when a dated threshold of the test has no value in force on ``on`` (a gap between its dates)."""
    for op in ("at_least", "more_than", "at_most", "less_than"):
        threshold = test.get(op)
        if isinstance(threshold, list) and not any(_in_effect(t, on) for t in threshold):
            return False
    return True


def load_credentials(rules_dir: Path = RULES_DIR) -> dict[str, Credential]:
    credentials = {}
    for path in sorted((rules_dir / "credentials").glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cid = data["id"]
        criteria = {}
        for key, raw in (data.get("criteria") or {}).items():
            measure = _normalise_measure(raw["measure"])
            incomplete = bool(raw.get("incomplete"))
            test = dict(raw["test"])
            criteria[key] = Criterion(key, measure, test, raw.get("effective"), _record_kind(measure), incomplete)

        def entry(item: Any) -> str | Group:
            return item if isinstance(item, str) else Group(item["id"], list(item["any"]))

        common = [entry(e) for e in data.get("common") or []]
        shown = list(data.get("cautions") or [])  # on every route, unencoded ones too
        routes = [
            Route(
                r["id"], common + [entry(e) for e in r["criteria"]], r.get("effective"),
                cautions=shown + list(r.get("cautions") or []),
            )
            for r in data.get("routes") or []
        ]
        routes += [
            Route(u["id"], common + [entry(e) for e in u.get("gate") or []], None, complete=False, cautions=shown)
            for u in data.get("unencoded_routes") or []
        ]
        credentials[cid] = Credential(cid, criteria, routes, len(data.get("unencoded_routes") or []))
    return credentials


def load_derivations(rules_dir: Path = RULES_DIR) -> list[dict[str, Any]]:
    path = rules_dir / "derivations.yaml"
    if not path.is_file():
        return []
    return list(yaml.safe_load(path.read_text(encoding="utf-8")).get("derivations") or [])


def load_vocabularies(rules_dir: Path = RULES_DIR) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((rules_dir / "vocabulary.yaml").read_text(encoding="utf-8"))
    return data["vocabularies"]


# ---------------------------------------------------------------------------------------------- oracle


class Oracle:
    """Evaluates applicants (JSON-like dicts, as the API accepts them) against the rule files."""

    def __init__(self, rules_dir: Path = RULES_DIR) -> None:
        self.credentials = load_credentials(rules_dir)
        self.derivations = load_derivations(rules_dir)
        vocabularies = load_vocabularies(rules_dir)
        self.ranks = {
            path: {value: i for i, value in enumerate(vocabularies[name]["values"])}
            for path, name in ORDERED_FIELDS.items()
        }
        for name in ORDERED_FIELDS.values():
            assert vocabularies[name].get("ordered"), name

    # ------------------------------------------------------------------ top level

    def evaluate(self, applicant: dict[str, Any], as_of: dt.date) -> dict[str, CredentialVerdict]:
        memo: dict[tuple[str, int | None], str] = {}  # (criterion, record index) -> status, per credential
        out = {}
        for cid, cred in self.credentials.items():
            memo.clear()
            out[cid] = self.credential(cred, applicant, as_of, memo)
        return out

    def credential(
        self, cred: Credential, applicant: dict[str, Any], as_of: dt.date, memo: dict[tuple[str, int | None], str]
    ) -> CredentialVerdict:
        routes = {
            f"{cred.id}.{r.id}": verdict
            for r in cred.routes
            if _in_effect(r.effective, as_of)
            and ((verdict := self.route(cred, r, applicant, as_of, memo)).criteria or not r.complete)
        }
        statuses = [r.status for r in routes.values()]
        if MET in statuses:
            status = "eligible"
        elif all(s == UNMET for s in statuses):
            status = "ineligible"  # every route offered that day is unmet (perhaps none is offered)
        else:
            status = "undetermined"
        return CredentialVerdict(status, routes)

    def route(
        self,
        cred: Credential,
        route: Route,
        applicant: dict[str, Any],
        as_of: dt.date,
        memo: dict[tuple[str, int | None], str],
    ) -> RouteVerdict:
        def criterion(name: str, record: dict[str, Any] | None, index: int | None) -> str:
            if (name, index) not in memo:
                memo[name, index] = self.criterion(cred.criteria[name], applicant, record, as_of)
            return memo[name, index]

        def live(cid: str) -> bool:
            crit = cred.criteria[cid]
            return _in_effect(crit.effective, as_of) and _thresholds_in_force(crit.test, as_of)

        entries: list[str | Group] = []
        for e in route.entries:
            if isinstance(e, Group):
                members = [m for m in e.members if live(m)]
                if members:
                    entries.append(Group(e.id, members))
            elif live(e):
                entries.append(e)

        def kinds(e: str | Group) -> set[str]:
            names = e.members if isinstance(e, Group) else [e]
            return {k for n in names if (k := cred.criteria[n].kind)}

        # Statuses of the non-record criteria, once.
        status: dict[str, str] = {}
        for e in entries:
            for name in e.members if isinstance(e, Group) else [e]:
                crit = cred.criteria[name]
                if crit.kind is None and name not in status:
                    status[name] = criterion(name, None, None)

        def entry_status(e: str | Group, st: dict[str, str]) -> str:
            if isinstance(e, Group):
                return any_of([st[m] for m in e.members])
            return st[e]

        records: dict[str, int | None] = {}
        for kind in sorted({k for e in entries for k in kinds(e)}):
            involved = [e for e in entries if kind in kinds(e)]
            members = [n for e in involved for n in (e.members if isinstance(e, Group) else [e])]
            names = [n for n in members if cred.criteria[n].kind == kind]
            listed = applicant.get(RECORD_LISTS[kind])
            if listed is None or not listed:
                fixed = UNKNOWN if listed is None else UNMET
                status.update(dict.fromkeys(names, fixed))
                records[kind] = None
                continue
            tried: list[dict[str, str]] = []  # per record: the statuses with the record's criteria decided on it
            candidates: list[tuple[str, int]] = []  # per record: (status of the entries about it, criteria met)
            for index, record in enumerate(listed):
                st = dict(status)
                for n in names:
                    st[n] = criterion(n, record, index)
                tried.append(st)
                candidates.append((all_of([entry_status(e, st) for e in involved]), sum(st[n] == MET for n in names)))
            records[kind] = closest_record(candidates)
            status = tried[records[kind]]

        def where(name: str) -> str | None:
            kind = cred.criteria[name].kind
            index = records.get(kind) if kind else None
            return None if index is None else f"{RECORD_LISTS[kind]}[{index}]"

        out, out_records, groups, entry_statuses = [], [], [], []
        for e in entries:
            if isinstance(e, Group):
                out.extend((f"{cred.id}.{m}", f"{cred.id}.{e.id}", status[m]) for m in e.members)
                out_records.extend(where(m) for m in e.members)
                groups.append((f"{cred.id}.{e.id}", entry_status(e, status)))
                entry_statuses.append((f"{cred.id}.{e.id}", entry_status(e, status)))
            else:
                out.append((f"{cred.id}.{e}", None, status[e]))
                out_records.append(where(e))
                entry_statuses.append((f"{cred.id}.{e}", status[e]))
        verdict = all_of([entry_status(e, status) for e in entries])
        if not route.complete:
            verdict = all_of([verdict, UNKNOWN])  # an unencoded route is never met
        cautions = [
            self.caution(cred, name, applicant, as_of, records, criterion)
            for name in route.cautions
            if live(name)
        ]
        return RouteVerdict(
            verdict, out, records, out_records, groups, entry_statuses, cautions, complete=route.complete
        )

    def caution(
        self,
        cred: Credential,
        name: str,
        applicant: dict[str, Any],
        as_of: dt.date,
        records: dict[str, int | None],
        criterion: Any,
    ) -> tuple[str, str, str | None]:
        """A caution shown with a route: (id, status, record). It never decides the route. A caution about a
        record kind the route reads is decided on the route's record; one about another kind, on the record
        that does best for the caution itself (the highest status, then the first listed)."""
        kind = cred.criteria[name].kind
        full = f"{cred.id}.{name}"
        if kind is None:
            return full, criterion(name, None, None), None
        listed = applicant.get(RECORD_LISTS[kind])
        if not listed:
            return full, UNKNOWN if listed is None else UNMET, None
        if kind in records:
            index = records[kind]
            assert index is not None
        else:
            statuses = [criterion(name, record, i) for i, record in enumerate(listed)]
            index = closest_record([(s, int(s == MET)) for s in statuses])
        return full, criterion(name, listed[index], index), f"{RECORD_LISTS[kind]}[{index}]"

    # ------------------------------------------------------------------ criteria

    def criterion(
        self, crit: Criterion, applicant: dict[str, Any], record: dict[str, Any] | None, as_of: dt.date
    ) -> str:
        value = self.measure(crit.measure, applicant, record, as_of)
        status = self.test(crit.test, value, as_of)
        return UNKNOWN if crit.incomplete and status == MET else status

    def lookup(self, path: str, applicant: dict[str, Any], record: dict[str, Any] | None) -> Any:
        """The value of a field path (None when unknown)."""
        head, _, rest = path.partition(".")
        if head in RECORD_LISTS:
            assert record is not None, path
            return record.get(rest)
        if not rest:
            return applicant.get(head)
        section = applicant.get(head)
        return None if section is None else section.get(rest)

    def measure(self, m: dict[str, Any], applicant: dict[str, Any], record: dict[str, Any] | None, as_of: dt.date):
        kind = m["kind"]
        if kind == "field":
            value = self.lookup(m["path"], applicant, record)
            if isinstance(value, list):
                return Sets(frozenset(value), frozenset(value))
            if isinstance(value, int | float) and not isinstance(value, bool):
                return _number(value)
            if value is None:
                for d in self.derivations:
                    if d["then"]["path"] == m["path"] and self.lookup(d["when"]["path"], applicant, record) in d[
                        "when"
                    ]["one_of"]:
                        return Enum(None, m["path"], frozenset(d["then"]["one_of"]))
            return Enum(value, m["path"])
        if kind == "age":
            birth = as_date(applicant.get("birth_date"))
            return UNKNOWN_NUM if birth is None else _number(age(birth, as_of))
        if kind in ("time_since", "time_until"):
            day = as_date(self.lookup(m["date"], applicant, record))
            if m["date"] == "program.completion_date" and day is not None and record is not None:
                status = record.get("status")
                if (status == "in-progress" and day < as_of) or (status == "completed" and day > as_of):
                    return Time()  # the status contradicts the date: it tells nothing
            if kind == "time_since":
                return Time(day, as_of)
            return Time(as_of, day, anchor="start")
        if kind == "time_between":
            start = as_date(self.lookup(m["start"], applicant, record))
            end = as_date(self.lookup(m["end"], applicant, record))
            if end is None and m.get("end_absent") == "zero":  # no end: no time, whatever the start
                return Time(zero=True)
            return Time(start, end)
        if kind == "sum":
            # Unknown as soon as one part is: tests/rules/credentials/ascp/pbt.yaml states it ("leaves the
            # collection count unknown, even with 120 venipunctures").
            parts = [self.lookup(p, applicant, record) for p in m["paths"]]
            return UNKNOWN_NUM if None in parts else _number(sum(parts))
        if kind == "experience":
            return self.experience(m, applicant, record, as_of)
        if kind == "experience_areas":
            return self.areas(m, applicant, as_of)
        if kind == "certifications":
            return self.certifications(m, applicant, as_of)
        raise AssertionError(f"unknown measure {kind}")

    # ------------------------------------------------------------------ experience

    def experience(self, m: dict[str, Any], applicant: dict[str, Any], record: dict[str, Any] | None, as_of):
        jobs = applicant.get("work_experience")
        if jobs is None:
            return Num(Fraction(0), INF)
        if m.get("since"):
            since = as_date(self.lookup(m["since"], applicant, record))
            if since is None:  # the window is unknown: nothing surely counts, at most all the work ever done
                return Num(Fraction(0), self._experience_total(m, jobs, None, as_of, possible=True))
            first: dt.date | None = since
        elif m.get("within"):
            first = subtract(as_of, m["within"])
        else:
            first = None
        low = self._experience_total(m, jobs, first, as_of, possible=False)
        high = self._experience_total(m, jobs, first, as_of, possible=True)
        return Num(low, high)

    def _counts(self, m: dict[str, Any], job: dict[str, Any], as_of: dt.date) -> str:
        """Whether a job counts for the measure: yes (met), no (unmet) or perhaps (unknown)."""
        checks = [MET if job["role"] in m["roles"] else UNMET]
        if m.get("supervised") is not None:
            s = job.get("supervised")
            checks.append(UNKNOWN if s is None else MET if s == m["supervised"] else UNMET)
        if m.get("settings"):
            s = job.get("setting")
            checks.append(UNKNOWN if s is None else MET if s in m["settings"] else UNMET)
        if m.get("min_hours_per_week") is not None:
            weekly = self._weekly_hours(job, as_of)
            checks.append(UNKNOWN if weekly is None else MET if weekly >= Fraction(m["min_hours_per_week"]) else UNMET)
        if m.get("only_lab_duties") and job.get("lab_duties_percent") is None:
            checks.append(UNKNOWN)  # its share of laboratory duties is not known: it may count, wholly
        return all_of(checks)

    @staticmethod
    def _job_days(job: dict[str, Any], as_of: dt.date) -> tuple[dt.date, dt.date]:
        start = as_date(job["start_date"])
        end = as_date(job.get("end_date")) or as_of
        return start, end

    def _weekly_hours(self, job: dict[str, Any], as_of: dt.date) -> Fraction | None:
        if job.get("hours_per_week") is not None:
            return Fraction(job["hours_per_week"])
        if job.get("total_hours") is not None:
            days = day_count(*self._job_days(job, as_of))
            # To a ten-thousandth of an hour, so a total standing for an exact weekly figure stays at it.
            return round(Fraction(job["total_hours"]) * 7 / days, 4) if days else None
        return None

    def _experience_total(self, m, jobs, first: dt.date | None, as_of: dt.date, possible: bool):
        """Lower (``possible=False``: sure jobs, unknown amounts as 0) or upper bound of the total."""
        total_kind = m["total"]
        spans: list[tuple[int, int]] = []  # days worked in the window, as ordinals (both inclusive)
        total: Fraction | float = Fraction(0)
        for job in jobs:
            counts = self._counts(m, job, as_of)
            if counts == UNMET or (counts == UNKNOWN and not possible):
                continue
            start, end = self._job_days(job, as_of)
            lo = start if first is None else max(start, first)
            hi = min(end, as_of)
            days = day_count(lo, hi)
            if days == 0:
                continue
            if total_kind in ("years", "months"):
                spans.append((lo.toordinal(), hi.toordinal()))
            elif total_kind == "hours":
                share = Fraction(1)
                if m.get("only_lab_duties") and job.get("lab_duties_percent") is not None:
                    share = Fraction(job["lab_duties_percent"]) / 100
                if job.get("hours_per_week") is not None:
                    total += Fraction(job["hours_per_week"]) * days / 7 * share
                elif job.get("total_hours") is not None:
                    total += Fraction(job["total_hours"]) * days / day_count(start, end) * share
                elif possible:
                    total = INF
            else:
                count = job.get(total_kind)
                if count is not None:
                    total += count
                elif possible:
                    total = INF
        if total_kind in ("years", "months"):
            per_year = 1 if total_kind == "years" else 12
            worked = union_days(spans)
            counted = Fraction(worked * per_year, 365)
            within = m.get("within") if not m.get("since") else None
            if not within or first is None:
                return counted
            (unit, amount), = within.items()
            # the window's own length in the total's unit: its calendar months, or its days at 365 a year
            length = Fraction(amount * per_year, 365) if unit == "days" else Fraction(
                amount * (12 if unit == "years" else 1) * per_year, 12
            )
            return length if worked == day_count(first, as_of) else min(counted, length)
        return total

    def areas(self, m: dict[str, Any], applicant: dict[str, Any], as_of: dt.date) -> Sets:
        jobs = applicant.get("work_experience")
        if jobs is None:
            return Sets(frozenset(), None)
        first = subtract(as_of, m["within"]) if m.get("within") else None
        sure: set[str] = set()
        maybe: set[str] | None = set()
        for job in jobs:
            if job["role"] not in m["roles"]:
                continue
            start, end = self._job_days(job, as_of)
            if day_count(start if first is None else max(start, first), min(end, as_of)) == 0:
                continue
            if job.get("lab_areas") is None:
                maybe = None
            else:
                sure.update(job["lab_areas"])
                if maybe is not None:
                    maybe.update(job["lab_areas"])
        return Sets(frozenset(sure), None if maybe is None else frozenset(maybe))

    def certifications(self, m: dict[str, Any], applicant: dict[str, Any], as_of: dt.date) -> Sets:
        held = applicant.get("certifications")
        if held is None:
            return Sets(frozenset(), None)
        sure, maybe = set(), set()
        first = subtract(as_of, m["earned_within"]) if m.get("earned_within") else None
        for cert in held:
            checks = []
            if m.get("status", "any") == "active":
                s = cert.get("status")
                checks.append(UNKNOWN if s is None else MET if s == "active" else UNMET)
            if first is not None:
                earned = as_date(cert.get("earned_date"))
                checks.append(UNKNOWN if earned is None else MET if first <= earned <= as_of else UNMET)
            counts = all_of(checks)
            if counts == MET:
                sure.add(cert["credential"])
            if counts != UNMET:
                maybe.add(cert["credential"])
        return Sets(frozenset(sure), frozenset(maybe))

    # ------------------------------------------------------------------ tests

    def test(self, test: dict[str, Any], value: Any, as_of: dt.date) -> str:
        ops = dict(test)
        order = {}
        for op in ("at_least", "more_than", "at_most", "less_than"):
            if op in ops:
                threshold = ops[op]
                if isinstance(threshold, list):  # dated thresholds: the value in force on as_of
                    threshold = next((t["value"] for t in threshold if _in_effect(t, as_of)), None)
                if threshold is not None:
                    order[op] = threshold
        if order:
            return self._order(order, value)
        if "one_of" in ops:
            assert isinstance(value, Enum), value
            undecided = ops.get("unknown_for") or ()
            if value.candidates is not None:  # a derived fact: the value is one of these, each tested
                each = {MET if c in ops["one_of"] else UNKNOWN if c in undecided else UNMET for c in value.candidates}
                return each.pop() if len(each) == 1 else UNKNOWN
            if value.value in undecided:
                return UNKNOWN
            return UNKNOWN if value.value is None else MET if value.value in ops["one_of"] else UNMET
        if "is" in ops:
            assert isinstance(value, Enum), value
            return UNKNOWN if value.value is None else MET if value.value == ops["is"] else UNMET
        if "includes_any" in ops or "includes_all" in ops:
            if isinstance(value, Enum) and value.value is None:  # a list field left out
                return UNKNOWN
            assert isinstance(value, Sets), value
            wanted = set(ops.get("includes_any") or ops.get("includes_all"))
            if "includes_any" in ops:
                if value.sure & wanted:
                    return MET
                return UNMET if value.maybe is not None and not value.maybe & wanted else UNKNOWN
            if wanted <= value.sure:
                return MET
            return UNMET if value.maybe is not None and not wanted <= value.maybe else UNKNOWN
        return MET  # no operator in force

    def _order(self, order: dict[str, Any], value: Any) -> str:
        if isinstance(value, Time):
            results = []
            for op, threshold in order.items():
                if value.zero:
                    sign = 0 if not any(threshold.values()) else -1
                elif value.start is None or value.end is None:
                    return UNKNOWN
                else:
                    sign = compare_time(value.start, value.end, threshold, value.anchor)
                results.append(_holds(op, sign))
            return MET if all(results) else UNMET
        if isinstance(value, Enum):  # an ordered vocabulary, compared by rank
            if value.value is None:
                return UNKNOWN
            ranks = self.ranks[value.path]
            ok = all(_holds(op, _sign(ranks[value.value] - ranks[t])) for op, t in order.items())
            return MET if ok else UNMET
        assert isinstance(value, Num), value

        def satisfied(x: Fraction | float) -> bool:  # exact: Python compares ints, floats and fractions exactly
            return all(_holds(op, (x > t) - (x < t)) for op, t in order.items())

        if satisfied(value.lo) and satisfied(value.hi):
            return MET
        return UNMET if not _some_satisfied(order, value) else UNKNOWN


def _sign(x: Any) -> int:
    return (x > 0) - (x < 0)


def _holds(op: str, sign: int) -> bool:
    return {"at_least": sign >= 0, "more_than": sign > 0, "at_most": sign <= 0, "less_than": sign < 0}[op]


def _some_satisfied(order: dict[str, Any], value: Num) -> bool:
    """Whether some number between value.lo and value.hi (inclusive) passes every operator."""
    low, low_open = value.lo, False
    high, high_open = value.hi, False
    for op, t in order.items():
        t = Fraction(t)
        if op in ("at_least", "more_than") and (t > low or (t == low and op == "more_than")):
            low, low_open = t, op == "more_than"
        if op in ("at_most", "less_than") and (t < high or (t == high and op == "less_than")):
            high, high_open = t, op == "less_than"
    return low < high or (low == high and not low_open and not high_open)


# ---------------------------------------------------------------------------------------------- records


def closest_record(candidates: list[tuple[str, int]]) -> int:
    """Which record a route reads, by ``rules/README.md`` ("How routes and records combine"): the record that
    does best for it, that is the highest status, then the most criteria met, then the first listed.

    ``candidates`` holds, per record in the order given, the status of the route's entries about that kind of
    record when they are decided on it, and how many of the route's criteria about it it meets. (The
    applicant's own facts are the same whatever the record, so the status that can differ, and is compared,
    is that of the entries about the record.)
    """
    best = 0
    for index, (status, met) in enumerate(candidates):
        best_status, best_met = candidates[best]
        if _RANK[status] > _RANK[best_status] or (status == best_status and met > best_met):
            best = index  # strictly better only: on a full tie the first listed stays
    return best


def route_missing(verdict: CredentialVerdict, route_id: str | None) -> tuple[str, ...] | None:
    """The entries (criterion or group ids) of an encoded route that are not met, as a batch summary's
    ``missing`` lists them for its nearest route; None when the route is not one a summary may name (met,
    not encoded, or unknown). Which route is nearest is guidance's choice by effort (tests/engine/
    test_guidance.py); the oracle checks that the choice is a route not met and that its gaps are right."""
    route = verdict.routes.get(route_id) if route_id else None
    if route is None or not route.complete or route.status == MET:
        return None
    return tuple(entry for entry, status in route.entries if status != MET)


def nearest_problem(verdict: CredentialVerdict, nearest: tuple[str | None, tuple[str, ...]]) -> str | None:
    """What is wrong with production's nearest route and its entries not met, by the oracle; None if nothing.
    Eligible: no nearest route. Otherwise: none only when no encoded route is open, and a named route is an
    encoded route not met whose entries not met are exactly the ones listed."""
    route_id, missing = nearest
    if verdict.status == "eligible":
        return None if route_id is None and not missing else "named although the credential is eligible"
    if route_id is None:
        return "none named although an encoded route is not met" if any(
            r.complete for r in verdict.routes.values()) and missing else None
    expected = route_missing(verdict, route_id)
    if expected is None:
        return f"{route_id} is not an encoded route that is not met"
    if expected != missing:
        return f"{route_id}: entries not met: oracle {expected}, production {missing}"
    return None


# ---------------------------------------------------------------------------------------------- comparison


def production_statuses(evaluation: Any) -> dict[str, Any]:
    """The machine fields of a production evaluation (``engine.Evaluation``), in the oracle's shape: statuses
    of the credential, routes, groups, criteria and cautions, the record each criterion was decided on, and
    the batch summary's nearest route with its entries not met."""
    summaries = {s.id: s for s in evaluation.summaries()}
    out = {}
    for cred in evaluation.credentials:
        routes = {}
        for route in cred.routes:
            routes[route.id] = {
                "status": route.status.value,
                "criteria": [(c.id, c.group, c.status.value) for c in route.criteria],
                "records": [c.record for c in route.criteria],
                "groups": [(g.id, g.status.value) for g in route.groups],
                "cautions": [(c.id, c.status.value, c.record) for c in route.cautions],
            }
        summary = summaries[cred.id]
        nearest = (summary.nearest_route, tuple(summary.missing))
        out[cred.id] = {"status": cred.status.value, "routes": routes, "nearest": nearest}
    return out


def oracle_statuses(verdicts: dict[str, CredentialVerdict]) -> dict[str, Any]:
    return {
        cid: {
            "status": v.status,
            "routes": {
                rid: {
                    "status": r.status,
                    "criteria": list(r.criteria),
                    "records": list(r.criterion_records),
                    "groups": list(r.groups),
                    "cautions": list(r.cautions),
                }
                for rid, r in v.routes.items()
            },
            "verdict": v,
        }
        for cid, v in verdicts.items()
    }


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Where ``got`` (production) differs from ``expected`` (oracle): credential, route, criterion."""
    problems = []
    for cid in sorted(set(expected) | set(got)):
        exp, act = expected.get(cid), got.get(cid)
        if exp is None or act is None:
            problems.append(f"{cid}: only in {'production' if exp is None else 'the oracle'}")
            continue
        if exp["status"] != act["status"]:
            problems.append(f"{cid}: credential status: oracle {exp['status']}, production {act['status']}")
        wrong = nearest_problem(exp["verdict"], act["nearest"])
        if wrong:
            problems.append(f"{cid}: nearest route: {wrong}")
        for rid in sorted(set(exp["routes"]) | set(act["routes"])):
            er, ar = exp["routes"].get(rid), act["routes"].get(rid)
            if er is None or ar is None:
                problems.append(f"{rid}: route only in {'production' if er is None else 'the oracle'}")
                continue
            if er["status"] != ar["status"]:
                problems.append(f"{rid}: route status: oracle {er['status']}, production {ar['status']}")
            ekeys = [(c, g) for c, g, _ in er["criteria"]]
            akeys = [(c, g) for c, g, _ in ar["criteria"]]
            if ekeys != akeys:
                problems.append(f"{rid}: criteria listed: oracle {ekeys}, production {akeys}")
                continue
            for (c, g, es), (_, _, gs) in zip(er["criteria"], ar["criteria"], strict=True):
                if es != gs:
                    where = f" (group {g})" if g else ""
                    problems.append(f"{rid}: criterion {c}{where}: oracle {es}, production {gs}")
            for (c, _, _), erec, arec in zip(er["criteria"], er["records"], ar["records"], strict=True):
                if erec != arec:
                    problems.append(f"{rid}: criterion {c} decided on: oracle {erec}, production {arec}")
            if er["groups"] != ar["groups"]:
                problems.append(f"{rid}: groups: oracle {er['groups']}, production {ar['groups']}")
            if er["cautions"] != ar["cautions"]:
                problems.append(f"{rid}: cautions (id, status, record): oracle {er['cautions']}, "
                                f"production {ar['cautions']}")
    return problems
