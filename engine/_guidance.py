"""Guidance: what each credential not met still needs, whether it can be had, and from when.

Built on an evaluation's decisions (the combiner's rows), never on its rendered outcome:

* **Shortfalls.** Each criterion not met on the record its route reads gives one typed shortfall: the
  quantity still missing (``2`` ``semester-hours``), the values that would do, the date time alone meets it,
  or the facts that would decide it. A criterion that cannot be made up says why (``Cause``): a time limit
  from a past date has passed, a fact cannot change (a completed program's hours), or it asks for the very
  credential applied for.
* **Feasibility and the nearest route.** A route is precluded when an entry cannot be made up on any record
  given; the nearest route is the possible one that takes least, by ``Effort`` (wait < input < experience <
  practice < coursework < credential < program), then facts still unknown, then the day time alone makes
  its shortfalls up, then fewest shortfalls, then the rule file's order.
* **Timeline.** The facts are projected forward: a program in progress ends on its expected date (and is
  then completed), a job without an end date goes on, ages and times since dates grow. A verdict can only
  change on a day some criterion changes, so guidance finds those days from each measure's events and
  thresholds (bisection between events, on the measure's own readings), and the engine evaluates the
  credential on those days only. Routes that an unchanging fact keeps unmet are left out, so most
  credentials need no date at all. ``eligible_from`` and ``eligible_until`` come from the timeline.

The engine decides at every date guidance reports; guidance's own reading of the thresholds (``_holds``)
only chooses which dates to ask about.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import _dates
from ._codes import ABSENT, EMPTY, HORIZON_YEARS, MET, RECORDS, UNKNOWN, UNMET, VERDICT
from ._measures import Alternatives
from ._paths import api_path
from ._vocab import PROGRAM_COMPLETED, PROGRAM_IN_PROGRESS
from .outcome import (
    Action,
    Assumption,
    Cause,
    Change,
    CredentialGuidance,
    Effort,
    Feasibility,
    Need,
    Op,
    RouteGuidance,
    Shortfall,
    Step,
    Unit,
    Verdict,
)

if TYPE_CHECKING:
    from ._evaluate import _Combiner, _PlannedRoute, _RouteOutcome
    from ._ruleset import CredentialDef, CriterionDef, RuleSet

__all__ = ["HORIZON_YEARS", "Guide"]

MAX_DATES = 48  # candidate dates per credential, earliest first (a safety bound; few applicants reach it)

_COUNTS = frozenset({Unit.VENIPUNCTURES, Unit.CAPILLARY_PUNCTURES, Unit.EKGS, Unit.INJECTIONS, Unit.ARTERIAL_PUNCTURES})
_LOWER = (Op.AT_LEAST, Op.MORE_THAN)
_ONE = dt.timedelta(days=1)
_IN_EFFECT_NEVER = -1
_UNREAD = (None,)  # the signals of a reading that is not known on a day (one signal, whatever the tests)

Evaluate = Callable[[Any, dt.date, tuple[str, ...]], "_Combiner"]


def _holds(ops: Iterable[tuple[Op, Any]], value: Any) -> bool:
    """Whether a value passes a test's operators (the engine's units: ranks, calendar codes)."""
    for op, v in ops:
        if op == Op.AT_LEAST:
            ok = value >= v
        elif op == Op.MORE_THAN:
            ok = value > v
        elif op == Op.AT_MOST:
            ok = value <= v
        elif op == Op.LESS_THAN:
            ok = value < v
        elif op == Op.IS:
            ok = value == bool(v)
        elif op == Op.ONE_OF:
            ok = value in v
        elif op == Op.INCLUDES_ANY:
            ok = any(x in value for x in v)
        else:  # includes_all
            ok = all(x in value for x in v)
        if not ok:
            return False
    return True


def _up(amount: float) -> float | int:
    """A quantity still missing, rounded up to hundredths (whole numbers stay whole)."""
    if float(amount).is_integer():
        return int(amount)
    return math.ceil(round(amount * 100, 6)) / 100


class Guide:
    """Guidance for one evaluation (its combiner), with ``evaluate`` to evaluate the projected applicant on a
    date ahead. ``dates`` counts the dates the engine evaluated (benchmarks print it)."""

    def __init__(self, rules: RuleSet, combiner: _Combiner, as_of: dt.date, evaluate: Evaluate) -> None:
        self.rules = rules
        self.c = combiner
        self.as_of = as_of
        self.applicant = combiner.applicant
        self.evaluate = evaluate
        self.horizon = _dates.add_months(as_of, 12 * HORIZON_YEARS)
        self.dates: set[dt.date] = set()
        self._projected: dict[tuple[dt.date | None, dt.date | None], Any] = {}
        self._readings: dict[tuple[str, int | None, dt.date], Any] = {}
        self._bounds: dict[tuple[str, int | None], Any] = {}
        self._flips: dict[tuple[str, int | None], list[dt.date]] = {}
        self._live: dict[str, list[Any]] = {}  # per credential, the routes an unchanging fact does not keep unmet
        self._shortfalls: dict[tuple[Any, ...], Shortfall] = {}  # a criterion shared by routes: worked out once
        self._events: dict[tuple[str, int | None], Any] = {}
        self._fixed: dict[tuple[int, str, int], bool] = {}  # (criterion, scope, pick): its reading never changes
        self._constant: dict[int, bool] = {}  # id(planned route): none of its criteria can change
        # per credential ineligible today: the first day ahead a route this service does not check opens, those
        # routes, and what the day rests on
        self._opening: dict[str, tuple[dt.date, tuple[str, ...], tuple[Assumption, ...]]] = {}
        programs = self.applicant.programs or ()
        self.ending = {  # program index -> expected completion date, for programs in progress that end ahead
            j: p.completion_date
            for j, p in enumerate(programs)
            if _value(p.status) == PROGRAM_IN_PROGRESS
            and p.completion_date is not None
            and as_of < p.completion_date < self.horizon
        }
        jobs = self.applicant.work_experience or ()
        self.ongoing = any(e.end_date is None or e.end_date > as_of for e in jobs)
        # jobs without an end date whose hours are a total so far: the total grows with the days worked ahead
        self.accruing = tuple(
            j
            for j, e in enumerate(jobs)
            if e.end_date is None and e.hours_per_week is None and e.total_hours is not None and e.start_date <= as_of
        )

    # ------------------------------------------------------------------ the applicant ahead

    def project(self, day: dt.date) -> Any:
        """The applicant on ``day``: each program in progress whose expected end has come is completed, and each
        job still going whose hours are a total so far has worked on at its weekly average (``work-continues``)."""
        ended = [j for j, end in self.ending.items() if end <= day]
        if not ended and not self.accruing:
            return self.applicant
        key = (max((self.ending[j] for j in ended), default=None), day if self.accruing else None)
        found = self._projected.get(key)
        if found is None:
            update: dict[str, Any] = {}
            if ended:
                programs = list(self.applicant.programs)
                for j in ended:
                    status = type(programs[j].status)(PROGRAM_COMPLETED)
                    programs[j] = programs[j].model_copy(update={"status": status})
                update["programs"] = programs
            if self.accruing:
                jobs = list(self.applicant.work_experience)
                for j in self.accruing:
                    job = jobs[j]
                    so_far = (self.as_of - job.start_date).days + 1
                    then = (day - job.start_date).days + 1
                    jobs[j] = job.model_copy(update={"total_hours": job.total_hours * then / so_far})
                update["work_experience"] = jobs
            found = self._projected[key] = self.applicant.model_copy(update=update)
        return found

    def _read(self, crit: CriterionDef, record: int | None, day: dt.date) -> Any:
        measure = crit.measure
        key = (measure.signature, record, day)
        found = self._readings.get(key, self)
        if found is self:
            found = self._readings[key] = measure.read(self.project(day), day, record)
        return found

    def _status(self, crit: CriterionDef, record: int | None, day: dt.date) -> int:
        """Guidance's own reading of a criterion on a day (the engine decides; this finds dates to ask)."""
        if crit.effective and not crit.effective.contains(day):
            return _IN_EFFECT_NEVER
        version = next((v for v in crit.versions if v.contains(day)), None)
        if version is None:
            return _IN_EFFECT_NEVER
        lo, hi, _ = self._read(crit, record, day)
        if lo is None or type(lo) is Alternatives:
            return UNKNOWN
        a, b = _holds(version.ops, lo), _holds(version.ops, hi)
        status = MET if a and b else UNMET if not (a or b) else UNKNOWN
        if status != MET and version.undecided and (_holds(version.undecided, lo) or _holds(version.undecided, hi)):
            status = UNKNOWN
        if status == MET and crit.incomplete:
            status = UNKNOWN
        return status

    def _edges(self, crit: CriterionDef) -> tuple[dt.date, ...]:
        """Days ahead on which the criterion's test or its being in effect changes."""
        days = crit.edge_days
        if not days:
            return days  # the usual case: one test, always in effect
        return tuple(d for d in days if self.as_of < d < self.horizon)

    def _dynamic(self, crit: CriterionDef, record: int | None) -> tuple[dt.date, ...] | None:
        """The boundaries between which the criterion's reading is monotone, or None when it never changes."""
        key = (crit.id, record)
        found = self._bounds.get(key, self)
        if found is self:
            found = self._bounds[key] = self._find_bounds(crit, record)
        return found  # type: ignore[return-value]

    def _find_bounds(self, crit: CriterionDef, record: int | None) -> tuple[dt.date, ...] | None:
        measure = crit.measure
        key = (measure.signature, record)  # criteria with the same measure share its events
        events = self._events.get(key, self)
        if events is self:
            events = self._events[key] = measure.events(self.applicant, record, self.as_of)
        edges = self._edges(crit)
        ends: set[dt.date] = set()
        if measure.scope == "program" and record is not None and record in self.ending:
            ends.add(self.ending[record])  # the program completes: its status and its dates' meaning change
        elif measure.source in ("time_since", "time_until", "experience") and self.ending:
            ends.update(self.ending.values())
        if events is None and not edges and not ends:
            return None
        points = set(events or ()).union(edges, ends)
        return tuple(sorted(d for d in points if self.as_of < d < self.horizon))

    def flips(self, crit: CriterionDef, record: int | None) -> list[dt.date]:
        """Days ahead (within the horizon) on which the criterion's status on the record may change."""
        key = (crit.id, record)
        found = self._flips.get(key)
        if found is None:
            found = self._flips[key] = self._find_flips(crit, record)
        return found

    def _find_flips(self, crit: CriterionDef, record: int | None) -> list[dt.date]:
        bounds = self._dynamic(crit, record)
        if bounds is None:
            return []
        tests = crit.signal_tests

        def signals(day: dt.date) -> tuple[Any, ...]:
            lo, hi, _ = self._read(crit, record, day)
            if lo is None or type(lo) is Alternatives:
                return _UNREAD
            return tuple((_holds(t, lo), _holds(t, hi)) for t in tests)

        def same(day: dt.date, a: tuple[Any, ...], k: int | None) -> bool:
            s = signals(day)
            return s == a if k is None else (len(s) == len(a) and s[k] == a[k])

        points = [self.as_of, *bounds, self.horizon]
        # A boundary is a day of change when the signal differs there from the day before, or when guidance
        # cannot read it (the engine is asked). Days on which only a trend may change are not: a window of
        # calendar months changes its length on most months' last days.
        one = dt.timedelta(days=1)
        found: set[dt.date] = {d for d in bounds if signals(d) == _UNREAD or signals(d) != signals(d - one)}
        spans = [(start, end) for start, end in zip(points, points[1:], strict=False) if start < end]
        while spans:
            start, end = spans.pop()
            a, b = signals(start), signals(end)
            if a == b:
                continue
            # Each signal is monotone between two boundaries: bisect for the first day it differs from `a`.
            # A reading unknown on one side (`_UNREAD`, a single signal) is compared as a whole. Where the signal
            # on the day found is not yet the one at the end, the rest of the span is searched again: the reading
            # became known or unknown there (the known readings beyond it may change too), or one bound of the
            # reading passed the test before the other (the low and high bounds of a total with work that may
            # count pass it on different days).
            whole = len(a) != len(b) or len(a) == 1
            for k in (None,) if whole else range(len(a)):
                if k is not None and a[k] == b[k]:
                    continue
                lo_day, hi_day = start, end  # same(lo_day), not same(hi_day)
                while (hi_day - lo_day).days > 1:
                    mid = lo_day + dt.timedelta(days=(hi_day - lo_day).days // 2)
                    if same(mid, a, k):
                        lo_day = mid
                    else:
                        hi_day = mid
                found.add(hi_day)
                if hi_day < end and not same(hi_day, b, k):
                    spans.append((hi_day, end))
        return sorted(d for d in found if d < self.horizon)

    # ------------------------------------------------------------------ shortfalls

    def _record_label(self, crit: CriterionDef, scope: str, pick: int) -> str | None:
        if crit.measure.scope == "applicant" or scope == "applicant" or pick < 0:
            return None
        return api_path(RECORDS[scope], pick)  # type: ignore[index]

    def _fixed_record(self, scope: str, pick: int) -> bool:
        """A record that no longer changes: a degree, or a program completed (or not in progress)."""
        if scope == "degree":
            return pick >= 0
        if scope != "program" or pick < 0:
            return False
        return _value(self.applicant.programs[pick].status) != PROGRAM_IN_PROGRESS

    def shortfall(self, cred: CredentialDef, i: int, scope: str, pick: int, group: str | None) -> Shortfall:
        """What criterion ``i`` still needs on the record ``pick`` of ``scope`` (its decision is not met)."""
        key = (i, scope, pick, group)
        found = self._shortfalls.get(key)
        if found is None:
            found = self._shortfalls[key] = self._shortfall(cred, i, scope, pick, group)
        return found

    def _shortfall(self, cred: CredentialDef, i: int, scope: str, pick: int, group: str | None) -> Shortfall:
        act = self.c.plan.actives[i]
        crit = act.criterion
        measure = crit.measure
        status, lo, hi, missing = self.c.rows[(scope, 0 if scope == "applicant" else pick)][i]  # type: ignore[index]
        record = self._record_label(crit, scope, pick)
        base: dict[str, Any] = {"criterion": crit.id, "record": record, "group": group}
        if status == UNKNOWN:
            if missing:
                # Asked only of those who already hold the credential applied for: not a first step to suggest.
                own = measure.source == "certifications" and _own(act.version.ops, cred.id)
                effort = Effort.CREDENTIAL if own else Effort.INPUT
                return Shortfall(need=Need.INPUTS, effort=effort, inputs=missing, **base)
            return Shortfall(need=Need.UNDECIDED, effort=Effort.INPUT, **base)
        ops = act.version.ops
        req = act.requirement
        source = measure.source
        record_level = measure.scope != "applicant"
        if lo is None or type(lo) is Alternatives:  # no record to read (an empty list): a new one is needed
            return self._new_record(base, req, measure.scope)
        if source in ("age", "time_since", "time_until"):
            first = req.op
            later = (source == "time_until") != (first in _LOWER)  # time makes the value grow (or shrink)
            if later:
                on = self._first_met(crit, None if scope == "applicant" else pick)
                return Shortfall(need=Need.WAIT, effort=Effort.WAIT, on=on, **base)
            # Time only takes the value further away: a time limit that has passed, or an age over a maximum.
            cause = Cause.WINDOW_CLOSED if source != "age" else Cause.FIXED_FACT
            need = Need.MORE if first in _LOWER else Need.LESS
            return Shortfall(need=need, effort=Effort.WAIT, cause=cause, **base)
        if source == "time_between":
            return Shortfall(need=Need.ONE_OF, effort=Effort.PROGRAM, cause=Cause.FIXED_FACT, **base)
        fixed = record_level and self._fixed_record(scope, pick)
        if measure.kind == "number":
            need, amount, strict = _numeric(ops, lo)
            unit = measure.unit or req.unit
            if source == "experience":
                effort = Effort.PRACTICE if unit in _COUNTS else Effort.EXPERIENCE
                on = self._first_met(crit, None if scope == "applicant" else pick) if self.ongoing else None
                cause = Cause.FIXED_FACT if need == Need.LESS else None
                return Shortfall(
                    need=need, effort=effort, amount=amount, unit=unit, strict=strict, on=on, cause=cause, **base
                )
            effort = Effort.PRACTICE if unit in _COUNTS else Effort.COURSEWORK
            cause = Cause.FIXED_FACT if fixed or need == Need.LESS else None
            return Shortfall(need=need, effort=effort, amount=amount, unit=unit, strict=strict, cause=cause, **base)
        values, need = self._values(crit, ops, lo)
        if source == "certifications":
            cause = Cause.OWN_CREDENTIAL if _own(ops, cred.id) else None
            return Shortfall(
                need=need, effort=Effort.CREDENTIAL, values=values, vocabulary="credential", cause=cause, **base
            )
        if source == "experience_areas":
            return Shortfall(need=need, effort=Effort.EXPERIENCE, values=values, vocabulary="lab_area", **base)
        cause = Cause.FIXED_FACT if record_level and pick >= 0 else None
        return Shortfall(
            need=need, effort=Effort.PROGRAM, values=values, vocabulary=measure.vocabulary, cause=cause, **base
        )

    def _new_record(self, base: dict[str, Any], req: Any, scope: str) -> Shortfall:
        """A criterion about a program or degree when none is listed: a new one that meets it."""
        return Shortfall(need=Need.RECORD, effort=Effort.PROGRAM, **base)

    def _values(self, crit: CriterionDef, ops: Sequence[tuple[Op, Any]], lo: Any) -> tuple[tuple[Any, ...], Need]:
        """The values that would meet a set or rank test, in the rule file's codes."""
        measure = crit.measure
        for op, v in ops:
            if op == Op.IS:
                return (bool(v),), Need.FLAG
            if op == Op.INCLUDES_ALL:
                return tuple(x for x in v if x not in lo), Need.ALL_OF
            if op in (Op.ONE_OF, Op.INCLUDES_ANY) and measure.kind != "rank":
                return tuple(v), Need.ONE_OF
        if measure.kind == "rank" and measure.vocabulary:
            codes = list(self.rules.vocabularies[measure.vocabulary].values)
            return tuple(code for rank, code in enumerate(codes) if _holds(ops, rank)), Need.ONE_OF
        return (), Need.ONE_OF

    def _first_met(self, crit: CriterionDef, record: int | None) -> dt.date | None:
        for day in self.flips(crit, record):
            if self._status(crit, record, day) == MET:
                return day
        return None

    # ------------------------------------------------------------------ routes

    def route(self, cred: CredentialDef, pr: _PlannedRoute, outcome: _RouteOutcome) -> RouteGuidance:
        """Shortfalls and feasibility of a route not met (encoded routes only)."""
        shortfalls: list[Shortfall] = []
        for scope, entries in pr.scoped:
            picks = self._picks(scope, outcome)
            if len(picks) == 1:  # the applicant, or a single record (or none): nothing to choose between
                shortfalls.extend(self._entries(cred, entries, scope, picks[0]))
                continue
            best: tuple[tuple[Any, ...], list[Shortfall]] | None = None
            chosen = outcome.picks.get(scope, picks[0])
            for pick in sorted(picks, key=lambda p: p != chosen):  # the record the route read, first
                if best is not None and not best[0][0]:
                    break  # that record can make it: the others are not read (the route picked it as closest)
                found = self._entries(cred, entries, scope, pick)
                blocked = any(s.cause is not None for s in found)
                rank = max((s.effort.rank for s in found), default=-1)
                key = (blocked, rank, len(found), pick != outcome.picks.get(scope, pick), pick)
                if best is None or key < best[0]:
                    best = (key, found)
            assert best is not None
            shortfalls.extend(best[1])
        precluded = False
        effort: Effort | None = None
        for s in shortfalls:
            precluded = precluded or s.cause is not None
            if effort is None or s.effort.rank > effort.rank:
                effort = s.effort
        return RouteGuidance(
            pr.route.id, Feasibility.PRECLUDED if precluded else Feasibility.POSSIBLE, effort, tuple(shortfalls)
        )

    def _picks(self, scope: str, outcome: _RouteOutcome) -> Sequence[int]:
        if scope == "applicant":
            return (0,)
        count = self.c.record_counts[scope]  # type: ignore[index]
        return (ABSENT,) if count is None else (EMPTY,) if count == 0 else range(count)

    def _entries(self, cred: CredentialDef, entries: list[Any], scope: str, pick: int) -> list[Shortfall]:
        row = self.c.status_rows[(scope, 0 if scope == "applicant" else pick)]  # type: ignore[index]
        out: list[Shortfall] = []
        for entry in entries:
            if isinstance(entry, int):
                if row[entry] != MET:
                    out.append(self.shortfall(cred, entry, scope, pick, None))
                continue
            group, members = entry
            if max(map(row.__getitem__, members)) == MET:
                continue
            options = [self.shortfall(cred, i, scope, pick, group.id) for i in members]
            out.append(min(options, key=lambda s: (s.cause is not None, s.effort.rank)))
        return out

    # ------------------------------------------------------------------ credentials

    def credential_routes(
        self, cred: CredentialDef, routes: list[tuple[_PlannedRoute, _RouteOutcome]]
    ) -> tuple[tuple[RouteGuidance, ...], str | None]:
        """Every encoded route not met, with its guidance, and the nearest possible one."""
        guided = tuple(self.route(cred, pr, o) for pr, o in routes if pr.route.complete and o.status != MET)
        nearest = _nearest(guided)
        return guided, nearest

    def __call__(self) -> tuple[CredentialGuidance, ...]:
        evaluated = self.c.evaluated
        candidates = {cred.id: self._candidates(cred, routes) for cred, routes, _ in evaluated}
        timelines = self._timelines(evaluated, candidates)
        out = []
        for cred, routes, verdict_code in evaluated:
            verdict = VERDICT[verdict_code]
            guided, nearest = self.credential_routes(cred, routes) if verdict != Verdict.ELIGIBLE else ((), None)
            changes = timelines[cred.id]
            eligible_until = after = None
            eligible_from = None
            if verdict != Verdict.ELIGIBLE:
                eligible_from = next((c.on for c in changes if c.status == Verdict.ELIGIBLE), None)
            if verdict == Verdict.ELIGIBLE or eligible_from is not None:
                start = eligible_from or self.as_of  # the eligibility now, or the first one ahead: its end
                end = next((c for c in changes if c.on > start and c.status != Verdict.ELIGIBLE), None)
                if end is not None:
                    eligible_until = end.on - _ONE
                    after = self._nearest_on(cred, end.on)
            steps = self._steps(cred, verdict, routes, guided, nearest, changes, eligible_from, eligible_until)
            out.append(
                CredentialGuidance(
                    cred.id,
                    verdict,
                    guided,
                    nearest,
                    changes,
                    self.horizon,
                    eligible_from,
                    eligible_until,
                    after,
                    steps,
                )
            )
        return tuple(out)

    def _candidates(
        self, cred: CredentialDef, routes: list[tuple[_PlannedRoute, _RouteOutcome]]
    ) -> tuple[list[dt.date], set[dt.date]]:
        """Days ahead on which the credential's verdict may change: where a criterion of a route that can
        still change flips, and (the second set) where a route or criterion comes into or out of effect."""
        found: set[dt.date] = set()
        edges = {d for d in cred.edge_days if self.as_of < d < self.horizon}
        live = self._live[cred.id] = []
        for pr, outcome in routes:
            parts = []
            for scope, entries in pr.scoped:
                alive = [p for p in self._picks(scope, outcome) if not self._dead(entries, scope, p)]
                if not alive:
                    break  # an unchanging fact keeps this route unmet: nothing in it matters
                parts.append((scope, entries, alive))
            else:
                live.append((pr, outcome))
                # Only a live route's criteria can change the verdict: a route kept unmet stays so every day.
                for scope, entries, alive in parts:
                    for pick in alive:
                        record = None if scope == "applicant" or pick < 0 else pick
                        for entry in entries:
                            members = (entry,) if isinstance(entry, int) else entry[1]
                            for i in members:
                                crit = self.c.plan.actives[i].criterion
                                if pick < 0 and crit.measure.scope != "applicant":
                                    continue
                                found.update(self.flips(crit, record))
        found.update(self._later_flips(cred, routes))
        return sorted(found | edges)[:MAX_DATES], edges

    def _later_flips(self, cred: CredentialDef, routes: list[tuple[_PlannedRoute, _RouteOutcome]]) -> set[dt.date]:
        """Days of change of the routes that gain criteria ahead (a route, or a criterion of it, whose
        `effective` dates start later): every criterion of such a route, on every record of its kind, since
        no outcome of today narrows the records of a route not offered today, or shows it alive."""
        if not cred.edge_days:
            return set()  # the usual case: every route and criterion always in effect, all in today's plan
        actives = self.c.plan.actives
        planned = {
            pr.route.id: {
                actives[i].criterion.id
                for _, entries in pr.scoped
                for entry in entries
                for i in ((entry,) if isinstance(entry, int) else entry[1])
            }
            for pr, _ in routes
        }
        found: set[dt.date] = set()
        for route in cred.routes:
            if route.effective and not self._ahead(route.effective.from_, route.effective.to):
                continue
            today = planned.get(route.id, set())
            ahead = [c for c in route.criteria() if self._in_effect_ahead(c)]
            if all(c.id in today for c in ahead):
                continue  # today's plan holds the route as it will be (its days were searched, or it is dead)
            # The route gains criteria ahead: a route kept unmet today by an entry (a group without its later
            # member) may not stay so, so every criterion of it is searched.
            for crit in ahead:
                scope = crit.measure.scope
                count = 1 if scope == "applicant" else self.c.record_counts[scope] or 0
                for record in range(count):
                    found.update(self.flips(crit, None if scope == "applicant" else record))
        return found

    def _ahead(self, start: dt.date | None, end: dt.date | None) -> bool:
        """Whether dates from ``start`` to ``end`` (both inclusive, None: open) reach into the days ahead."""
        return (end is None or end > self.as_of) and (start is None or start < self.horizon)

    def _in_effect_ahead(self, crit: CriterionDef) -> bool:
        """Whether the criterion may be in effect on a day ahead: its `effective` dates and one of its dated
        tests reach into the days ahead (a dated test with no value today leaves it out of today's plan)."""
        effective = crit.effective
        if effective and not self._ahead(effective.from_, effective.to):
            return False
        return any(self._ahead(v.start, v.end) for v in crit.versions)

    def _unchanging(self, i: int, scope: str, pick: int) -> bool:
        """Whether criterion ``i`` reads the same on the record ``pick`` of ``scope`` every day ahead (a
        record-level criterion of an absent or empty list, or a reading that never changes)."""
        key = (i, scope, pick)
        found = self._fixed.get(key)
        if found is None:
            crit = self.c.plan.actives[i].criterion
            record_level = crit.measure.scope != "applicant"
            absent = record_level and pick < 0
            found = absent or self._dynamic(crit, pick if record_level else None) is None
            self._fixed[key] = found
        return found

    def _settled(self, i: int, scope: str, pick: int) -> bool:
        """Whether criterion ``i``'s decision on the record holds every day ahead: its reading never changes,
        and neither does its being in effect (a criterion of an absent or empty list reads the same, but one
        that leaves effect ahead no longer keeps its route unmet then)."""
        if not self._unchanging(i, scope, pick):
            return False
        return not (pick < 0 and scope != "applicant" and self._edges(self.c.plan.actives[i].criterion))

    def _dead(self, entries: list[Any], scope: str, pick: int) -> bool:
        """An entry unmet on this record for good: every member unmet and unchanging."""
        row = self.c.status_rows[(scope, 0 if scope == "applicant" else pick)]  # type: ignore[index]
        for entry in entries:
            members = (entry,) if isinstance(entry, int) else entry[1]
            if all(row[i] == UNMET and self._settled(i, scope, pick) for i in members):
                return True
        return False

    def _is_constant(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> bool:
        """Whether no criterion the route reads on any record can change: its status ahead is today's."""
        key = id(pr)
        found = self._constant.get(key)
        if found is None:
            found = self._constant[key] = all(
                self._settled(i, scope, pick)
                for scope, entries in pr.scoped
                for pick in self._picks(scope, outcome)
                for entry in entries
                for i in ((entry,) if isinstance(entry, int) else entry[1])
            )
        return found

    def _predict(self, routes: list[tuple[_PlannedRoute, _RouteOutcome]], day: dt.date) -> int:
        """The verdict guidance's own reading gives on a day ahead (the routes in effect today)."""
        verdict = UNMET
        for pr, outcome in routes:
            if self._is_constant(pr, outcome):
                verdict = max(verdict, outcome.status)  # the engine's decision today holds every day
                continue
            status = MET
            for scope, entries in pr.scoped:
                best = UNMET
                for pick in self._picks(scope, outcome):
                    row = self.c.status_rows[(scope, 0 if scope == "applicant" else pick)]  # type: ignore[index]
                    part = MET
                    for entry in entries:
                        if isinstance(entry, int):
                            entry_status = self._status_on(entry, row, scope, pick, day)
                        else:  # a group: its strongest member
                            entry_status = UNMET
                            for i in entry[1]:
                                entry_status = max(entry_status, self._status_on(i, row, scope, pick, day))
                                if entry_status == MET:
                                    break
                        if entry_status < part:
                            part = entry_status
                            if part == UNMET:
                                break  # this record cannot carry the route on that day
                    best = max(best, part)
                status = min(status, best)
            if not pr.route.complete:
                status = min(status, UNKNOWN)
            verdict = max(verdict, status)
        return verdict

    def _status_on(self, i: int, row: list[int], scope: str, pick: int, day: dt.date) -> int:
        if self._unchanging(i, scope, pick):
            return row[i]  # today's decision holds
        crit = self.c.plan.actives[i].criterion
        return self._status(crit, pick if crit.measure.scope != "applicant" else None, day)

    def _timelines(
        self,
        evaluated: Sequence[tuple[CredentialDef, Any, int]],
        candidates: dict[str, tuple[list[dt.date], set[dt.date]]],
    ) -> dict[str, tuple[Change, ...]]:
        """Evaluate the days ahead on which guidance's reading sees a verdict change (every candidate day once
        a rule comes into or out of effect, or when its reading of today differs from the engine's), each day
        once for the credentials that may change on it; the engine's verdicts give the changes."""
        by_day: dict[dt.date, list[str]] = {}
        for cred, _, code in evaluated:
            days, edges = candidates[cred.id]
            if not days:
                continue
            live = self._live[cred.id]  # the other routes stay unmet: they cannot change the verdict
            predicted = self._predict(live, self.as_of)
            every = predicted != code  # guidance reads today otherwise than the engine: ask on every day
            for day in days:
                every = every or day in edges
                now = predicted if every else self._predict(live, day)
                if every or now != predicted:
                    by_day.setdefault(day, []).append(cred.id)
                predicted = now
        last = {
            cred.id: (VERDICT[code], tuple(pr.route.id for pr, o in routes if o.status == MET))
            for cred, routes, code in evaluated
        }
        changes: dict[str, list[Change]] = {cred.id: [] for cred, _, _ in evaluated}
        code_now = {cred.id: code for cred, _, code in evaluated}
        creds = {cred.id: cred for cred, _, _ in evaluated}
        for day in sorted(by_day):
            selection = tuple(by_day[day])
            combiner = self.evaluate(self.project(day), day, selection)
            self.dates.add(day)
            for cred, routes, code in combiner.evaluated:
                verdict = VERDICT[code]
                met = tuple(pr.route.id for pr, o in routes if o.status == MET)
                if verdict != last[cred.id][0]:
                    # An eligibility begins on what its routes assume, and ends on what the routes met until
                    # then assumed (a window counted from an expected completion date closes).
                    basis = met if verdict == Verdict.ELIGIBLE else last[cred.id][1]
                    assumptions = self._assumptions(creds[cred.id], basis, day)
                    if verdict == Verdict.UNDETERMINED and not changes[cred.id] and VERDICT[code_now[cred.id]] == (
                        Verdict.INELIGIBLE
                    ):
                        opened = tuple(pr.route.id for pr, o in routes if not pr.route.complete and o.status != UNMET)
                        if opened:  # the first change ahead opens routes the body decides itself
                            assumptions = self._assumptions(creds[cred.id], opened, day)
                            self._opening[cred.id] = (day, opened, assumptions)
                    changes[cred.id].append(Change(day, verdict, met, assumptions))
                last[cred.id] = (verdict, met)
        return {cid: tuple(c) for cid, c in changes.items()}

    def _assumptions(self, cred: CredentialDef, met: tuple[str, ...], day: dt.date) -> tuple[Assumption, ...]:
        found: set[Assumption] = set()
        for route in cred.routes:
            if route.id not in met:
                continue
            sources = {c.measure.source for c in _route_criteria(cred, route)}
            scopes = {c.measure.scope for c in _route_criteria(cred, route)}
            if "program" in scopes and any(end <= day for end in self.ending.values()):
                found.add(Assumption.PROGRAM_COMPLETES)
            if sources & {"experience", "experience_areas"} and self.ongoing:
                found.add(Assumption.WORK_CONTINUES)
        return tuple(a for a in Assumption if a in found)

    def _nearest_on(self, cred: CredentialDef, day: dt.date) -> str | None:
        """The nearest route on a day ahead (after an eligibility ends)."""
        combiner = self.evaluate(self.project(day), day, (cred.id,))
        self.dates.add(day)
        later = Guide(self.rules, combiner, day, self.evaluate)
        _, routes, code = combiner.evaluated[0]
        if code == MET:
            return None
        return later.credential_routes(cred, routes)[1]

    def _steps(
        self,
        cred: CredentialDef,
        verdict: Verdict,
        routes: list[tuple[_PlannedRoute, _RouteOutcome]],
        guided: tuple[RouteGuidance, ...],
        nearest: str | None,
        changes: tuple[Change, ...],
        eligible_from: dt.date | None,
        eligible_until: dt.date | None,
    ) -> tuple[Step, ...]:
        if verdict == Verdict.ELIGIBLE:
            met = next(pr.route.id for pr, o in routes if o.status == MET)
            return (Step(Action.APPLY, met, on=eligible_until),)
        route = next((g for g in guided if g.id == nearest), None)
        near: tuple[Step, ...] = ()
        if route is not None:
            order = sorted(route.shortfalls, key=lambda s: s.effort.rank)
            near = tuple(Step(_ACTION[s.need], nearest, (s.criterion,), s, s.on) for s in order)
        if eligible_from is not None:
            change = next(c for c in changes if c.on == eligible_from)
            wait = Step(
                Action.WAIT,
                change.routes[0] if change.routes else None,
                on=eligible_from,
                assumptions=change.assumptions,
            )
            askable = route is not None and all(s.need in (Need.INPUTS, Need.UNDECIDED) for s in route.shortfalls)
            if askable and nearest not in change.routes:
                return (*near, wait)  # facts not given yet may make the applicant eligible sooner: ask first
            return (wait,)
        # Routes this service does not check that may be open: their terms are with the body, which may accept
        # the applicant now; asking it takes less than any shortfall beyond a fact to give or a date to wait for.
        unchecked = tuple(
            Step(Action.CHECK, pr.route.id) for pr, o in routes if not pr.route.complete and o.status != UNMET
        )
        opening = self._opening.get(cred.id)
        if opening is not None:  # ineligible today, such a route opens ahead: ask the body from that day
            day, opened, assumptions = opening
            unchecked += tuple(Step(Action.CHECK, rid, on=day, assumptions=assumptions) for rid in opened)
        if route is None:
            return unchecked or (Step(Action.NONE, None),)
        first = sum(1 for step in near if step.shortfall is not None and step.shortfall.effort.rank <= _INPUT)
        return (*near[:first], *unchecked, *near[first:])  # facts to give, then the body to ask, then the rest


_INPUT = Effort.INPUT.rank

_ACTION = {
    Need.INPUTS: Action.GIVE,
    Need.UNDECIDED: Action.CONFIRM,
    Need.WAIT: Action.WAIT,
    Need.MORE: Action.ADD,
    Need.LESS: Action.MEET,
    Need.ONE_OF: Action.MEET,
    Need.ALL_OF: Action.ADD,
    Need.FLAG: Action.MEET,
    Need.RECORD: Action.MEET,
}


def _nearest(guided: Sequence[RouteGuidance]) -> str | None:
    """The possible route that takes least: greatest effort, then facts still unknown (a route that rests on
    them may not be open at all), then the day its shortfalls are made up by time alone (work going on, a
    date reached; a shortfall time does not make up counts as never), then fewest shortfalls, then the rule
    file's order."""
    possible = [
        (
            g.effort.rank if g.effort else -1,
            sum(s.need == Need.INPUTS for s in g.shortfalls),
            max((s.on or dt.date.max for s in g.shortfalls), default=dt.date.min),
            len(g.shortfalls),
            n,
            g.id,
        )
        for n, g in enumerate(guided)
        if g.feasibility == Feasibility.POSSIBLE
    ]
    return min(possible)[-1] if possible else None


def _numeric(ops: Sequence[tuple[Op, Any]], low: Any) -> tuple[Need, Any, bool]:
    """The first bound a number fails, as what is missing (or over)."""
    for op, v in ops:
        if op == Op.AT_LEAST and low < v:
            return Need.MORE, _up(v - low), False
        if op == Op.MORE_THAN and low <= v:
            return Need.MORE, _up(v - low), True
        if op == Op.AT_MOST and low > v:
            return Need.LESS, _up(low - v), False
        if op == Op.LESS_THAN and low >= v:
            return Need.LESS, _up(low - v), True
    return Need.MORE, 0, False


def _own(ops: Sequence[tuple[Op, Any]], credential: str) -> bool:
    """A certifications test that only the credential itself passes (a route for those who held it)."""
    wanted = {x for op, v in ops if op in (Op.INCLUDES_ANY, Op.INCLUDES_ALL) for x in v}
    return bool(wanted) and wanted <= {credential}


def _route_criteria(cred: CredentialDef, route: Any) -> list[CriterionDef]:
    out = []
    for entry in route.entries:
        members = getattr(entry, "members", None)
        out.extend(members if members is not None else (entry,))
    return out


def _value(value: Any) -> Any:
    return getattr(value, "value", value)
