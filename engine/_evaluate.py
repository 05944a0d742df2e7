"""Evaluate an applicant against the compiled rule set.

1. Plan (cached per evaluation date and credential selection): which routes and criteria are in effect
   on ``as_of``, which version of each test applies (as a typed requirement, with its date window), and each
   route's entries as criterion indices.
2. Read every needed measure from the applicant: once for applicant-level measures, once per program or
   degree record for record-level ones. Missing facts are found here, before the engine, because an
   absent value silently reads as "not met" inside durable-rules.
3. Send the readings to durable-rules as facts and collect the rules that fired: each criterion's
   met/unmet decision is a rule firing (or not).
4. Combine with three-valued logic over small integers (unmet 0 < unknown 1 < met 2, so "all of" is ``min``
   and "any of" is ``max``), evaluating every criterion of every route (no short-circuit): a route needs all
   its entries; a group of alternatives needs one; record-level criteria of a route must all be met by the
   same record (the same program, the same degree), and the record that comes closest is reported.

Outcomes (``engine.outcome``) are built only when asked for: a batch summary needs the verdicts and a few
fields per credential, not 250 criteria.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cachetools

from ._codes import ABSENT, EMPTY, MET, STATUS, UNKNOWN, UNMET, VERDICT
from ._codes import RECORDS as _RECORDS
from ._errors import UnknownCredentialError
from ._fields import Scope
from ._guidance import Guide
from ._measures import UNBOUNDED, Alternatives
from ._paths import api_path
from ._program import CANDIDATES, Program, Slot
from ._ruleset import CredentialDef, CriterionDef, GroupDef, RouteDef, RuleSet, TestVersion
from .outcome import (
    Coverage,
    CredentialGuidance,
    CredentialOutcome,
    CredentialSummary,
    CriterionOutcome,
    CriterionTrace,
    Evaluation,
    GroupOutcome,
    Measured,
    Reason,
    Requirement,
    RouteOutcome,
    RulesIdentity,
    StateOutcome,
    Status,
    Why,
)

__all__ = ["Evaluator"]


# A decision: (status, low, high, missing inputs)
Decision = tuple[int, Any, Any, tuple[str, ...]]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a key of the shared outcomes
class _Active:
    index: int
    criterion: CriterionDef
    version: TestVersion
    version_index: int
    rule: str
    slot: Slot
    requirement: Requirement  # the version's requirement with its date window on the plan's evaluation date
    undecided_rule: str | None = None  # fires on a value the source does not decide (`unknown_for`)


@dataclass(frozen=True)
class _Part:
    """The entries of a route that read one kind of record, precompiled for fast aggregation."""

    scope: Scope
    singles: tuple[int, ...]  # criterion indices of single-criterion entries
    groups: tuple[tuple[int, ...], ...]  # member indices of each group of alternatives
    members: tuple[int, ...]  # every criterion index (to count how many are met)


@dataclass(frozen=True)
class _PlannedRoute:
    route: RouteDef
    # an entry is a criterion index, or (group, member indices)
    entries: tuple[int | tuple[GroupDef, tuple[int, ...]], ...]
    entry_scopes: tuple[Scope, ...]  # scope of each entry (a group's: that of its record-level members)
    parts: tuple[_Part, ...]  # the applicant part first, then program and degree parts
    # for summaries: per entry, (scope, member indices, id reported when the entry is not met)
    entry_specs: tuple[tuple[Scope, tuple[int, ...], str], ...]
    cautions: tuple[int, ...] = ()  # criteria shown with the route that never decide it

    @property
    def scopes(self) -> set[Scope]:
        return set(self.entry_scopes)

    @functools.cached_property
    def scoped(self) -> tuple[tuple[Scope, tuple[int | tuple[GroupDef, tuple[int, ...]], ...]], ...]:
        """The entries that read each kind of record: the applicant's first, then programs, then degrees."""
        out = []
        for scope in ("applicant", "program", "degree"):
            entries = tuple(e for e, sc in zip(self.entries, self.entry_scopes, strict=True) if sc == scope)
            if entries:
                out.append((scope, entries))
        return tuple(out)  # type: ignore[return-value]


def _parts(entries: list[int | tuple[GroupDef, tuple[int, ...]]], scopes: list[Scope]) -> tuple[_Part, ...]:
    parts = []
    for scope in ("applicant", "program", "degree"):
        picked = [e for e, sc in zip(entries, scopes, strict=True) if sc == scope]
        if not picked:
            continue
        singles = tuple(e for e in picked if isinstance(e, int))
        groups = tuple(e[1] for e in picked if not isinstance(e, int))
        members = singles + tuple(i for g in groups for i in g)
        parts.append(_Part(scope, singles, groups, members))  # type: ignore[arg-type]
    return tuple(parts)


@dataclass(frozen=True)
class _Plan:
    credentials: tuple[tuple[CredentialDef, tuple[_PlannedRoute, ...]], ...]
    actives: tuple[_Active, ...]
    by_scope: dict[Scope, tuple[int, ...]]
    slots: dict[Scope, tuple[Slot, ...]]


# Criterion outcomes by everything they are built from (most recur between applicants), shared by every
# evaluation of a rule set and cleared when full (a few MB at most, whatever the dates asked). Outcomes are
# immutable, so sharing them is safe.
_OUTCOMES_KEPT = 16384


class Evaluator:
    """Runs evaluations for one rule set and its compiled program."""

    def __init__(self, rules: RuleSet, program: Program) -> None:
        self.rules = rules
        self.program = program
        self._identity = RulesIdentity(rules.name, rules.version, f"sha256:{rules.digest}", rules.version_id)
        self._plan = functools.lru_cache(maxsize=128)(self._make_plan)
        self._shared_outcomes: dict[tuple[Any, ...], CriterionOutcome] = {}  # see _OUTCOMES_KEPT
        # Days ahead (guidance) share plans between two dates where some rule starts or stops applying: such
        # plans serve verdicts and route statuses, whose date windows are not read.
        self._edges = _rule_edges(rules)
        self._period_plans: cachetools.LRUCache[tuple[int, tuple[str, ...]], _Plan] = cachetools.LRUCache(1024)
        self._period_lock = threading.Lock()

    # ------------------------------------------------------------------ plan

    def _make_plan(self, as_of: dt.date, selection: tuple[str, ...]) -> _Plan:
        # Everything a plan is built from is local: plans are built concurrently (thread-pool batches
        # beside event-loop requests) and must never read each other's state.
        actives: list[_Active] = []
        index_of: dict[str, int] = {}

        def active(crit: CriterionDef) -> int | None:
            if crit.id in index_of:
                return index_of[crit.id]
            if crit.effective and not crit.effective.contains(as_of):
                return None
            for v_index, version in enumerate(crit.versions):
                if version.contains(as_of):
                    key = (crit.id, v_index)
                    program = self.program
                    requirement = version.requirement
                    window = crit.measure.window(requirement, as_of)
                    if window is not None:
                        requirement = dataclasses.replace(requirement, window=window)
                    act = _Active(
                        len(actives),
                        crit,
                        version,
                        v_index,
                        program.rule_of[key],
                        program.slot_of[key],
                        requirement,
                        program.undecided_rule_of.get(key),
                    )
                    actives.append(act)
                    index_of[crit.id] = act.index
                    return act.index
            return None

        credentials = []
        for cid in selection:
            cred = self.rules.credentials[cid]
            routes = []
            for route in cred.routes:
                if route.effective and not route.effective.contains(as_of):
                    continue
                entries: list[int | tuple[GroupDef, tuple[int, ...]]] = []
                entry_scopes: list[Scope] = []
                for entry in route.entries:
                    if isinstance(entry, GroupDef):
                        members = tuple(i for i in (active(m) for m in entry.members) if i is not None)
                        if not members:
                            continue
                        entries.append((entry, members))
                        # The record the group is about comes from its members in effect: a member out of
                        # effect (a dated degree test, say) no longer decides which record is chosen.
                        live = {actives[i].criterion.measure.scope for i in members} - {"applicant"}
                        scope = live.pop() if live else "applicant"
                    else:
                        i = active(entry)
                        if i is None:
                            continue
                        entries.append(i)
                        scope = entry.scope
                    entry_scopes.append(scope)
                # An unencoded route stays with no entry in effect: it is still open (unknown).
                if entries or not route.complete:
                    specs = tuple(
                        (sc, (e,), actives[e].criterion.id) if isinstance(e, int) else (sc, e[1], e[0].id)
                        for e, sc in zip(entries, entry_scopes, strict=True)
                    )
                    cautions = tuple(i for i in (active(c) for c in route.cautions) if i is not None)
                    routes.append(
                        _PlannedRoute(
                            route, tuple(entries), tuple(entry_scopes), _parts(entries, entry_scopes), specs, cautions
                        )
                    )
            credentials.append((cred, tuple(routes)))
        by_scope: dict[Scope, list[int]] = {"applicant": [], "program": [], "degree": []}
        slot_by_scope: dict[Scope, dict[int, Slot]] = {"applicant": {}, "program": {}, "degree": {}}
        for act in actives:
            scope = act.criterion.measure.scope
            by_scope[scope].append(act.index)
            slot_by_scope[scope][act.slot.index] = act.slot
        slots = {scope: tuple(s for _, s in sorted(d.items())) for scope, d in slot_by_scope.items()}
        return _Plan(tuple(credentials), tuple(actives), {k: tuple(v) for k, v in by_scope.items()}, slots)

    # ------------------------------------------------------------------ evaluate

    def evaluate(
        self,
        applicant: Any,
        *,
        as_of: dt.date,
        credentials: Iterable[str] | None = None,
        state: str | None = None,
        trace: bool = False,
    ) -> Evaluation:
        """Evaluate a validated applicant (an instance of the rule set's ``Applicant`` model).

        With ``trace``, every criterion outcome also says how it was decided (``CriterionTrace``)."""
        if credentials is None:
            selection = tuple(self.rules.credentials)
        else:
            selection = tuple(dict.fromkeys(credentials))
            for cid in selection:
                if cid not in self.rules.credentials:
                    raise UnknownCredentialError(cid)
        combiner = self._combine(applicant, as_of, selection, trace)
        state_result = self._state(state, [c for c, _ in combiner.plan.credentials], as_of) if state else None

        def guide() -> tuple[tuple[CredentialGuidance, ...], int]:
            guide = Guide(self.rules, combiner, as_of, self._ahead)
            return guide(), len(guide.dates)

        def summarize(known: Mapping[str, str | None] | None) -> tuple[CredentialSummary, ...]:
            if known is not None:  # guidance already chose each credential's nearest route
                return combiner.summaries(lambda cred, routes: known[cred.id])
            routes_of = Guide(self.rules, combiner, as_of, self._ahead).credential_routes
            return combiner.summaries(lambda cred, routes: routes_of(cred, routes)[1])

        return Evaluation(
            as_of=as_of,
            rules=self._identity,
            verdicts=combiner.verdicts,
            state=state_result,
            build=combiner.outcomes,
            summarize=summarize,
            guide=guide,
        )

    def _ahead(self, applicant: Any, as_of: dt.date, selection: tuple[str, ...]) -> _Combiner:
        """Guidance's evaluation on a day ahead, with the plan of the period the day falls in."""
        key = (bisect.bisect_right(self._edges, as_of), selection)
        with self._period_lock:
            plan = self._period_plans.get(key)
        if plan is None:
            plan = self._make_plan(as_of, selection)  # built outside the lock; two threads may build it twice
            with self._period_lock:
                self._period_plans[key] = plan
        return self._combine(applicant, as_of, selection, False, lambda day, sel: plan)

    def _combine(
        self,
        applicant: Any,
        as_of: dt.date,
        selection: tuple[str, ...],
        trace: bool,
        plans: Callable[[dt.date, tuple[str, ...]], _Plan] | None = None,
    ) -> _Combiner:
        plan = (plans or self._plan)(as_of, selection)

        readings: dict[tuple[Scope, int], dict[int, tuple[Any, Any, tuple[str, ...]]]] = {}
        facts: list[str] = []
        records: dict[Scope, list[Any] | None] = {
            "applicant": [applicant],
            "program": applicant.programs,
            "degree": applicant.degrees,
        }
        for scope, slots in plan.slots.items():
            if not slots:
                continue
            for index in range(len(records[scope] or ())):
                item = None if scope == "applicant" else index
                by_measure: dict[str, tuple[Any, Any, tuple[str, ...]]] = {}
                values = {}
                for slot in slots:
                    sig = slot.measure.signature
                    reading = by_measure.get(sig)
                    if reading is None:
                        reading = by_measure[sig] = slot.measure.read(applicant, as_of, item)
                    values[slot.index] = reading
                readings[(scope, index)] = values
                facts.extend(Program.facts(slots, values, index))
        fired = self.program.run(facts)
        return _Combiner(applicant, plan, readings, fired, trace, self._shared_outcomes)

    def state(self, code: str, credentials: Iterable[str] | None, as_of: dt.date) -> StateOutcome:
        """A state's notes in effect on ``as_of`` that concern the families of these credentials (default all)."""
        known = self.rules.credentials
        selected = [known[c] for c in (credentials or known) if c in known]
        return self._state(code, selected, as_of)

    def _state(self, code: str, credentials: list[CredentialDef], as_of: dt.date) -> StateOutcome:
        state = self.rules.states.get(code)
        if state is None:
            return StateOutcome(code, False, ())
        families = {c.family for c in credentials}
        notes = tuple(
            n
            for n in state.notes
            if (n.effective is None or n.effective.contains(as_of)) and families.intersection(n.families)
        )
        return StateOutcome(code, True, notes, state)


def _rule_edges(rules: RuleSet) -> list[dt.date]:
    """Every day on which some route, criterion or dated test starts or stops applying, sorted."""
    one = dt.timedelta(days=1)
    edges: set[dt.date] = set()
    for cred in rules.credentials.values():
        spans = [(r.effective.from_, r.effective.to) for r in cred.routes if r.effective]
        for crit in cred.criteria.values():
            spans += [(v.start, v.end) for v in crit.versions]
            if crit.effective:
                spans.append((crit.effective.from_, crit.effective.to))
        for start, end in spans:
            edges.update(d for d in (start, end and end + one) if d is not None)
    return sorted(edges)


@dataclass(frozen=True, slots=True)
class _RouteOutcome:
    status: int
    picks: dict[Scope, int]  # record chosen per scope, or ABSENT / EMPTY
    # a caution about a record kind the route does not read: the record that does best for it, per caution
    caution_picks: dict[int, int] = field(default_factory=dict)


class _Combiner:
    """Decides every criterion on every record, then routes and credentials, as integers.

    Decisions are kept in full-length rows, one per record a route can pick (the applicant itself, each
    program, each degree, or "absent"/"empty" when the list was not given / is empty); every row also holds
    the applicant-level decisions, so any criterion index can be read from any row. Outcomes are built from
    these rows only on request (:meth:`outcomes`, :meth:`summaries`).
    """

    def __init__(
        self,
        applicant: Any,
        plan: _Plan,
        readings: dict[Any, Any],
        fired: set[tuple[str, int]],
        trace: bool,
        outcome_memo: dict[tuple[Any, ...], CriterionOutcome] | None = None,
    ) -> None:
        self.plan = plan
        self.outcome_memo = {} if outcome_memo is None else outcome_memo
        self.applicant = applicant
        self.fired = fired
        self.trace = trace
        actives = plan.actives
        n = len(actives)

        def decide(scope: Scope, record: int, base: list[Decision] | None) -> list[Decision]:
            row: list[Decision] = list(base) if base is not None else [(UNKNOWN, None, None, ())] * n
            values = readings[(scope, record)]
            code = record * CANDIDATES
            for i in plan.by_scope[scope]:
                act = actives[i]
                lo, hi, missing = values[act.slot.index]
                if lo is None:
                    row[i] = (UNKNOWN, None, None, missing)
                    continue
                rule = act.rule
                # How many candidates pass: one value, the low and high bounds, or a derived fact's values.
                count = len(lo) if type(lo) is Alternatives else 1 if hi == lo else 2
                passed = sum((rule, code + j) in fired for j in range(count))
                if passed == count:
                    status = MET
                elif passed:
                    status = UNKNOWN
                else:
                    status, missing = UNMET, ()
                undecided = act.undecided_rule
                if status != MET and undecided and any((undecided, code + j) in fired for j in range(count)):
                    status = UNKNOWN  # the source does not say whether this value counts: no input settles it
                if status == MET and act.criterion.incomplete:
                    status, missing = UNKNOWN, ()  # only the known part of the requirement is met
                row[i] = (status, lo, hi, missing if status == UNKNOWN else ())
            return row

        applicant_row = decide("applicant", 0, None) if plan.by_scope["applicant"] else [(UNKNOWN, None, None, ())] * n
        # rows[(scope, pick)] -> decisions; pick is a record index, ABSENT or EMPTY
        self.rows: dict[tuple[Scope, int], list[Decision]] = {("applicant", 0): applicant_row}
        self.record_counts: dict[Scope, int | None] = {}
        for scope, records in (("program", applicant.programs), ("degree", applicant.degrees)):
            self.record_counts[scope] = None if records is None else len(records)
            if not plan.by_scope[scope]:
                continue
            absent = list(applicant_row)
            empty = list(applicant_row)
            for i in plan.by_scope[scope]:
                absent[i] = (UNKNOWN, None, None, (_RECORDS[scope],))
                empty[i] = (UNMET, None, None, ())
            self.rows[(scope, ABSENT)] = absent
            self.rows[(scope, EMPTY)] = empty
            for record in range(len(records or ())):
                self.rows[(scope, record)] = decide(scope, record, applicant_row)
        self.status_rows = {key: [d[0] for d in row] for key, row in self.rows.items()}

        self.evaluated: list[tuple[CredentialDef, list[tuple[_PlannedRoute, _RouteOutcome]], int]] = []
        for cred, routes in plan.credentials:
            evaluated = [(pr, self._route(pr)) for pr in routes]
            # Unencoded routes are among the routes (never met; unknown unless their gate fails), so a
            # credential with a route the rule set cannot decide is never called ineligible.
            verdict = max((o.status for _, o in evaluated), default=UNMET)
            self.evaluated.append((cred, evaluated, verdict))
        self.verdicts = tuple((c.id, VERDICT[v]) for c, _, v in self.evaluated)

    # ------------------------------------------------------------------ routes

    def _route(self, pr: _PlannedRoute) -> _RouteOutcome:
        picks: dict[Scope, int] = {}
        status = MET
        for part in pr.parts:
            if part.scope == "applicant":
                candidates: Iterable[int] = (0,)
            else:
                count = self.record_counts[part.scope]
                candidates = (ABSENT,) if count is None else (EMPTY,) if count == 0 else range(count)
            best: tuple[int, int, int] | None = None
            for record in candidates:
                get = self.status_rows[(part.scope, record)].__getitem__
                part_status = min(map(get, part.singles)) if part.singles else MET
                for group in part.groups:
                    group_status = max(map(get, group))
                    if group_status < part_status:
                        part_status = group_status
                key = (part_status, list(map(get, part.members)).count(MET), -record)
                if best is None or key > best:
                    best = key
                    picks[part.scope] = record
            assert best is not None
            if best[0] < status:
                status = best[0]
        if not pr.route.complete and status > UNKNOWN:
            status = UNKNOWN  # an unencoded route is never met: at best it remains open
        caution_picks = {}
        for i in pr.cautions:  # a caution about a record kind the route does not read: its own best record
            scope = self.plan.actives[i].criterion.measure.scope
            if scope != "applicant" and scope not in picks:
                caution_picks[i] = self._best_record(scope, (i,))
        return _RouteOutcome(status, picks, caution_picks)

    def _best_record(self, scope: Scope, members: tuple[int, ...]) -> int:
        count = self.record_counts[scope]
        if count is None:
            return ABSENT
        if count == 0:
            return EMPTY
        return max(range(count), key=lambda r: (min(self.status_rows[(scope, r)][i] for i in members), -r))

    def _row(self, scope: Scope, outcome: _RouteOutcome) -> list[Decision]:
        """The decisions on the record the route picked for ``scope`` (every row holds the applicant's)."""
        return self.rows[(scope, 0 if scope == "applicant" else outcome.picks[scope])]

    # ------------------------------------------------------------------ outcomes

    def _criterion(
        self, i: int, outcome: _RouteOutcome, scope: Scope, group: str | None, pick: int | None = None
    ) -> CriterionOutcome:
        """Criterion ``i`` as decided on the record the route picked for ``scope`` (its entry's scope), or on
        ``pick``; equal decisions share one outcome (routes sharing a criterion, and evaluations of other
        applicants)."""
        if pick is None:
            pick = 0 if scope == "applicant" else outcome.picks[scope]
        status, lo, hi, missing = decision = self.rows[(scope, pick)][i]
        if self.trace:
            return self._build(i, scope, pick, group, decision)
        key = (self.plan.actives[i], scope, pick, group, status, lo, hi, missing)
        shared = self.outcome_memo
        found = shared.get(key)
        if found is None:
            if len(shared) >= _OUTCOMES_KEPT:
                shared.clear()
            found = shared[key] = self._build(i, scope, pick, group, decision)
        return found

    def _build(self, i: int, scope: Scope, pick: int, group: str | None, decision: Decision) -> CriterionOutcome:
        act = self.plan.actives[i]
        crit = act.criterion
        measure = crit.measure
        status, lo, hi, missing = decision
        record_level = measure.scope != "applicant"
        record = api_path(_RECORDS[scope], pick) if record_level and pick >= 0 else None
        why: Why | None = None
        measured: Measured | None = None
        if lo is not None:
            value = measure.value
            if type(lo) is Alternatives:
                measured = Measured(
                    None, None, measure.unit, measure.vocabulary, tuple(value(v) for v in lo.values), lo.derivation
                )
                why = Why.DERIVED if status != UNKNOWN else None
            else:
                high = None if isinstance(hi, int | float) and not isinstance(hi, bool) and hi >= UNBOUNDED else hi
                top = value(high) if high is not None else None
                measured = Measured(value(lo), top, measure.unit, measure.vocabulary)
            if status == UNKNOWN and not missing:
                why = Why.REQUIREMENT_NOT_STATED if crit.incomplete else Why.SOURCE_UNDECIDED
        elif record_level and pick == EMPTY:
            why = Why.NO_RECORDS
        key = (crit.id, act.version_index, act.requirement.window, status, lo, hi, missing, group, record, why)
        trace = None
        if self.trace:
            index = None if not record_level or pick < 0 else pick
            code = max(pick, 0) * CANDIDATES
            count = 0 if lo is None else len(lo) if type(lo) is Alternatives else 1 if hi == lo else 2
            trace = CriterionTrace(
                inputs=measure.facts(self.applicant, index) if (not record_level or pick >= 0) else (),
                version_from=act.version.start,
                version_to=act.version.end,
                engine_rule=act.rule,
                fired=tuple(j for j in range(count) if (act.rule, code + j) in self.fired),
                undecided_rule=act.undecided_rule,
            )
        return CriterionOutcome(
            crit.id, STATUS[status], act.requirement, measured, record, missing, group, why, crit, key, trace
        )

    def _route_outcome(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> RouteOutcome:
        criteria: list[CriterionOutcome] = []
        groups: list[GroupOutcome] = []
        for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
            if isinstance(entry, int):
                criteria.append(self._criterion(entry, outcome, scope, None))
                continue
            group, members = entry
            criteria.extend(self._criterion(i, outcome, scope, group.id) for i in members)
            row = self._row(scope, outcome)
            groups.append(GroupOutcome(group.id, STATUS[max(row[i][0] for i in members)], group))
        actives, own = self.plan.actives, outcome.caution_picks
        cautions = tuple(
            self._criterion(i, outcome, actives[i].criterion.measure.scope, None, own.get(i)) for i in pr.cautions
        )
        route = pr.route
        return RouteOutcome(
            route.id, STATUS[outcome.status], Coverage(route.coverage), tuple(criteria), tuple(groups), cautions, route
        )

    def outcomes(self) -> tuple[CredentialOutcome, ...]:
        """Every credential with every route and criterion."""
        out = []
        for cred, routes, verdict in self.evaluated:
            route_outcomes = tuple(self._route_outcome(pr, o) for pr, o in routes)
            needed: dict[str, None] = {}
            reasons: tuple[Reason, ...] = ()
            if verdict == UNKNOWN:
                for r in route_outcomes:
                    if r.status == Status.UNKNOWN:
                        needed.update(dict.fromkeys(r.open_inputs()))
                reasons = self._reasons(routes)
            eligible = tuple(r.id for r in route_outcomes if r.status == Status.MET)
            out.append(
                CredentialOutcome(cred.id, VERDICT[verdict], route_outcomes, eligible, tuple(needed), reasons, cred)
            )
        return tuple(out)

    # ------------------------------------------------------------------ summaries (batch)

    def _open(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> list[tuple[int, Decision]]:
        """(criterion index, decision) of the criteria of the route's entries that are not met."""
        out = []
        for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
            row = self._row(scope, outcome)
            members = (entry,) if isinstance(entry, int) else entry[1]
            if max(row[i][0] for i in members) == MET:
                continue
            out.extend((i, row[i]) for i in members)
        return out

    def _reasons(
        self, routes: list[tuple[_PlannedRoute, _RouteOutcome]], needed: dict[str, None] | None = None
    ) -> tuple[Reason, ...]:
        """Why an undetermined credential is open, from its unknown routes and their open criteria; the
        inputs that could decide it are added to ``needed`` on the way (one pass over the open criteria)."""
        found: set[Reason] = set()
        for pr, o in routes:
            if o.status != UNKNOWN:
                continue
            if not pr.route.complete:
                found.add(Reason.UNENCODED_ROUTE)
            for i, (status, lo, _, missing) in self._open(pr, o):
                if status != UNKNOWN:
                    continue
                if missing:
                    found.add(Reason.MISSING_INPUTS)
                    if needed is not None:
                        needed.update(dict.fromkeys(missing))
                elif lo is not None:
                    incomplete = self.plan.actives[i].criterion.incomplete
                    found.add(Reason.REQUIREMENT_NOT_STATED if incomplete else Reason.SOURCE_UNDECIDED)
        return tuple(r for r in Reason if r in found)

    def summaries(self, nearest_of: Callable[[CredentialDef, Any], str | None]) -> tuple[CredentialSummary, ...]:
        """Per credential: verdict, routes met, inputs that could decide it, and the nearest route's gaps
        (``nearest_of(credential, routes)`` names the nearest route: guidance's, by effort)."""
        out = []
        rows = self.status_rows
        for cred, routes, verdict in self.evaluated:
            needed: dict[str, None] = {}
            reasons: tuple[Reason, ...] = ()
            if verdict == UNKNOWN:
                reasons = self._reasons(routes, needed)
            nearest: str | None = None
            gaps: tuple[str, ...] = ()
            if verdict != MET and routes:
                nearest = nearest_of(cred, routes)
                for pr, o in routes:
                    if pr.route.id != nearest:
                        continue
                    picks = o.picks
                    gaps = tuple(
                        entry_id
                        for scope, members, entry_id in pr.entry_specs
                        if max(map(rows[(scope, 0 if scope == "applicant" else picks[scope])].__getitem__, members))
                        != MET
                    )
            eligible = tuple(pr.route.id for pr, o in routes if o.status == MET)
            out.append(CredentialSummary(cred.id, VERDICT[verdict], eligible, tuple(needed), reasons, nearest, gaps))
        return tuple(out)
