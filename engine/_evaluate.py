"""Evaluate an applicant against the compiled rule set.

1. Plan (cached per evaluation date and credential selection): which routes and criteria are in effect
   on ``as_of``, which version of each test applies, and each route's entries as criterion indices.
2. Read every needed measure from the applicant: once for applicant-level measures, once per program or
   degree record for record-level ones. Missing facts are found here, before the engine, because an
   absent value silently reads as "not met" inside durable-rules.
3. Send the readings to durable-rules as facts and collect the rules that fired: each criterion's
   met/unmet decision is a rule firing (or not).
4. Combine with three-valued logic over small integers (unmet 0 < unknown 1 < met 2, so "all of" is ``min``
   and "any of" is ``max``), evaluating every criterion of every route (no short-circuit): a route needs all
   its entries; a group of alternatives needs one; record-level criteria of a route must all be met by the
   same record (the same program, the same degree), and the record that comes closest is reported.

Explanations (result objects, messages) are built only when asked for: a batch summary needs the verdicts
and the nearest route, not 200 sentences.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._errors import UnknownCredentialError
from ._fields import Scope
from ._measures import MAX_ALTERNATIVES, Alternatives
from ._program import Program, Slot, encode_value
from ._results import (
    CredentialResult,
    CriterionResult,
    Evaluation,
    GroupResult,
    RouteResult,
    StateResult,
    Status,
    Verdict,
    credential_json,
    describe_reading,
    message,
    route_json,
    undetermined_reasons,
    unknown_why,
)
from ._ruleset import CredentialDef, CriterionDef, GroupDef, RouteDef, RuleSet, TestVersion

__all__ = ["Evaluator"]

UNMET, UNKNOWN, MET = 0, 1, 2
STATUS: tuple[Status, Status, Status] = ("unmet", "unknown", "met")
VERDICT: tuple[Verdict, Verdict, Verdict] = ("ineligible", "undetermined", "eligible")
_RECORDS: dict[Scope, str] = {"program": "programs", "degree": "degrees"}
ABSENT, EMPTY = -1, -2  # record picks when a route's records are not given / given as an empty list
CANDIDATES = MAX_ALTERNATIVES  # item codes per record: record * CANDIDATES + candidate

# A decision: (status, low, high, missing inputs)
Decision = tuple[int, Any, Any, tuple[str, ...]]


@dataclass(frozen=True)
class _Active:
    index: int
    criterion: CriterionDef
    version: TestVersion
    rule: str
    slot: Slot
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


class Evaluator:
    """Runs evaluations for one rule set and its compiled program."""

    def __init__(self, rules: RuleSet, program: Program) -> None:
        self.rules = rules
        self.program = program
        self._rules_info = rules.info()
        self._plan = functools.lru_cache(maxsize=128)(self._make_plan)
        # Explained criteria, shared between answers: see _Combiner.to_json.
        self._explained: dict[tuple[Any, ...], dict[str, Any]] = {}

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
                    act = _Active(
                        len(actives),
                        crit,
                        version,
                        program.rule_of[key],
                        program.slot_of[key],
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
                        scope = entry.scope
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
    ) -> Evaluation:
        """Evaluate a validated applicant (an instance of the rule set's ``Applicant`` model)."""
        if credentials is None:
            selection = tuple(self.rules.credentials)
        else:
            selection = tuple(dict.fromkeys(credentials))
            for cid in selection:
                if cid not in self.rules.credentials:
                    raise UnknownCredentialError(cid)
        plan = self._plan(as_of, selection)

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
                facts.extend(self._facts(slots, values, index))
        fired = self.program.run(facts)

        combiner = _Combiner(applicant, plan, readings, fired, self._explained)
        state_result = self._state(state, [c for c, _ in plan.credentials], as_of) if state else None
        return Evaluation(
            as_of=as_of,
            rules=self._rules_info,
            verdicts=combiner.verdicts,
            state=state_result,
            build=combiner.materialize,
            summarize=combiner.summary,
            to_json=combiner.to_json,
        )

    @staticmethod
    def _facts(slots: tuple[Slot, ...], values: dict[int, tuple[Any, Any, tuple[str, ...]]], index: int) -> list[str]:
        """One fact per chunk and candidate: candidate 0 holds every known value and every low bound, candidate
        1 the high bounds, candidates 0..n-1 the values a derived fact allows (item code ``index * 8 + j``)."""
        parts: dict[tuple[int, int], list[str]] = {}
        for slot in slots:
            lo, hi, _ = values[slot.index]
            if lo is None:
                continue
            if type(lo) is Alternatives:
                for j, value in enumerate(lo.values):
                    parts.setdefault((j, slot.chunk), []).append(f'"{slot.prop}":{encode_value(value)}')
                continue
            parts.setdefault((0, slot.chunk), []).append(f'"{slot.prop}":{encode_value(lo)}')
            if hi != lo:
                parts.setdefault((1, slot.chunk), []).append(f'"{slot.prop}":{encode_value(hi)}')
        base = index * CANDIDATES
        return [f'{{"i":{base + j},"t":{chunk},' + ",".join(props) for (j, chunk), props in parts.items()]

    def _state(self, code: str, credentials: list[CredentialDef], as_of: dt.date) -> StateResult:
        name = self.rules.vocabularies["us_state"].values.get(code, code)
        state = self.rules.states.get(code)
        if state is None:
            return StateResult(code, name, None)
        families = {c.family for c in credentials}
        notes = [
            n
            for n in state.notes
            if (n.effective is None or n.effective.contains(as_of)) and families.intersection(n.families)
        ]
        return StateResult(code, name, state, notes)


@dataclass(frozen=True, slots=True)
class _RouteOutcome:
    status: int
    picks: dict[Scope, int]  # record chosen per scope, or ABSENT / EMPTY


# Most explained criteria recur between applicants (absent facts, common values); 8,192 of them take a few MB.
_EXPLAINED_CACHE_SIZE = 8192


class _Combiner:
    """Decides every criterion on every record, then routes and credentials, as integers.

    Decisions are kept in full-length rows, one per record a route can pick (the applicant itself, each
    program, each degree, or "absent"/"empty" when the list was not given / is empty); every row also holds
    the applicant-level decisions, so any criterion index can be read from any row. Explanations are built
    from these rows only on request (:meth:`materialize`, :meth:`to_json`, :meth:`summary`).
    """

    def __init__(
        self,
        applicant: Any,
        plan: _Plan,
        readings: dict[Any, Any],
        fired: set[tuple[str, int]],
        explained: dict[tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.plan = plan
        self.explained = {} if explained is None else explained
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

        self.outcomes: list[tuple[CredentialDef, list[tuple[_PlannedRoute, _RouteOutcome]], int]] = []
        for cred, routes in plan.credentials:
            evaluated = [(pr, self._route(pr)) for pr in routes]
            # Unencoded routes are among the routes (never met; unknown unless their gate fails), so a
            # credential with a route the rule set cannot decide is never called ineligible.
            verdict = max((o.status for _, o in evaluated), default=UNMET)
            self.outcomes.append((cred, evaluated, verdict))
        self.verdicts: list[tuple[CredentialDef, Verdict]] = [(c, VERDICT[v]) for c, _, v in self.outcomes]

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
        for i in pr.cautions:  # a caution about a record kind the route does not read: its best record
            scope = self.plan.actives[i].criterion.measure.scope
            if scope != "applicant" and scope not in picks:
                picks[scope] = self._best_record(scope, (i,))
        return _RouteOutcome(status, picks)

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

    # ------------------------------------------------------------------ explanations

    def _item(self, scope: Scope, outcome: _RouteOutcome) -> tuple[str | None, str | None]:
        """(item, note) for criteria of ``scope`` in a route: ``programs[0]``, or why there is none."""
        if scope == "applicant":
            return None, None
        pick = outcome.picks[scope]
        if pick == EMPTY:
            return None, f"no {_RECORDS[scope]} listed"
        if pick == ABSENT:
            return None, None
        return f"{_RECORDS[scope]}[{pick}]", None

    def _route_result(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> RouteResult:
        actives = self.plan.actives
        criteria: list[CriterionResult] = []
        groups: list[GroupResult] = []

        def result(i: int, group_id: str | None, scope: Scope) -> CriterionResult:
            act = actives[i]
            status, lo, hi, missing = self._row(scope, outcome)[i]
            item, note = self._item(scope, outcome) if act.criterion.measure.scope != "applicant" else (None, None)
            required = act.version.required
            return CriterionResult(act.criterion, STATUS[status], required, lo, hi, item, missing, group_id, note)

        for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
            members = (entry,) if isinstance(entry, int) else entry[1]
            group_id = None if isinstance(entry, int) else entry[0].id
            criteria.extend(result(i, group_id, scope) for i in members)
            if not isinstance(entry, int):
                row = self._row(scope, outcome)
                groups.append(GroupResult(entry[0].id, entry[0].label, STATUS[max(row[i][0] for i in entry[1])]))
        cautions = [result(i, None, actives[i].criterion.measure.scope) for i in pr.cautions]
        return RouteResult(pr.route, STATUS[outcome.status], criteria, groups, cautions)

    @staticmethod
    def _criterion_json(
        act: _Active,
        status: int,
        lo: Any,
        hi: Any,
        missing: tuple[str, ...],
        group_id: str | None,
        item: str | None,
        note: str | None,
    ) -> dict[str, Any]:
        crit = act.criterion
        applicant_level = crit.measure.scope == "applicant"
        status_name = STATUS[status]
        actual = describe_reading(crit.measure.describe, status_name, lo, hi, None if applicant_level else note)
        why = unknown_why(crit, status_name, lo, missing)
        static = crit.static_json
        return {
            "id": crit.id,
            "label": crit.label,
            "status": status_name,
            "required": act.version.required,
            "actual": actual,
            "item": None if applicant_level else item,
            "group": group_id,
            "missing_inputs": list(missing),
            "message": message(crit.label, status_name, act.version.required, actual, missing, why),
            "citations": static["citations"],
            "verification": static["verification"],
        }

    def _explained_json(
        self, i: int, outcome: _RouteOutcome, group_id: str | None, shared: bool, scope: Scope | None = None
    ) -> tuple[dict[str, Any], Decision]:
        """A criterion's JSON on the record the route picked for ``scope`` (its entry's; default its own), from
        the bounded cache shared by answers."""
        act = self.plan.actives[i]
        crit = act.criterion
        scope = scope or crit.measure.scope
        decision = self._row(scope, outcome)[i]
        status, lo, hi, missing = decision
        item, note = self._item(scope, outcome)
        applicant_level = crit.measure.scope == "applicant"
        # Everything the criterion's JSON depends on; equal keys give equal JSON.
        key = (
            crit.id,
            act.version.required,
            status,
            lo,
            hi,
            missing,
            group_id,
            None if applicant_level else item,
            None if applicant_level or lo is not None else note,
        )
        cache = self.explained
        try:
            explained = cache.get(key)
        except TypeError:  # a measured list (credential ids, lab areas): not cached
            key, explained = None, None
        if explained is None:
            explained = self._criterion_json(act, status, lo, hi, missing, group_id, item, note)
            if key is not None:
                if len(cache) >= _EXPLAINED_CACHE_SIZE:
                    cache.clear()
                cache[key] = explained
        if not shared:
            explained = {**explained, "missing_inputs": list(explained["missing_inputs"])}
        return explained, decision

    def to_json(self, shared: bool = False) -> list[dict[str, Any]]:
        """The credentials' explanations as JSON-ready dicts, built straight from the decision rows.

        Equal to ``[c.as_dict() for c in self.materialize()]`` (a test checks it) but without the
        intermediate objects: this is the hot path of the single-applicant endpoint. A criterion's JSON
        depends only on its decision (status, measured bounds, missing inputs) and its place (record, group),
        so explained criteria are kept in a bounded cache shared by all answers. With ``shared`` the cached
        dicts themselves are returned (for a caller that only serialises them); otherwise copies.
        """
        actives = self.plan.actives
        out = []
        for cred, routes, verdict in self.outcomes:
            route_dicts = []
            needed: dict[str, None] = {}
            open_routes = []
            for pr, outcome in routes:
                criteria = []
                groups = []
                route_missing: dict[str, None] = {}
                open_criteria: list[Any] = []
                for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
                    row = self._row(scope, outcome)
                    if isinstance(entry, int):
                        members: tuple[int, ...] = (entry,)
                        group_id = None
                        entry_status = row[entry][0]
                    else:
                        members = entry[1]
                        group_id = entry[0].id
                        entry_status = max(row[i][0] for i in members)
                        groups.append({"id": group_id, "label": entry[0].label, "status": STATUS[entry_status]})
                    for i in members:
                        explained, (status, lo, _, missing) = self._explained_json(i, outcome, group_id, shared, scope)
                        criteria.append(explained)
                        if entry_status != MET:
                            name = STATUS[status]
                            open_criteria.append((name, missing, unknown_why(actives[i].criterion, name, lo, missing)))
                        if status == UNKNOWN and entry_status == UNKNOWN:
                            route_missing.update(dict.fromkeys(missing))
                cautions = [self._explained_json(i, outcome, None, shared)[0] for i in pr.cautions]
                if verdict == UNKNOWN and outcome.status == UNKNOWN:
                    needed.update(route_missing)
                status_name = STATUS[outcome.status]
                open_routes.append((pr.route, status_name, open_criteria))
                route_dicts.append(route_json(pr.route, status_name, criteria, groups, cautions))
            reasons = undetermined_reasons(open_routes) if verdict == UNKNOWN else []
            out.append(credential_json(cred, VERDICT[verdict], route_dicts, list(needed), reasons))
        return out

    def materialize(self) -> list[CredentialResult]:
        return [
            CredentialResult(cred, VERDICT[verdict], [self._route_result(pr, o) for pr, o in routes])
            for cred, routes, verdict in self.outcomes
        ]

    def _open(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> list[Any]:
        """(status, missing, why unknown) of the criteria of the route's entries that are not met."""
        out = []
        for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
            row = self._row(scope, outcome)
            members = (entry,) if isinstance(entry, int) else entry[1]
            if max(row[i][0] for i in members) == MET:
                continue
            for i in members:
                status, lo, _, missing = row[i]
                name = STATUS[status]
                out.append((name, missing, unknown_why(self.plan.actives[i].criterion, name, lo, missing)))
        return out

    def _route_missing(self, pr: _PlannedRoute, outcome: _RouteOutcome) -> list[str]:
        """Inputs that could still change an unknown route (not those of a group already met)."""
        out: list[str] = []
        for entry, scope in zip(pr.entries, pr.entry_scopes, strict=True):
            row = self._row(scope, outcome)
            members = (entry,) if isinstance(entry, int) else entry[1]
            if max(row[i][0] for i in members) != UNKNOWN:
                continue
            for i in members:
                if row[i][0] == UNKNOWN:
                    out.extend(row[i][3])
        return out

    def summary(self) -> list[dict[str, Any]]:
        """Per credential: verdict, routes met, inputs that could decide it, and the nearest route's gaps."""
        out = []
        for cred, routes, verdict in self.outcomes:
            needed: dict[str, None] = {}
            reasons: list[str] = []
            if verdict == UNKNOWN:
                for pr, o in routes:
                    if o.status == UNKNOWN:
                        needed.update(dict.fromkeys(self._route_missing(pr, o)))
                reasons = undetermined_reasons([(pr.route, STATUS[o.status], self._open(pr, o)) for pr, o in routes])
            nearest: str | None = None
            gaps: list[str] = []
            if verdict != MET and routes:
                best_key: tuple[int, int] | None = None
                rows = self.status_rows
                for pr, o in routes:
                    if not pr.route.complete:
                        continue  # an unencoded route says nothing of what is missing
                    picks = o.picks
                    not_met = [
                        entry_id
                        for scope, members, entry_id in pr.entry_specs
                        if max(map(rows[(scope, picks[scope])].__getitem__, members)) != MET
                    ]
                    key = (-len(not_met), o.status)
                    if best_key is None or key > best_key:
                        best_key, nearest, gaps = key, pr.route.id, not_met
            out.append(
                {
                    "id": cred.id,
                    "status": VERDICT[verdict],
                    "eligible_routes": [pr.route.id for pr, o in routes if o.status == MET],
                    "inputs_needed": list(needed),
                    "undetermined_reasons": reasons,
                    "nearest_route": nearest,
                    "missing_criteria": gaps,
                }
            )
        return out
