"""Measures: typed values derived from an applicant's facts, which the durable-rules rules then test.

A measure never decides anything: it reads the facts (a field, an age, the time since a date, work
experience inside a window) and hands durable-rules a number, a flag, a code or a list. The comparison
against the rule's threshold happens in durable-rules.

A reading is a triple ``(low, high, missing)``:

* fully known: ``low == high`` and ``missing`` is empty;
* unknown: ``low is None``; ``missing`` names the inputs that would settle it;
* partly known: ``low`` counts only what certainly qualifies, ``high`` also what might (a job whose
  supervision is not stated, a certification whose status is not given). Both bounds go to the engine;
  a criterion is met when its test holds for both, unmet when for neither, unknown otherwise. Measures
  with two bounds are monotone and tests are intervals or set inclusions, so that rule is exact.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from . import _dates
from ._codes import HORIZON_YEARS
from ._fields import FieldSpec, Scope
from ._paths import FieldPath, api_path
from ._schema import (
    AgeMeasure,
    CertificationsMeasure,
    Duration,
    ExperienceAreasMeasure,
    ExperienceMeasure,
    FieldMeasure,
    Measure,
    SumMeasure,
    TimeBetweenMeasure,
    TimeSinceMeasure,
    TimeUntilMeasure,
)
from ._vocab import PROGRAM_COMPLETED, PROGRAM_IN_PROGRESS
from .outcome import Requirement, TimeSpan, Unit, Window

__all__ = [
    "MAX_ALTERNATIVES",
    "UNBOUNDED",
    "Alternatives",
    "CompiledMeasure",
    "MeasureError",
    "Reading",
    "ValueKind",
    "compile_measure",
]

Reading = tuple[Any, Any, tuple[str, ...]]
ValueKind = Literal["number", "bool", "enum", "rank", "list", "days", "calendar"]
TimeUnit = Literal["days", "calendar"]

# Upper bound for a total whose size is not known (hours of a job with no hours given).
UNBOUNDED = 10**12
_DAYS_PER_YEAR = 365


# A derived fact may leave a field one of a few values; each is tested (see `Alternatives`).
MAX_ALTERNATIVES = 8


@dataclass(frozen=True, slots=True)
class Alternatives:
    """The values a field may take when only a set is known: a derived fact (``rules/derivations.yaml``)
    says the field is one of them. A reading ``(Alternatives(...), None, missing)``: every value is tested;
    the criterion is met when all pass, unmet when none does, unknown otherwise."""

    values: tuple[Any, ...]
    derivation: str  # the derivation's id

    def __len__(self) -> int:
        return len(self.values)


class MeasureError(ValueError):
    """A measure that does not fit the applicant model; the loader turns it into a RuleProblem."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


TimeKind = Literal["since", "until", "between"]
Source = Literal[
    "field",
    "age",
    "time_since",
    "time_until",
    "time_between",
    "sum",
    "experience",
    "experience_areas",
    "certifications",
]
# events(applicant, record index, evaluation date) -> dates ahead where the reading's trend may change (it is
# monotone between them), or None when the reading does not change with the evaluation date at all.
Events = Callable[[Any, int | None, dt.date], tuple[dt.date, ...] | None]


def _static(applicant: Any, index: int | None, as_of: dt.date) -> tuple[dt.date, ...] | None:
    return None


@dataclass(frozen=True)
class CompiledMeasure:
    """A measure ready to read applicants.

    ``read`` gives the engine's values (ranks, calendar codes); ``value`` turns one into the typed value an
    outcome reports (a vocabulary code, a ``TimeSpan``); ``window`` gives the dates a requirement means on an
    evaluation date (time measures and experience windows); ``facts`` lists the applicant's facts the measure
    read on a record (for traces). ``source`` is the measure's kind as written in the rule file; ``events``
    tells guidance when the reading can change as the evaluation date moves (``Events``)."""

    signature: str
    scope: Scope
    kind: ValueKind
    vocabulary: str | None
    inputs: tuple[str, ...]
    read: Callable[[Any, dt.date, int | None], Reading]
    unit: Unit | None = None
    value: Callable[[Any], Any] = lambda v: v
    window: Callable[[Requirement, dt.date], Window | None] = lambda r, d: None
    facts: Callable[[Any, int | None], tuple[tuple[str, Any], ...]] = lambda a, i: ()
    time: TimeKind | None = None
    source: Source = "field"
    events: Events = _static


def _fact_value(value: Any) -> Any:
    """A fact as a trace shows it: enums by value, dates as ISO strings, records as dicts."""
    if value is None or isinstance(value, bool | int | float | str):
        return getattr(value, "value", value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_fact_value(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return getattr(value, "value", str(value))


def _field_facts(getters: list[tuple[Callable[[Any, int | None], tuple[Any, str]], str]]) -> Callable[..., Any]:
    def facts(applicant: Any, index: int | None) -> tuple[tuple[str, Any], ...]:
        out = []
        for get, attr in getters:
            record, path = get(applicant, index)
            out.append((path, _fact_value(None if record is None else getattr(record, attr))))
        return tuple(out)

    return facts


def _list_facts(section: str, keep: Callable[[Any], bool] = lambda e: True) -> Callable[..., Any]:
    """The entries of a list the measure reads (jobs, certifications), each with its facts."""

    def facts(applicant: Any, index: int | None) -> tuple[tuple[str, Any], ...]:
        entries = getattr(applicant, section)
        if entries is None:
            return ((section, None),)
        return tuple((api_path(section, j), _fact_value(e)) for j, e in enumerate(entries) if keep(e))

    return facts


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _signature(measure: Measure, extra: dict[str, Any]) -> str:
    payload = measure.model_dump(mode="json", exclude_none=True, by_alias=True) | extra
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def _lookup(catalogue: dict[str, FieldSpec], path: str, key: str) -> FieldSpec:
    spec = catalogue.get(path)
    if spec is None:
        known = ", ".join(sorted(catalogue))
        raise MeasureError(key, f"`{path}` is not an applicant field; known fields: {known}")
    return spec


def _record_getter(spec: FieldSpec) -> Callable[[Any, int | None], tuple[Any, str]]:
    """Return a function giving (record or None, concrete input path) for an applicant and item index."""
    section = spec.section_attr
    if section is None:
        path = spec.input_path(None)
        return lambda applicant, index: (applicant, path)
    if spec.scope == "applicant":
        path = spec.input_path(None)
        return lambda applicant, index: (getattr(applicant, section), path)
    path_at = functools.cache(spec.input_path)  # each record's path built once

    def item(applicant: Any, index: int | None) -> tuple[Any, str]:
        assert index is not None
        return getattr(applicant, section)[index], path_at(index)

    return item


def _field(
    m: FieldMeasure,
    catalogue: dict[str, FieldSpec],
    ranks: dict[str, dict[str, int]],
    key: str,
    derivations: tuple[Any, ...] = (),
) -> CompiledMeasure:
    spec = _lookup(catalogue, m.path, key)
    if spec.type == "date":
        raise MeasureError(key, f"`{m.path}` is a date: measure it with time_since, time_until or time_between")
    get = _record_getter(spec)
    attr = spec.attr
    kind: ValueKind
    to_value: Callable[[Any], Any] = _identity
    if spec.type == "enum" and spec.ordered:
        kind = "rank"
        rank = ranks[spec.vocabulary or ""]
        names = {v: k for k, v in rank.items()}

        def convert(v: Any) -> Any:
            return rank[v.value]

        def to_value(value: Any) -> Any:
            return names.get(value, value)
    elif spec.type == "enum":
        kind = "enum"

        def convert(v: Any) -> Any:
            return v.value
    elif spec.type == "enum_list":
        kind = "list"

        def convert(v: Any) -> Any:
            return tuple(sorted({x.value for x in v}))
    elif spec.type == "bool":
        kind = "bool"

        def convert(v: Any) -> Any:
            return v
    else:
        kind = "number"

        def convert(v: Any) -> Any:
            return v

    # Derived facts for this field: (read the condition's field, the values it must take, what follows).
    derived = tuple(
        (_record_getter(catalogue[d.when_path]), catalogue[d.when_path].attr, d.when_values, d)
        for d in derivations
        if d.then_path == m.path
    )
    alternatives = (
        {
            d.id: Alternatives(tuple(rank[v] for v in d.then_values) if kind == "rank" else d.then_values, d.id)
            for *_, d in derived
        }
        if derived
        else {}
    )

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        record, path = get(applicant, index)
        value = None if record is None else getattr(record, attr)
        if value is None:
            for when_get, when_attr, when_values, d in derived:
                when_record, _ = when_get(applicant, index)
                given = None if when_record is None else getattr(when_record, when_attr)
                if given is not None and getattr(given, "value", given) in when_values:
                    return alternatives[d.id], None, (path,)
            return None, None, (path,)
        value = convert(value)
        return value, value, ()

    return CompiledMeasure(
        signature=_signature(m, {"derived": [d.id for *_, d in derived]} if derived else {}),
        scope=spec.scope,
        kind=kind,
        vocabulary=spec.vocabulary,
        inputs=(spec.input_path(None),),
        read=read,
        unit=spec.unit,
        value=to_value,
        facts=_field_facts([(get, attr)]),
    )


def _identity(value: Any) -> Any:
    return value


def _date_spec(catalogue: dict[str, FieldSpec], path: str, key: str) -> FieldSpec:
    spec = _lookup(catalogue, path, key)
    if spec.type != "date":
        raise MeasureError(key, f"`{path}` is not a date field")
    return spec


def _time_value(unit: TimeUnit) -> Callable[[Any], TimeSpan]:
    """A signed time difference (days, or a calendar code) as a ``TimeSpan``."""
    if unit == "days":
        return lambda v: TimeSpan(days=abs(int(v)), negative=v < 0)

    def span(value: Any) -> TimeSpan:
        years, months, days = _dates.split_calendar_code(abs(int(value)))
        return TimeSpan(years, months, days, negative=value < 0)

    return span


def _shift(day: dt.date, amount: int, unit: str, sign: int) -> dt.date:
    """``day`` plus (``sign`` 1) or minus (-1) a duration, calendar-wise for months and years."""
    if unit == "days":
        return day + dt.timedelta(days=sign * amount)
    return _dates.add_months(day, sign * amount * (12 if unit == "years" else 1))


def _date_window(path: str, since: bool) -> Callable[[Requirement, dt.date], Window | None]:
    """The dates a date field must fall in for a requirement on its time since (or until) the evaluation date.

    Time since a date, at most 4 years: on or after as_of - 4 years; less than: the day after; at least:
    on or before; more than: the day before. Time until mirrors it forward from the evaluation date.
    """

    def window(requirement: Requirement, as_of: dt.date) -> Window | None:
        start: dt.date | None = None
        end: dt.date | None = None
        bounds = [(requirement.op, requirement.value)]
        if requirement.also is not None:
            bounds.append((requirement.also.op, requirement.also.value))
        unit = requirement.unit.value if requirement.unit else "days"
        one = dt.timedelta(days=1)
        for op, amount in bounds:
            edge = _shift(as_of, int(amount), unit, -1 if since else 1)
            # since: a larger time means an earlier date; until: a larger time means a later date
            if op in ("at_most", "less_than"):
                bound = edge if op == "at_most" else (edge + one if since else edge - one)
                if since:
                    start = bound
                else:
                    end = bound
            else:
                bound = edge if op == "at_least" else (edge - one if since else edge + one)
                if since:
                    end = bound
                else:
                    start = bound
        return Window(path, start, end)

    return window


def _difference(unit: TimeUnit) -> Callable[[dt.date, dt.date], int]:
    """Time from ``start`` to ``end``; calendar months are counted back from ``end``, the reference date."""
    if unit == "days":
        return lambda start, end: (end - start).days
    return lambda start, end: _dates.calendar_code_at(end, start)


# A program's completion date is the expected one while the program is in progress. Measured against the
# evaluation date it tells nothing when the status contradicts it: in progress although the date has passed
# (the record may be stale), or completed although the date is still ahead. The measure is then unknown and
# asks for both fields. (Dates between two fields of a record, such as the accreditation look-back, are not
# measured against the evaluation date and are not affected; nor is an experience total counted `since` the
# completion date, which only sets where a window starts.)
_DATE_STATUS = {("programs", "completion_date"): "status"}


def _status_contradicts(status: Any, day: dt.date, as_of: dt.date) -> bool:
    value = getattr(status, "value", status)
    return (value == PROGRAM_IN_PROGRESS and day < as_of) or (value == PROGRAM_COMPLETED and day > as_of)


def _time_since(
    m: TimeSinceMeasure | TimeUntilMeasure, catalogue: dict[str, FieldSpec], unit: TimeUnit, key: str
) -> CompiledMeasure:
    spec = _date_spec(catalogue, m.date, key)
    get = _record_getter(spec)
    attr = spec.attr
    status_attr = _DATE_STATUS.get((spec.section_attr or "", attr))
    diff = _difference(unit)
    since = isinstance(m, TimeSinceMeasure)

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        record, path = get(applicant, index)
        day = None if record is None else getattr(record, attr)
        if day is None:
            return None, None, (path,)
        if status_attr is not None and _status_contradicts(getattr(record, status_attr), day, as_of):
            return None, None, (f"{path.rsplit('.', 1)[0]}.{status_attr}", path)
        # Both are measured from the evaluation date, the reference point of the window.
        value = diff(day, as_of) if since else -diff(day, as_of)
        return value, value, ()

    def facts(applicant: Any, index: int | None) -> tuple[tuple[str, Any], ...]:
        record, path = get(applicant, index)
        out = [(path, _fact_value(None if record is None else getattr(record, attr)))]
        if status_attr is not None:
            status = None if record is None else getattr(record, status_attr)
            out.append((f"{path.rsplit('.', 1)[0]}.{status_attr}", _fact_value(status)))
        return tuple(out)

    return CompiledMeasure(
        signature=_signature(m, {"unit": unit}),
        scope=spec.scope,
        kind=unit,
        vocabulary=None,
        inputs=(spec.input_path(None),),
        read=read,
        value=_time_value(unit),
        window=_date_window(spec.input_path(None), since),
        facts=facts,
        time="since" if since else "until",
        source="time_since" if since else "time_until",
        events=_date_events(get, attr),
    )


def _date_events(get: Callable[[Any, int | None], tuple[Any, str]], attr: str) -> Events:
    """A time since (or until) a given date moves every day, monotonically; the date itself is an event (the
    time changes sign there, and a completion date stops contradicting the program's status)."""

    def events(applicant: Any, index: int | None, as_of: dt.date) -> tuple[dt.date, ...] | None:
        record, _ = get(applicant, index)
        day = None if record is None else getattr(record, attr)
        if day is None:
            return None
        return (day, day + dt.timedelta(days=1)) if day > as_of else ()

    return events


def _time_between(m: TimeBetweenMeasure, catalogue: dict[str, FieldSpec], unit: TimeUnit, key: str) -> CompiledMeasure:
    start_spec = _date_spec(catalogue, m.start, key)
    end_spec = _date_spec(catalogue, m.end, key)
    if (start_spec.scope, start_spec.section_attr) != (end_spec.scope, end_spec.section_attr):
        raise MeasureError(key, "time_between needs two dates of the same record")
    get_start, get_end = _record_getter(start_spec), _record_getter(end_spec)
    diff = _difference(unit)
    zero_when_absent = m.end_absent == "zero"

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        record, start_path = get_start(applicant, index)
        _, end_path = get_end(applicant, index)
        start = None if record is None else getattr(record, start_spec.attr)
        end = None if record is None else getattr(record, end_spec.attr)
        if end is None and zero_when_absent:
            return 0, 0, ()  # no end means "same as the start", whatever the start is
        if start is None:
            return None, None, (start_path,)
        if end is None:
            return None, None, (end_path,)
        value = diff(start, end)
        return value, value, ()

    return CompiledMeasure(
        signature=_signature(m, {"unit": unit}),
        scope=start_spec.scope,
        kind=unit,
        vocabulary=None,
        inputs=(start_spec.input_path(None), end_spec.input_path(None)),
        read=read,
        value=_time_value(unit),
        facts=_field_facts([(get_start, start_spec.attr), (get_end, end_spec.attr)]),
        time="between",
        source="time_between",
    )


def _sum(m: SumMeasure, catalogue: dict[str, FieldSpec], key: str) -> CompiledMeasure:
    specs = [_lookup(catalogue, p, key) for p in m.paths]
    if any(s.type != "number" for s in specs):
        raise MeasureError(key, "sum adds numeric fields only")
    if len({(s.scope, s.section_attr) for s in specs}) != 1:
        raise MeasureError(key, "sum needs fields of the same record")
    getters = [(_record_getter(s), s.attr) for s in specs]

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        total: float = 0
        missing = []
        for get, attr in getters:
            record, path = get(applicant, index)
            value = None if record is None else getattr(record, attr)
            if value is None:
                missing.append(path)
            else:
                total += value
        if missing:
            return None, None, tuple(missing)
        return total, total, ()

    return CompiledMeasure(
        signature=_signature(m, {}),
        scope=specs[0].scope,
        kind="number",
        vocabulary=None,
        inputs=tuple(s.input_path(None) for s in specs),
        read=read,
        unit=specs[0].unit if len({s.unit for s in specs}) == 1 else None,
        facts=_field_facts(getters),
        source="sum",
    )


def _age(m: AgeMeasure) -> CompiledMeasure:
    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        born = applicant.birth_date
        if born is None:
            return None, None, ("birth_date",)
        age = _dates.full_years(born, as_of)
        return age, age, ()

    return CompiledMeasure(
        signature=_signature(m, {}),
        scope="applicant",
        kind="number",
        vocabulary=None,
        inputs=("birth_date",),
        read=read,
        unit=Unit.YEARS,
        facts=lambda applicant, index: (("birth_date", _fact_value(applicant.birth_date)),),
        source="age",
        events=lambda applicant, index, as_of: None if applicant.birth_date is None else (),
    )


def _window_start(as_of: dt.date, within: Duration | None) -> dt.date | None:
    if within is None:
        return None
    return _window_from(as_of, within.unit, within.amount)


@functools.lru_cache(maxsize=4096)
def _window_from(as_of: dt.date, unit: str, amount: int) -> dt.date:
    """First day of a window of ``amount`` ``unit`` ending on ``as_of`` (cached: few distinct dates per run)."""
    return _dates.subtract(as_of, **{unit: amount})


def _union_days(intervals: list[tuple[dt.date, dt.date]]) -> int:
    """Days covered by the union of inclusive date intervals."""
    total = 0
    current_start: dt.date | None = None
    current_end: dt.date | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end + dt.timedelta(days=1):
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).days + 1
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).days + 1
    return total


def _weekly_hours(entry: Any, as_of: dt.date) -> float | None:
    """A job's hours per week: as given, or its total hours over its weeks, to a ten-thousandth of an hour.

    The rounding keeps a total that stands for an exact weekly figure (40 hours a week over 6,364 days is
    254,560/7 hours, which no decimal or binary number holds exactly) at that figure, whichever way the last
    binary digit of the total fell."""
    if entry.hours_per_week is not None:
        return float(entry.hours_per_week)
    if entry.total_hours is not None:
        days = ((entry.end_date or as_of) - entry.start_date).days + 1
        return round(float(entry.total_hours) * 7 / days, 4) if days > 0 else None
    return None


def _window_length(within: Duration | None, per_year: int) -> float | None:
    """A window's own length in years (``per_year`` 1) or months (12). Calendar months are 28 to 31 days, both
    ends counted, so "the last 6 months" is 182 to 185 days: at 365/12 days a month, 5.98 to 6.08 months."""
    if within is None:
        return None
    if within.unit == "days":
        return within.amount * per_year / _DAYS_PER_YEAR
    return within.amount * (12 if within.unit == "years" else 1) * per_year / 12


def _entry_hours(entry: Any, start: dt.date, end: dt.date, as_of: dt.date) -> float | None:
    """Hours of an entry inside [start, end]: hours per week, or total hours spread over its dates."""
    days_inside = (end - start).days + 1
    if entry.hours_per_week is not None:
        return float(entry.hours_per_week) * days_inside / 7
    if entry.total_hours is not None:
        entry_days = ((entry.end_date or as_of) - entry.start_date).days + 1
        return float(entry.total_hours) * days_inside / entry_days if entry_days > 0 else 0.0
    return None


def _experience(m: ExperienceMeasure, catalogue: dict[str, FieldSpec], key: str) -> CompiledMeasure:
    roles = frozenset(m.roles)
    settings = frozenset(m.settings) if m.settings else None
    since_spec = _date_spec(catalogue, m.since, key) if m.since else None
    if since_spec is not None and since_spec.scope == "applicant":
        raise MeasureError(key, "`since` must be a date of a program or degree record")
    since_get = _record_getter(since_spec) if since_spec else None
    scope: Scope = since_spec.scope if since_spec else "applicant"
    total = m.total
    count_attr = total if total not in ("years", "months", "hours") else None

    per_year = 1 if total == "years" else 12  # for totals of time
    whole = None if since_get is not None else _window_length(m.within, per_year)

    def _in_window(days: int, window_start: dt.date | None, as_of: dt.date) -> float:
        """Days worked as a total of time: work over every day of a `within` window counts the window's length,
        and work over part of it never more."""
        counted = days * per_year / _DAYS_PER_YEAR
        if whole is None or window_start is None:
            return counted
        return whole if days >= (as_of - window_start).days + 1 else min(counted, whole)

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        entries = applicant.work_experience
        if entries is not None and not any(entry.role.value in roles for entry in entries):
            return 0.0, 0.0, ()  # no job in these roles: nothing to count, whatever the window
        since_missing: tuple[str, ...] = ()
        if since_get is not None and since_spec is not None:
            record, path = since_get(applicant, index)
            window_start = getattr(record, since_spec.attr)
            if window_start is None:
                if entries is None:
                    return None, None, (path, "work_experience")
                # The window is unknown: nothing certainly counts, and at most all matching work ever done.
                since_missing = (path,)
        else:
            window_start = _window_start(as_of, m.within)
        if entries is None:
            return None, None, ("work_experience",)
        sure: list[tuple[Any, dt.date, dt.date, int]] = []
        maybe: list[tuple[Any, dt.date, dt.date, int]] = []
        missing: list[str] = []
        for j, entry in enumerate(entries):
            if entry.role.value not in roles:
                continue
            start = entry.start_date if window_start is None else max(entry.start_date, window_start)
            end = min(entry.end_date or as_of, as_of)
            if end < start:
                continue
            certain = True
            if m.supervised is not None:
                if entry.supervised is None:
                    certain = False
                    missing.append(api_path("work_experience", j, "supervised"))
                elif entry.supervised != m.supervised:
                    continue
            if settings is not None:
                if entry.setting is None:
                    certain = False
                    missing.append(api_path("work_experience", j, "setting"))
                elif entry.setting.value not in settings:
                    continue
            if m.min_hours_per_week is not None:
                weekly = _weekly_hours(entry, as_of)
                if weekly is None:
                    certain = False
                    missing.append(api_path("work_experience", j, "hours_per_week"))
                elif weekly < m.min_hours_per_week:
                    continue
            if m.only_lab_duties and entry.lab_duties_percent is None and count_attr is None:
                certain = False
                missing.append(api_path("work_experience", j, "lab_duties_percent"))
            (sure if certain else maybe).append((entry, start, end, j))

        if total in ("years", "months"):
            low_days = _union_days([(s, e) for _, s, e, _ in sure])
            high_days = _union_days([(s, e) for _, s, e, _ in sure + maybe]) if maybe else low_days
            low, high = _in_window(low_days, window_start, as_of), _in_window(high_days, window_start, as_of)
        else:
            low = high = 0.0
            for rows, certain in ((sure, True), (maybe, False)):
                for entry, s, e, j in rows:
                    part = _entry_hours(entry, s, e, as_of) if count_attr is None else getattr(entry, count_attr)
                    if m.only_lab_duties and part is not None and entry.lab_duties_percent is not None:
                        part *= entry.lab_duties_percent / 100  # an unknown share counts whole, for the upper bound
                    if part is None:
                        # The job qualifies but its size is unknown: it could add any amount.
                        high = float(UNBOUNDED)
                        attr_name = "hours_per_week" if count_attr is None else count_attr
                        missing.append(api_path("work_experience", j, attr_name))
                        continue
                    if certain:
                        low += part
                    high = min(high + part, float(UNBOUNDED))
        low, high = round(low, 4), round(high, 4)
        if since_missing:
            low = 0.0
            missing[:0] = since_missing
        if high == low and not missing:
            return low, low, ()
        return low, high, tuple(dict.fromkeys(missing))

    inputs = ["work_experience"] + ([since_spec.input_path(None)] if since_spec else [])
    jobs = _list_facts("work_experience", lambda e: e.role.value in roles)
    since_facts = _field_facts([(since_get, since_spec.attr)]) if since_get and since_spec else None
    return CompiledMeasure(
        signature=_signature(m, {}),
        scope=scope,
        kind="number",
        vocabulary=None,
        inputs=tuple(inputs),
        read=read,
        unit=Unit(total.replace("_", "-")),
        window=_within_window(m.within),
        facts=(lambda a, i: since_facts(a, i) + jobs(a, i)) if since_facts else jobs,
        source="experience",
        events=_job_events(
            roles, m.within, since_get, since_spec.attr if since_spec else None, hours=total == "hours"
        ),
    )


def _job_events(
    roles: frozenset[str],
    within: Duration | None,
    since_get: Callable[[Any, int | None], tuple[Any, str]] | None = None,
    since_attr: str | None = None,
    *,
    hours: bool = False,
) -> Events:
    """Where a total over jobs changes its trend as the evaluation date moves: a job starts or ends, or the
    window's start passes a job's first or last day (or the ``since`` date). For ``hours`` over a window of
    calendar months, also the days its length changes while a job covers all of it: hours, unlike months, are
    as many as the days worked."""

    def events(applicant: Any, index: int | None, as_of: dt.date) -> tuple[dt.date, ...] | None:
        entries = [e for e in applicant.work_experience or () if e.role.value in roles]
        if not entries:
            return None
        out: set[dt.date] = set()
        one = dt.timedelta(days=1)
        for entry in entries:
            edges = [entry.start_date] + ([entry.end_date + one] if entry.end_date is not None else [])
            out.update(edges)
            if within is not None:
                for edge in edges:
                    ahead = _shift(edge, within.amount, within.unit, 1)
                    out.update((ahead - one, ahead, ahead + one))
            if hours and within is not None and within.unit != "days" and (entry.end_date or as_of) >= as_of:
                out.update(_length_changes(within, entry.start_date, entry.end_date, as_of))
        if since_get is not None and since_attr is not None:
            record, _ = since_get(applicant, index)
            since = None if record is None else getattr(record, since_attr)
            if since is not None:
                out.add(since)
        return tuple(sorted(d for d in out if d > as_of))

    return events


def _length_changes(within: Duration, start: dt.date, end: dt.date | None, as_of: dt.date) -> set[dt.date]:
    """The days ahead (to the guidance horizon, and while a job from ``start`` to ``end`` covers the whole
    window) on which a window of calendar months ending that day is longer or shorter than the day before.
    Its first day only stops or jumps where it is clamped to a month's end, so only a month's 29th to 31st and
    its 1st can change it: "the last 6 months" is 182 days on 1 March and 185 on 31 August."""
    first = max(as_of, _shift(start, within.amount, within.unit, 1))
    last = min(end or dt.date.max, _dates.add_months(as_of, 12 * HORIZON_YEARS))

    def length(day: dt.date) -> int:
        return (day - _window_from(day, within.unit, within.amount)).days

    out: set[dt.date] = set()
    year, month = first.year, first.month
    while dt.date(year, month, 1) <= last:
        for day in (1, 29, 30, 31):
            if day <= calendar.monthrange(year, month)[1]:
                d = dt.date(year, month, day)
                if first < d <= last and length(d) != length(d - dt.timedelta(days=1)):
                    out.add(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _within_window(
    within: Duration | None, field: str = "work_experience"
) -> Callable[[Requirement, dt.date], Window | None]:
    """What counts lies within a duration ending on the evaluation date: both ends inclusive."""
    if within is None:
        return lambda requirement, as_of: None
    return lambda requirement, as_of: Window(field, _window_start(as_of, within), as_of)


def _experience_areas(m: ExperienceAreasMeasure, all_areas: list[str]) -> CompiledMeasure:
    roles = frozenset(m.roles)

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        entries = applicant.work_experience
        if entries is None:
            return None, None, ("work_experience",)
        window_start = _window_start(as_of, m.within)
        low: set[str] = set()
        high: set[str] = set()
        missing = []
        for j, entry in enumerate(entries):
            if entry.role.value not in roles:
                continue
            end = min(entry.end_date or as_of, as_of)
            if end < entry.start_date or (window_start is not None and end < window_start):
                continue
            if entry.lab_areas is None:
                high.update(all_areas)
                missing.append(api_path("work_experience", j, "lab_areas"))
            else:
                areas = {a.value for a in entry.lab_areas}
                low |= areas
                high |= areas
        lo, hi = tuple(sorted(low)), tuple(sorted(high))
        if lo == hi:
            return lo, lo, ()
        return lo, hi, tuple(missing)

    return CompiledMeasure(
        signature=_signature(m, {}),
        scope="applicant",
        kind="list",
        vocabulary="lab_area",
        inputs=("work_experience",),
        read=read,
        window=_within_window(m.within),
        facts=_list_facts("work_experience", lambda e: e.role.value in roles),
        source="experience_areas",
        events=_job_events(roles, m.within),
    )


def _certifications(m: CertificationsMeasure) -> CompiledMeasure:
    active_only = m.status == "active"

    def read(applicant: Any, as_of: dt.date, index: int | None) -> Reading:
        held = applicant.certifications
        if held is None:
            return None, None, ("certifications",)
        window_start = _window_start(as_of, m.earned_within)
        low: set[str] = set()
        high: set[str] = set()
        missing = []
        for j, cert in enumerate(held):
            certain = True
            if active_only:
                if cert.status is None:
                    certain = False
                    missing.append(api_path("certifications", j, "status"))
                elif cert.status != "active":
                    continue
            if window_start is not None:
                if cert.earned_date is None:
                    certain = False
                    missing.append(api_path("certifications", j, "earned_date"))
                elif not window_start <= cert.earned_date <= as_of:
                    continue
            credential = cert.credential.value
            high.add(credential)
            if certain:
                low.add(credential)
        lo, hi = tuple(sorted(low)), tuple(sorted(high))
        if lo == hi:
            return lo, lo, ()
        return lo, hi, tuple(missing)

    return CompiledMeasure(
        signature=_signature(m, {}),
        scope="applicant",
        kind="list",
        vocabulary="credential",
        inputs=("certifications",),
        read=read,
        window=_within_window(m.earned_within, FieldPath.of("certifications", FieldPath.ANY, "earned_date").api()),
        facts=_list_facts("certifications"),
        source="certifications",
        events=_earned_events(m.earned_within),
    )


def _earned_events(within: Duration | None) -> Events:
    """A credential enters an `earned_within` window on the day it is earned, and leaves it on the first day
    whose window starts after that day: the window's length later, or up to 3 days more where the window's
    start is clamped to a month's end (6 months back from 29, 30 and 31 August is 29 February)."""

    def events(applicant: Any, index: int | None, as_of: dt.date) -> tuple[dt.date, ...] | None:
        if within is None:
            return None
        out: set[dt.date] = set()
        one = dt.timedelta(days=1)
        for cert in applicant.certifications or ():
            earned = cert.earned_date
            if earned is None:
                continue
            # the window's length later: still in it (its start is clamped, if at all, to `earned`)
            leaves = _shift(earned, within.amount, within.unit, 1)
            while _window_from(leaves, within.unit, within.amount) <= earned:
                leaves += one
            out.update((earned, leaves))
        return tuple(sorted(d for d in out if d > as_of)) or None

    return events


def compile_measure(
    measure: Measure,
    *,
    catalogue: dict[str, FieldSpec],
    ranks: dict[str, dict[str, int]],
    lab_areas: list[str],
    time_unit: TimeUnit | None,
    key: str,
    derivations: tuple[Any, ...] = (),
) -> CompiledMeasure:
    """Turn a validated measure into a reader.

    Args:
        measure: the measure as written in the rule file.
        catalogue: the applicant field catalogue.
        ranks: value → rank for each ordered vocabulary.
        lab_areas: every laboratory area (the high bound when an entry does not list its areas).
        time_unit: for time measures, ``days`` or ``calendar``, decided by the test's thresholds.
        key: where the measure sits in its file, for error messages.
        derivations: the rule set's derived facts (``DerivationDef``); a field measure uses those whose
            ``then_path`` is its field.

    Raises:
        MeasureError: the measure does not fit the applicant model.
    """
    match measure:
        case FieldMeasure():
            return _field(measure, catalogue, ranks, key, derivations)
        case AgeMeasure():
            return _age(measure)
        case TimeSinceMeasure() | TimeUntilMeasure():
            return _time_since(measure, catalogue, time_unit or "calendar", key)
        case TimeBetweenMeasure():
            return _time_between(measure, catalogue, time_unit or "calendar", key)
        case SumMeasure():
            return _sum(measure, catalogue, key)
        case ExperienceMeasure():
            return _experience(measure, catalogue, key)
        case ExperienceAreasMeasure():
            return _experience_areas(measure, lab_areas)
        case CertificationsMeasure():
            return _certifications(measure)
    raise MeasureError(key, f"unsupported measure {measure!r}")  # pragma: no cover
