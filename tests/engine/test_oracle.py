"""Differential testing: the engine's answers against the independent oracle of ``tests/oracle.py``.

The property test draws applicants that exercise every section of the applicant model, every vocabulary
value, missing facts, empty versus absent lists, several programs and jobs, and dates and numbers at and
around the thresholds and windows read from the rule files, relative to a drawn evaluation date. For each
one the engine's statuses must equal the oracle's: per credential, per route and per criterion.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Rulebook
from tests.fixtures import Case, all_fixture_files, compare, load_cases
from tests.oracle import (
    RULES_DIR as ORACLE_RULES,
)
from tests.oracle import (
    Criterion,
    Group,
    Oracle,
    add_months,
    age,
    compare_time,
    differences,
    duration_months,
    load_credentials,
    load_vocabularies,
    oracle_statuses,
    production_statuses,
    subtract,
)

ORACLE = Oracle()
VOCAB = {name: list(v["values"]) for name, v in load_vocabularies().items()}
CREDENTIAL_IDS = sorted(ORACLE.credentials)

# ---------------------------------------------------------------------------------------------- thresholds
# Everything the rule files compare against, read from the YAML so the strategy follows the rules.


def _scan_rules() -> tuple[dict[str, set[float]], dict[str, set[float]], set[int], set[int]]:
    numbers: dict[str, set[float]] = {}  # field path -> thresholds (sums: each part)
    experience: dict[str, set[float]] = {}  # experience total -> thresholds
    months: set[int] = {0}  # calendar durations, in months
    days: set[int] = {0}  # day durations
    for cred in load_credentials().values():
        for crit in cred.criteria.values():
            m = crit.measure
            values: list[Any] = []
            for op in ("at_least", "more_than", "at_most", "less_than"):
                t = crit.test.get(op)
                if t is None:
                    continue
                values.extend(d["value"] for d in t) if isinstance(t, list) else values.append(t)
            durations = [v for v in values if isinstance(v, dict)]
            for key in ("within", "earned_within"):
                if m.get(key):
                    durations.append(m[key])
            for d in durations:
                n = duration_months(d)
                (days.add(d["days"]) if n is None else months.add(n))
            numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            if m["kind"] == "field":
                numbers.setdefault(m["path"], set()).update(numeric)
            elif m["kind"] == "sum":
                for p in m["paths"]:
                    numbers.setdefault(p, set()).update(numeric)
                    numbers[p].update(v / 2 for v in numeric)
            elif m["kind"] == "experience":
                experience.setdefault(m["total"], set()).update(numeric)
                if m.get("min_hours_per_week"):
                    numbers.setdefault("min_hours_per_week", set()).add(m["min_hours_per_week"])
            elif m["kind"] == "age":
                numbers.setdefault("age", set()).update(numeric)
    return numbers, experience, months, days


NUMBERS, EXPERIENCE, MONTHS, DAYS = _scan_rules()


def _pool(path: str, *, whole: bool, extra: tuple[float, ...] = ()) -> list[float]:
    """Numbers for a field: its thresholds, one either side (and half a unit for fractional fields), a spread."""
    near = {x for v in NUMBERS.get(path, set()) | set(extra) for x in (v - 1, v, v + 1)}
    if not whole:
        near |= {x + d for x in near for d in (-0.5, 0.5)}
    spread = {0, 1, 5, 25, 75, 150, 300, 480, 900}
    return sorted(x for x in near | spread if 0 <= x <= 1000)


# Experience: job lengths (days) that put the totals at their thresholds (1 month = 365/12 days; hours at
# 40 or 35 a week), and one day either side.
_LENGTHS = {1, 30, 91}
for _months in EXPERIENCE.get("months", set()) | {12 * y for y in EXPERIENCE.get("years", set())}:
    _LENGTHS.add(round(_months * 365 / 12))
for _hours in EXPERIENCE.get("hours", set()) - {0}:
    _LENGTHS.update({round(_hours * 7 / 40), round(_hours * 7 / 35)})
JOB_LENGTHS = sorted({n + d for n in _LENGTHS for d in (-1, 0, 1) if n + d >= 1})
WEEKLY = sorted({35, 40, 20, 38, 34.5, 35.5, 34.99, 0, 12.25, 168} | NUMBERS.get("min_hours_per_week", set()))
HOURS = sorted({x for v in EXPERIENCE.get("hours", set()) for x in (v - 1, v - 0.5, v, v + 0.5, v + 1) if x >= 0}
               | {0, 100, 3000, 6000, 9000})
COUNTS = sorted({x for v in EXPERIENCE.get("venipunctures", set()) | EXPERIENCE.get("capillary_punctures", set())
                 | EXPERIENCE.get("ekgs", set()) for x in (v - 1, v, v + 1)} | {0, 1, 5, 200})

PROGRAM_NUMBERS = {
    key: _pool(f"program.{key}", whole=key in ("venipunctures", "capillary_punctures", "ekgs", "injections",
                                                 "arterial_punctures"))
    for key in ("clock_hours", "didactic_hours", "clinical_hours", "duration_weeks", "venipunctures",
                "capillary_punctures", "ekgs", "injections", "arterial_punctures")
}
SEMESTER_NUMBERS = {
    key: _pool(f"semester_hours.{key}", whole=False)
    for key in ("total", "chemistry", "biology", "microbiology", "organic_or_biochemistry", "physics", "math")
}
CREDENTIAL_REFS = CREDENTIAL_IDS + sorted(VOCAB["other_credential"])
HELD = sorted({v for c in load_credentials().values() for k in c.criteria.values()
               if k.measure["kind"] == "certifications"
               for op in ("includes_any", "includes_all") for v in k.test.get(op) or []})

AS_OF = [
    dt.date(2026, 11, 23),
    dt.date(2028, 2, 29),
    dt.date(2024, 2, 29),
    dt.date(2027, 2, 28),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 31),
    dt.date(2026, 1, 31),
    dt.date(2025, 12, 31),
    dt.date(2026, 5, 31),
    dt.date(2025, 3, 1),
]
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)

# ---------------------------------------------------------------------------------------------- strategy
# Drawing is the expensive part of a property test (tens of microseconds a draw), so each record is decoded
# from one fixed-size byte string: one draw per record, and Hypothesis still shrinks byte by byte. Byte 0
# decodes to the simplest choice (a field left out, the first value), so failures shrink to small applicants.


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        self.pos += 1
        return self.data[self.pos - 1] if self.pos <= len(self.data) else 0

    def pick(self, options: Sequence[Any]) -> Any:
        return options[(self.byte() << 8 | self.byte()) % len(options)]

    def maybe(self, options: Sequence[Any], one_in: int = 4) -> Any:
        """None about one time in ``one_in`` (always for a zero byte), else one of the options."""
        return None if self.byte() % one_in == 0 else self.pick(options)

    def flag(self, one_in: int = 2) -> bool:
        """True about one time in ``one_in``, never for a zero byte."""
        b = self.byte()
        return b != 0 and b % one_in == 0


@functools.lru_cache(maxsize=4096)
def _anchors(as_of: dt.date) -> tuple[dt.date, ...]:
    """Window edges relative to as_of: N months/years before and after it, N days before and after it."""
    out = set()
    for n in MONTHS:
        out.update((add_months(as_of, -n), add_months(as_of, n)))
    for n in DAYS:
        out.update((as_of - dt.timedelta(days=n), as_of + dt.timedelta(days=n)))
    return tuple(sorted(out))


def _clamp(day: dt.date) -> dt.date:
    return min(max(day, MIN_DATE), MAX_DATE)


def _date(b: _Bytes, as_of: dt.date, around: dt.date | None = None) -> dt.date:
    """A date at a rule boundary relative to as_of (or to ``around``), a few days either side, or anywhere."""
    mode = b.byte() % 10
    if mode <= 4:
        return _clamp(b.pick(_anchors(as_of)) + dt.timedelta(days=b.pick((0, -1, 1, -2, 2, -3, 3))))
    if mode == 5 and around is not None:
        return _clamp(around + dt.timedelta(days=b.pick((0, -1, 1, -2, 2))))
    if mode == 6:  # a Feb 29 (or the day before or after) within 12 years of as_of
        year = b.pick([y for y in range(as_of.year - 14, as_of.year + 2) if calendar.isleap(y)])
        return _clamp(dt.date(year, 2, 29) + dt.timedelta(days=b.pick((0, -1, 1))))
    if mode == 7:  # a month end
        first = add_months(dt.date(as_of.year, as_of.month, 1), b.pick(range(-130, 14)))
        return _clamp(add_months(first, 1) - dt.timedelta(days=1))
    return _clamp(as_of + dt.timedelta(days=b.pick(range(-6000, 1200))))


def _program(data: bytes, as_of: dt.date) -> dict[str, Any]:
    b = _Bytes(data)
    p: dict[str, Any] = {"discipline": b.pick(VOCAB["discipline"])}
    _put(p, "status", b.maybe(VOCAB["program_status"]))
    if b.byte() % 6:
        completion = _date(b, as_of)
        p["completion_date"] = completion.isoformat()
        if b.flag():
            p["start_date"] = _clamp(completion - dt.timedelta(days=b.pick(range(0, 900)))).isoformat()
        if b.flag(3):  # accreditation began after enrolment: around the look-back, or anywhere near as_of
            base = add_months(completion, b.pick(sorted(MONTHS))) if b.flag() else _date(b, as_of)
            p["accredited_from"] = _clamp(base + dt.timedelta(days=b.pick((0, -1, 1, -2, 2, -3, 3)))).isoformat()
    elif b.flag(4):
        p["accredited_from"] = _date(b, as_of).isoformat()
    _put(p, "accreditor", b.maybe(VOCAB["accreditor"]))
    _put(p, "institution_accreditation", b.maybe(VOCAB["institution_accreditation"]))
    _put(p, "approvals", b.maybe(SUBSETS["program_approval"]))
    _put(p, "military", b.maybe((True, False)))
    _put(p, "postsecondary", b.maybe((True, False)))
    _put(p, "award", b.maybe(VOCAB["program_award"]))
    for key, pool in PROGRAM_NUMBERS.items():
        _put(p, key, b.maybe(pool, 3))
    return p


def _job(data: bytes, as_of: dt.date, around: dt.date | None) -> dict[str, Any]:
    b = _Bytes(data)
    j: dict[str, Any] = {"role": b.pick(VOCAB["experience_role"])}
    start = _date(b, as_of, around)
    ending = b.byte() % 6
    if ending == 0:
        end = None  # ongoing
    elif ending <= 3:
        end = start + dt.timedelta(days=b.pick(JOB_LENGTHS) - 1)
    elif ending == 4:
        end = _date(b, as_of, around)
        start, end = min(start, end), max(start, end)
    else:
        end = start + dt.timedelta(days=b.pick(range(4000)))
    j["start_date"] = start.isoformat()
    _put(j, "end_date", None if end is None else _clamp(end).isoformat())
    hours = b.byte() % 4
    if hours == 1:
        j["hours_per_week"] = b.pick(WEEKLY)
    elif hours == 2:  # total hours giving (about) one of the weekly averages, e.g. exactly 35 a week
        days = max(1, ((end or as_of) - start).days + 1)
        weekly = b.pick(WEEKLY)
        j["total_hours"] = min(b.pick((weekly * days / 7, weekly * days // 7, weekly * days // 7 + 1)), 100_000)
    elif hours == 3:
        j["total_hours"] = b.pick(HOURS)
    if b.flag(6):  # both given: hours per week take precedence
        j.setdefault("hours_per_week", b.pick(WEEKLY))
        j.setdefault("total_hours", b.pick(HOURS))
    _put(j, "supervised", b.maybe((True, False), 3))
    _put(j, "setting", b.maybe(VOCAB["experience_setting"], 3))
    _put(j, "lab_areas", b.maybe(SUBSETS["lab_area"], 3))
    for key in ("venipunctures", "capillary_punctures", "ekgs", "arterial_punctures"):
        _put(j, key, b.maybe(COUNTS, 2))
    return j


def _subsets(values: list[str]) -> list[list[str]]:
    """Every subset of a small vocabulary (order varied), the full list included."""
    out = []
    for mask in range(1 << len(values)):
        chosen = [v for i, v in enumerate(values) if mask >> i & 1]
        out.append(chosen[::-1] if mask % 3 == 0 else chosen)
    return out


SUBSETS = {name: _subsets(VOCAB[name]) for name in ("program_approval", "lab_area")}
RECORD = st.binary(min_size=64, max_size=64)
# Vocabulary of each enumerated field (engine/applicant.py), for values just outside a `one_of`.
FIELD_VOCABULARIES = {
    "program.discipline": "discipline",
    "program.accreditor": "accreditor",
    "program.institution_accreditation": "institution_accreditation",
    "program.award": "program_award",
    "program.status": "program_status",
    "degree.level": "degree_level",
    "degree.field": "degree_field",
    "degree.institution_accreditation": "institution_accreditation",
    "high_school.credential": "high_school_credential",
}


def _count(b: _Bytes, most: int) -> int | None:
    """Absent (None), empty (0) or 1..most items."""
    kind = b.byte() % 6
    return None if kind == 0 else 0 if kind == 1 else 1 + b.byte() % most


# Aiming: most random applicants fail most routes early, so some are bent towards one route of the rule set.
# Each criterion of the route (one member of each group) is made to hold, or is set exactly at its
# threshold, or just outside it; a criterion is sometimes left alone. The routes and thresholds are read
# from the rule files, so the cases follow the rules as they change.

ROUTES = [(cred, route) for cred in ORACLE.credentials.values() for route in cred.routes]
LEVELS = VOCAB["degree_level"]


def _threshold(test: dict[str, Any]) -> tuple[str, Any] | None:
    for op in ("at_least", "more_than", "at_most", "less_than"):
        if op in test:
            t = test[op]
            return op, (t[-1]["value"] if isinstance(t, list) else t)
    return None


def _near(b: _Bytes, op: str, t: float, *, whole: bool) -> float:
    """A number passing ``op t`` most of the time: at the threshold, past it, or (rarely) just short of it."""
    step = 1 if whole else b.pick((1, 0.5))
    inside = {"at_least": (0, step, 10), "more_than": (step, 10), "at_most": (0, -step), "less_than": (-step,)}[op]
    outside = {"at_least": -step, "more_than": 0, "at_most": step, "less_than": 0}[op]
    value = t + (outside if b.byte() % 7 == 0 else b.pick(inside))
    return max(value, 0)


def _record(app: dict[str, Any], key: str, b: _Bytes, new: dict[str, Any]) -> dict[str, Any]:
    """A record of the list to aim at: an existing one, or a new one appended (the list created if needed)."""
    records = app.setdefault(key, [])
    if records and not b.flag(3):  # an existing record two times in three
        return records[b.pick(range(len(records)))]
    records.append(new)
    return new


def _time_ok(measure: dict[str, Any], test: dict[str, Any], day: dt.date, as_of: dt.date) -> bool:
    kind = measure["kind"]
    start, end = (day, as_of) if kind == "time_since" else (as_of, day)
    for op, threshold in test.items():
        if isinstance(threshold, list):
            threshold = threshold[-1]["value"]
        sign = compare_time(start, end, threshold)
        if not {"at_least": sign >= 0, "more_than": sign > 0, "at_most": sign <= 0, "less_than": sign < 0}[op]:
            return False
    return True


def _aim(app: dict[str, Any], as_of: dt.date, b: _Bytes) -> None:
    cred, route = b.pick(ROUTES)
    names = [b.pick(e.members) if isinstance(e, Group) else e for e in route.entries]
    crits = [cred.criteria[n] for n in names if b.byte() % 12]  # now and then one is left alone
    records: dict[str, dict[str, Any]] = {}

    def record(kind: str) -> dict[str, Any]:
        if kind not in records:
            if kind == "program":
                records[kind] = _record(app, "programs", b, {"discipline": b.pick(VOCAB["discipline"])})
            else:
                records[kind] = _record(app, "degrees", b, {"level": b.pick(LEVELS)})
        return records[kind]

    # Dates compared with the evaluation date: one date per path passing all of the route's tests on it.
    dated: dict[str, list[Criterion]] = {}
    for c in crits:
        if c.measure["kind"] in ("time_since", "time_until"):
            dated.setdefault(c.measure["date"], []).append(c)
    for path, tests in dated.items():
        candidates = [a + dt.timedelta(days=d) for a in _anchors(as_of) for d in (-3, -2, -1, 0, 1, 2, 3)]
        good = [d for d in candidates if all(_time_ok(c.measure, c.test, d, as_of) for c in tests)]
        day = b.pick(good if good and b.byte() % 6 else candidates)
        record(path.split(".")[0])[path.split(".")[1]] = _clamp(day).isoformat()

    for c in crits:
        m, test = c.measure, c.test
        kind = m["kind"]
        if kind == "field":
            head, key = m["path"].split(".")
            if head in ("program", "degree"):
                target = record(head)
            elif head == "high_school":
                target = app.setdefault(head, {"credential": b.pick(VOCAB["high_school_credential"])})
            else:
                target = app.setdefault(head, {})
            bound = _threshold(test)
            if "one_of" in test:
                target[key] = b.pick(test["one_of"]) if b.byte() % 6 else b.pick(_vocabulary_of(m["path"]))
            elif "is" in test:
                target[key] = test["is"] if b.byte() % 6 else not test["is"]
            elif "includes_any" in test or "includes_all" in test:
                wanted = test.get("includes_any") or test.get("includes_all")
                target[key] = sorted(set(target.get(key) or []) | ({b.pick(wanted)} if b.byte() % 6 else set()))
            elif bound and isinstance(bound[1], str):  # an ordered vocabulary
                rank = LEVELS.index(bound[1]) + b.pick((0, 0, 1, -1))
                target[key] = LEVELS[min(max(rank, 0), len(LEVELS) - 1)]
            elif bound:
                whole = key in ("venipunctures", "capillary_punctures", "ekgs", "injections", "arterial_punctures")
                target[key] = _near(b, bound[0], bound[1], whole=whole)
        elif kind == "age" and (bound := _threshold(test)):
            birth = add_months(as_of, -12 * int(_near(b, bound[0], bound[1], whole=True)))
            app["birth_date"] = _clamp(birth + dt.timedelta(days=b.pick((0, 0, -1, 1)))).isoformat()
        elif kind == "time_between":  # the end left out (``end_absent``), or around the limit after the start
            rec = record(m["start"].split(".")[0])
            start_key, end_key = m["start"].split(".")[1], m["end"].split(".")[1]
            rec.pop(end_key, None)
            if b.flag() and start_key in rec:
                bound = _threshold(test)
                months = (duration_months(bound[1]) or 0) if bound else 0
                end = add_months(dt.date.fromisoformat(rec[start_key]), months)
                rec[end_key] = _clamp(end + dt.timedelta(days=b.pick((0, -1, 1, -2, 2, -3, 3)))).isoformat()
        elif kind == "sum" and (bound := _threshold(test)):
            total = int(_near(b, bound[0], bound[1], whole=True))
            first = b.pick(range(total + 1))
            rec = record(m["paths"][0].split(".")[0])
            rec[m["paths"][0].split(".")[1]] = first
            rec[m["paths"][1].split(".")[1]] = total - first
        elif kind == "experience" and (bound := _threshold(test)):
            _aim_experience(app, as_of, b, m, bound, record("program") if m.get("since") else None)
        elif kind == "experience_areas":
            wanted = list(test.get("includes_all") or test.get("includes_any") or [])
            if b.byte() % 5 == 0 and wanted:
                wanted.remove(b.pick(wanted))
            first = subtract(as_of, m["within"]) if m.get("within") else as_of - dt.timedelta(days=3000)
            end = first + dt.timedelta(days=b.pick((0, -1, 1, 30, 400)))
            job = {
                "role": b.pick(m["roles"]),
                "start_date": _clamp(end - dt.timedelta(days=b.pick((0, 200, 3000)))).isoformat(),
                "end_date": _clamp(end).isoformat(),
                "lab_areas": wanted,
                "hours_per_week": 40,
            }
            app.setdefault("work_experience", []).append(job)
        elif kind == "certifications":
            wanted = test.get("includes_any") or test.get("includes_all") or []
            cert: dict[str, Any] = {"credential": b.pick(wanted)}
            _put(cert, "status", b.maybe(("active", "active", "lapsed"), 4))
            app.setdefault("certifications", []).append(cert)
    for rec in app.get("programs", ()):  # keep the records valid
        if "start_date" in rec and "completion_date" in rec and rec["start_date"] > rec["completion_date"]:
            del rec["start_date"]
    del app.get("work_experience", [])[50:]


def _vocabulary_of(path: str) -> list[Any]:
    return VOCAB[FIELD_VOCABULARIES[path]] if path in FIELD_VOCABULARIES else [True, False]


def _aim_experience(
    app: dict[str, Any], as_of: dt.date, b: _Bytes, m: dict[str, Any], bound: tuple[str, Any], program: dict | None
) -> None:
    """Jobs totalling about the threshold inside the measure's window (and sometimes overlapping it)."""
    op, t = bound
    total = _near(b, op, t, whole=m["total"] not in ("hours",))
    weekly = 40.0
    if m.get("min_hours_per_week"):
        weekly = float(m["min_hours_per_week"]) + b.pick((0, 0, 5, -0.5))
    job: dict[str, Any] = {"role": b.pick(m["roles"])}
    if m.get("supervised") is not None:
        job["supervised"] = m["supervised"] if b.byte() % 6 else b.pick((None, not m["supervised"]))
    if m.get("settings"):
        job["setting"] = b.pick(m["settings"]) if b.byte() % 6 else b.pick(VOCAB["experience_setting"])
    if m.get("since"):
        completion = program.get(m["since"].split(".")[1]) if program else None
        first = dt.date.fromisoformat(completion) if completion else as_of - dt.timedelta(days=400)
    elif m.get("within"):
        first = subtract(as_of, m["within"])
    else:
        first = as_of - dt.timedelta(days=b.pick((0, 400, 4000)))
    first += dt.timedelta(days=b.pick((0, 0, -1, 1)))
    if m["total"] in ("years", "months"):
        days = round(total * 365 / 12) if m["total"] == "months" else round(total * 365)
    elif m["total"] == "hours":
        days = max(1, round(total * 7 / weekly))
    else:
        days = b.pick((1, 30, 365))
        job[m["total"]] = int(total)
    days = max(1, days + b.pick((0, 0, 1, -1)))
    if b.flag():  # ending on the evaluation date (or ongoing)
        start, end = as_of - dt.timedelta(days=days - 1), (None if b.flag() else as_of)
    else:  # starting on the window's first day (or a day either side)
        start, end = first, first + dt.timedelta(days=days - 1)
    job["start_date"] = _clamp(start).isoformat()
    if end is not None:
        job["end_date"] = _clamp(max(end, start)).isoformat()
    if b.flag(3):  # total hours instead of hours per week
        job_days = max(1, ((end or as_of) - start).days + 1)
        job["total_hours"] = min(round(weekly * job_days / 7, 2), 100_000)
    else:
        job["hours_per_week"] = min(weekly, 168)
    jobs = app.setdefault("work_experience", [])
    if b.flag(3) and end is not None and (end - start).days > 2:  # split in two overlapping jobs
        cut = start + dt.timedelta(days=(end - start).days // 2)
        second = dict(job, start_date=(cut - dt.timedelta(days=b.pick((0, 1, 5)))).isoformat())
        job["end_date"] = cut.isoformat()
        if "total_hours" in job:
            del job["total_hours"], second["total_hours"]
            job["hours_per_week"] = second["hours_per_week"] = min(weekly, 168)
        jobs.append(second)
    jobs.append(job)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dt.date]:
    """An applicant (as the API accepts it) and an evaluation date."""
    as_of = draw(st.sampled_from(AS_OF) | st.dates(dt.date(2005, 1, 1), dt.date(2045, 12, 31)))
    b = _Bytes(draw(st.binary(min_size=96, max_size=96)))
    app: dict[str, Any] = {}
    birth = b.byte() % 5
    if birth == 1:  # an age threshold, a day or two either side
        years = int(b.pick(sorted(NUMBERS.get("age", {18}))))
        app["birth_date"] = (add_months(as_of, -12 * years) + dt.timedelta(days=b.pick((0, -1, 1, -2, 2)))).isoformat()
    elif birth == 2:  # born on a Feb 29 about 18 years before
        year = b.pick([y for y in range(as_of.year - 21, as_of.year - 15) if calendar.isleap(y)])
        app["birth_date"] = dt.date(year, 2, 29).isoformat()
    elif birth >= 3:
        app["birth_date"] = _clamp(as_of - dt.timedelta(days=b.pick(range(60 * 366)))).isoformat()
    if b.byte() % 4:
        hs: dict[str, Any] = {"credential": b.pick(VOCAB["high_school_credential"])}
        if b.flag():
            hs["date"] = _date(b, as_of).isoformat()
        app["high_school"] = hs
    n = _count(b, 2)
    if n is not None:
        degrees = []
        for _ in range(n):
            d: dict[str, Any] = {"level": b.pick(VOCAB["degree_level"])}
            _put(d, "field", b.maybe(VOCAB["degree_field"]))
            if b.flag():
                d["conferred_date"] = _date(b, as_of).isoformat()
            _put(d, "institution_accreditation", b.maybe(VOCAB["institution_accreditation"]))
            degrees.append(d)
        app["degrees"] = degrees
    if b.byte() % 3:
        hours: dict[str, Any] = {}
        for key, pool in SEMESTER_NUMBERS.items():
            _put(hours, key, b.maybe(pool, 3))
        app["semester_hours"] = hours
    n = _count(b, 3)
    if n is not None:
        app["programs"] = [_program(draw(RECORD), as_of) for _ in range(n)]
    completions = [dt.date.fromisoformat(p["completion_date"]) for p in app.get("programs", ()) if
                   "completion_date" in p]
    around = b.pick(completions) if completions else None  # jobs may start around a completion date
    n = _count(b, 4)
    if n is not None:
        app["work_experience"] = [_job(draw(RECORD), as_of, around) for _ in range(n)]
    n = _count(b, 3)
    if n is not None:
        certs = []
        for _ in range(n):
            c: dict[str, Any] = {"credential": b.pick(HELD) if b.flag() else b.pick(CREDENTIAL_REFS)}
            _put(c, "status", b.maybe(("active", "lapsed"), 3))
            if b.flag():
                c["earned_date"] = _date(b, as_of).isoformat()
            certs.append(c)
        app["certifications"] = certs
    for _ in range(b.byte() % 4 // 2 + b.byte() % 4 // 3):  # aim at none, one or two routes
        _aim(app, as_of, _Bytes(draw(RECORD)))
    return app, as_of


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _mismatch(applicant: dict[str, Any], as_of: dt.date, problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return (
        f"the engine disagrees with the oracle on {as_of}:\n{lines}\n"
        f"as_of: {as_of.isoformat()}\napplicant: {json.dumps(applicant, sort_keys=True)}"
    )


@settings(
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(cases())
def test_engine_agrees_with_the_oracle(rulebook: Rulebook, case: tuple[dict[str, Any], dt.date]) -> None:
    applicant, as_of = case
    got = production_statuses(rulebook.evaluate(applicant, as_of=as_of))
    expected = oracle_statuses(ORACLE.evaluate(applicant, as_of))
    problems = differences(expected, got)
    assert not problems, _mismatch(applicant, as_of, problems)


# ---------------------------------------------------------------------------------------------- the oracle itself


def _statuses(applicant: dict[str, Any], as_of: dt.date, credential: str, oracle: Oracle = ORACLE) -> dict[str, Any]:
    """``{route: (status, {criterion: status})}`` of one credential, ids without the credential prefix."""
    verdict = oracle.evaluate(applicant, as_of)[credential]
    cut = len(credential) + 1
    return {
        rid[cut:]: (r.status, {c[cut:]: s for c, _, s in r.criteria}) for rid, r in verdict.routes.items()
    } | {"": verdict.status}


def test_calendar_arithmetic_clamps_to_the_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert subtract(dt.date(2028, 2, 29), {"years": 5}) == dt.date(2023, 2, 28)
    # Counted back from the reference date (the end): a month before Feb 28 is Jan 28, so Jan 31 is 3 days
    # short of a month; a month before Mar 31 is Feb 28, exactly a month.
    assert compare_time(dt.date(2026, 1, 31), dt.date(2026, 2, 28), {"months": 1}) == -1
    assert compare_time(dt.date(2026, 1, 28), dt.date(2026, 2, 28), {"months": 1}) == 0
    assert compare_time(dt.date(2026, 2, 28), dt.date(2026, 3, 31), {"months": 1}) == 0
    # Counted forward from the start (time_until): Jan 31 + 1 month is Feb 28.
    assert compare_time(dt.date(2026, 1, 31), dt.date(2026, 2, 28), {"months": 1}, anchor="start") == 0
    assert compare_time(dt.date(2026, 2, 28), dt.date(2026, 3, 31), {"months": 1}, anchor="start") == 1
    assert compare_time(dt.date(2026, 3, 1), dt.date(2026, 3, 31), {"days": 30}) == 0


def test_a_feb_29_birthday_is_on_feb_28_in_common_years() -> None:
    born = dt.date(2008, 2, 29)
    assert [age(born, dt.date(2026, 2, d)) for d in (27, 28)] == [17, 18]
    assert age(born, dt.date(2028, 2, 28)) == 19 and age(born, dt.date(2028, 2, 29)) == 20
    applicant = {"birth_date": "2008-02-29"}

    def age_18(on: dt.date) -> set[str]:
        routes = _statuses(applicant, on, "amca.cmaac")
        return {r[1]["age-18"] for key, r in routes.items() if key and "age-18" in r[1]}

    assert age_18(dt.date(2026, 2, 27)) == {"unmet"}
    assert age_18(dt.date(2026, 2, 28)) == {"met"}


def test_month_end_windows_on_a_feb_29_evaluation_date() -> None:
    as_of = dt.date(2028, 2, 29)
    # A date test counts back from the evaluation date, as windows do: 5 years before 2028-02-29 is 2023-02-28
    # (the month end clamps), so 2023-02-28 is exactly 5 years ago and 2023-02-27 a day more.
    for completion, expected in (("2023-02-27", "unmet"), ("2023-02-28", "met"), ("2023-03-01", "met")):
        program = {"discipline": "phlebotomy", "completion_date": completion}
        got = _statuses({"programs": [program]}, as_of, "ascp.pbt")["naacls-program"][1]
        assert got["completed-within-5-years"] == expected, completion
    # An experience window ending on the evaluation date starts 3 calendar years before it: on 2025-02-28.
    # 2025-02-28..2026-02-27 is 365 days, 12 months; a day earlier, 364 of them fall inside the window.
    for start, end, expected in (("2025-02-28", "2026-02-27", "met"), ("2025-02-27", "2026-02-26", "unmet")):
        job = {"role": "medical-assistant", "supervised": True, "start_date": start, "end_date": end}
        got = _statuses({"work_experience": [job]}, as_of, "nha.ccma")["work-experience"]
        assert got[1]["supervised-ma-work-1-of-3-years"] == expected, start


def test_hours_months_and_overlapping_jobs() -> None:
    as_of = dt.date(2026, 11, 23)
    # 182 days at 40 hours a week is exactly 1,040 hours; 181 days is 1,034.3.
    for days, expected in ((182, "met"), (181, "unmet")):
        end = dt.date(2025, 1, 1) + dt.timedelta(days=days - 1)
        job = {"role": "phlebotomy-technician", "start_date": "2025-01-01", "end_date": end.isoformat(),
               "hours_per_week": 40}
        gate = _statuses({"work_experience": [job]}, as_of, "amt.rpt")["work-experience"][1]
        assert gate["phlebotomy-work-1040-hours"] == expected
    # Total hours are spread evenly over the job's days: 404 of this job's 731 days fall in the 10-year window
    # that starts on 2016-11-23, so 4,000 hours count 2,210.7 (at least 2,080) and 3,700 count 2,044.9.
    for total, expected in ((4000, "met"), (3700, "unmet")):
        job = {"role": "phlebotomy-technician", "start_date": "2016-01-01", "end_date": "2017-12-31",
               "total_hours": total}
        got = _statuses({"work_experience": [job]}, as_of, "ncct.ncpt")["work-experience"][1]
        assert got["phlebotomy-work-2080-hours"] == expected
    # Two overlapping supervised jobs: 2025-01-01..2025-09-30 and 2025-06-01..2025-12-31 cover 365 days once.
    jobs = [
        {"role": "medical-assistant", "supervised": True, "start_date": "2025-01-01", "end_date": "2025-09-30"},
        {"role": "medical-assistant", "supervised": True, "start_date": "2025-06-01", "end_date": "2025-12-31"},
    ]
    supervised_year = "supervised-ma-work-1-of-3-years"
    assert _statuses({"work_experience": jobs}, as_of, "nha.ccma")["work-experience"][1][supervised_year] == "met"
    jobs[1]["end_date"] = "2025-12-30"  # 364 days
    assert _statuses({"work_experience": jobs}, as_of, "nha.ccma")["work-experience"][1][supervised_year] == "unmet"
    del jobs[1]["supervised"]  # perhaps supervised: 273 days are sure, 365 possible
    jobs[1]["end_date"] = "2025-12-31"
    assert _statuses({"work_experience": jobs}, as_of, "nha.ccma")["work-experience"][1][supervised_year] == "unknown"


def test_absent_and_empty_lists_and_the_closest_record() -> None:
    as_of = dt.date(2026, 11, 23)
    absent = _statuses({}, as_of, "amca.ptc")["training-program"]
    empty = _statuses({"programs": []}, as_of, "amca.ptc")["training-program"]
    assert absent == ("unknown", dict.fromkeys(absent[1], "unknown"))
    assert empty == ("unmet", dict.fromkeys(empty[1], "unmet"))
    # A short phlebotomy course and a long medical assisting program do not combine: each meets one of the
    # gate's two criteria (the discipline, the 40 hours), and on a tie the first record is the one reported.
    programs = [
        {"discipline": "medical-assisting", "clock_hours": 900},
        {"discipline": "phlebotomy", "completion_date": "2025-03-31", "clock_hours": 24},
    ]
    verdict = ORACLE.evaluate({"programs": programs}, as_of)["amca.ptc"].routes["amca.ptc.training-program"]
    assert verdict.status == "unmet" and verdict.records == {"program": 0}
    assert [s for _, _, s in verdict.criteria] == ["unmet", "met"]
    # with a long enough course the course comes closest (both met: still unknown, the route is not encoded)
    programs[1]["clock_hours"] = 40
    verdict = ORACLE.evaluate({"programs": programs}, as_of)["amca.ptc"].routes["amca.ptc.training-program"]
    assert verdict.status == "unknown" and verdict.records == {"program": 1}
    # A credential whose routes are all unencoded is never met: no program closes the training option, and the
    # experience option stays open while work experience is not given.
    cmac = _statuses({"programs": []}, as_of, "amca.cmac")
    assert cmac.pop("") == "undetermined"
    routes = {key: status for key, (status, _) in cmac.items()}
    assert routes == {"training-program": "unmet", "work-experience": "unknown"}


def test_effective_dates_and_dated_thresholds(tmp_path: Any) -> None:
    rules = tmp_path / "rules"
    (rules / "credentials" / "test").mkdir(parents=True)
    (rules / "vocabulary.yaml").write_text(
        (ORACLE_RULES / "vocabulary.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (rules / "credentials" / "test" / "dated.yaml").write_text(
        """
id: test.dated
criteria:
  hours:
    measure: program.clock_hours
    test: {at_least: [{value: 600, to: 2025-06-30}, {value: 720, from: 2025-07-01}]}
  new-rule:
    measure: program.military
    test: {is: true}
    effective: {from: 2026-01-01}
routes:
  - id: old
    criteria: [hours]
    effective: {to: 2025-12-31}
  - id: current
    criteria: [hours, new-rule]
""",
        encoding="utf-8",
    )
    oracle = Oracle(rules)
    program = {"discipline": "other", "clock_hours": 650, "military": False}
    assert _statuses({"programs": [program]}, dt.date(2025, 6, 30), "test.dated", oracle) == {
        "": "eligible", "old": ("met", {"hours": "met"}), "current": ("met", {"hours": "met"}),
    }
    assert _statuses({"programs": [program]}, dt.date(2025, 7, 1), "test.dated", oracle) == {
        "": "ineligible", "old": ("unmet", {"hours": "unmet"}), "current": ("unmet", {"hours": "unmet"}),
    }
    assert _statuses({"programs": [program]}, dt.date(2026, 1, 1), "test.dated", oracle) == {
        "": "ineligible", "current": ("unmet", {"hours": "unmet", "new-rule": "unmet"}),
    }


FIXTURE_CASES = [case for path in all_fixture_files() for case in load_cases(path)]


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[f"{c.credential}: {c.name}" for c in FIXTURE_CASES])
def test_the_oracle_agrees_with_every_rule_fixture(case: Case) -> None:
    """Statuses of the credential, routes, groups, criteria and cautions, and the records stated."""
    verdict = ORACLE.evaluate(case.applicant, case.as_of)[case.credential]
    result = SimpleNamespace(
        status=verdict.status,
        inputs_needed=(),
        routes=[
            SimpleNamespace(
                id=rid,
                status=r.status,
                coverage="full" if r.complete else "gate",
                cautions=[SimpleNamespace(id=c, status=s, record=rec) for c, s, rec in r.cautions],
                criteria=[
                    SimpleNamespace(id=c, group=g, status=s, record=rec)
                    for (c, g, s), rec in zip(r.criteria, r.criterion_records, strict=True)
                ],
                groups=[SimpleNamespace(id=g, status=s) for g, s in r.groups],
            )
            for rid, r in verdict.routes.items()
        ],
    )
    expect = {k: v for k, v in case.expect.items() if k != "inputs_needed"}  # the oracle does not explain
    problems = compare(Case(**{**case.__dict__, "expect": expect}), result)
    assert not problems, "\n".join(problems)
