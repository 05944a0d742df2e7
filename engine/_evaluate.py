"""Evaluate an applicant against the compiled rule set.

1. Plan (cached per evaluation date and credential selection): which routes and criteria are in effect
   on ``as_of`` and which version of each test applies.
2. Read every needed measure from the applicant: once for applicant-level measures, once per program or
   degree record for record-level ones. Missing facts are found here, before the engine, because an
   absent value silently reads as "not met" inside durable-rules.
3. Send the readings to durable-rules as facts and collect the rules that fired: each criterion's
   met/unmet decision is a rule firing (or not).
4. Combine with three-valued logic, evaluating every criterion of every route (no short-circuit):
   a route needs all its entries; a group of alternatives needs one; record-level criteria of a route
   must all be met by the same record (the same program, the same degree), and the record that comes
   closest is reported.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._errors import UnknownCredentialError
from ._fields import Scope
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
)
from ._ruleset import CredentialDef, CriterionDef, GroupDef, RouteDef, RuleSet, TestVersion

__all__ = ["Evaluator"]

_RECORDS: dict[Scope, str] = {"program": "programs", "degree": "degrees"}
_RANK = {"met": 2, "unknown": 1, "unmet": 0}


def _all(statuses: Iterable[Status]) -> Status:
    result: Status = "met"
    for s in statuses:
        if s == "unmet":
            return "unmet"
        if s == "unknown":
            result = "unknown"
    return result


def _any(statuses: Iterable[Status]) -> Status:
    result: Status = "unmet"
    for s in statuses:
        if s == "met":
            return "met"
        if s == "unknown":
            result = "unknown"
    return result


@dataclass(frozen=True)
class _Active:
    criterion: CriterionDef
    version: TestVersion
    rule: str
    slot: Slot


# A route in effect: its definition, its entries in effect, and the entry positions of each scope.
_PlannedRoute = tuple[RouteDef, tuple[Any, ...], dict[Scope, tuple[int, ...]]]
_Materialized = tuple[Status, list[CriterionResult], GroupResult | None]


@dataclass(frozen=True)
class _Plan:
    credentials: tuple[tuple[CredentialDef, tuple[_PlannedRoute, ...]], ...]
    active: dict[str, _Active]
    slots: dict[Scope, tuple[Slot, ...]]


class Evaluator:
    """Runs evaluations for one rule set and its compiled program."""

    def __init__(self, rules: RuleSet, program: Program) -> None:
        self.rules = rules
        self.program = program
        self._rules_info = {
            "name": rules.name,
            "version": rules.version,
            "digest": f"sha256:{rules.digest}",
            "id": rules.version_id,
        }
        self._plan = functools.lru_cache(maxsize=128)(self._make_plan)

    # ------------------------------------------------------------------ plan

    def _make_plan(self, as_of: dt.date, selection: tuple[str, ...]) -> _Plan:
        active: dict[str, _Active] = {}

        def in_effect(crit: CriterionDef) -> bool:
            if crit.id in active:
                return True
            if crit.effective and not crit.effective.contains(as_of):
                return False
            for index, version in enumerate(crit.versions):
                if version.contains(as_of):
                    key = (crit.id, index)
                    active[crit.id] = _Active(crit, version, self.program.rule_of[key], self.program.slot_of[key])
                    return True
            return False

        credentials = []
        for cid in selection:
            cred = self.rules.credentials[cid]
            routes = []
            for route in cred.routes:
                if route.effective and not route.effective.contains(as_of):
                    continue
                entries: list[Any] = []
                for entry in route.entries:
                    if isinstance(entry, GroupDef):
                        members = tuple(m for m in entry.members if in_effect(m))
                        if members:
                            entries.append((entry, members))
                    elif in_effect(entry):
                        entries.append(entry)
                if entries:
                    positions: dict[Scope, list[int]] = {"applicant": [], "program": [], "degree": []}
                    for pos, entry in enumerate(entries):
                        scope = entry[0].scope if isinstance(entry, tuple) else entry.scope
                        positions[scope].append(pos)
                    routes.append((route, tuple(entries), {k: tuple(v) for k, v in positions.items() if v}))
            credentials.append((cred, tuple(routes)))
        by_scope: dict[Scope, dict[int, Slot]] = {"applicant": {}, "program": {}, "degree": {}}
        for act in active.values():
            by_scope[act.slot.measure.scope][act.slot.index] = act.slot
        slots = {scope: tuple(s for _, s in sorted(d.items())) for scope, d in by_scope.items()}
        return _Plan(tuple(credentials), active, slots)

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

        evaluator = _Combiner(applicant, plan, readings, fired)
        results = [evaluator.credential(cred, routes) for cred, routes in plan.credentials]
        state_result = self._state(state, [c.credential for c in results], as_of) if state else None
        return Evaluation(as_of=as_of, rules=self._rules_info, credentials=results, state=state_result)

    @staticmethod
    def _facts(slots: tuple[Slot, ...], values: dict[int, tuple[Any, Any, tuple[str, ...]]], index: int) -> list[str]:
        low: dict[int, list[str]] = {}
        high: dict[int, list[str]] = {}
        for slot in slots:
            lo, hi, _ = values[slot.index]
            if lo is None:
                continue
            low.setdefault(slot.chunk, []).append(f'"{slot.prop}":{encode_value(lo)}')
            if hi != lo:
                high.setdefault(slot.chunk, []).append(f'"{slot.prop}":{encode_value(hi)}')
        out = [f'{{"i":{index * 2},"t":{chunk},' + ",".join(parts) for chunk, parts in low.items()]
        out.extend(f'{{"i":{index * 2 + 1},"t":{chunk},' + ",".join(parts) for chunk, parts in high.items())
        return out

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


class _Combiner:
    """Turns readings and firings into results for one evaluation.

    A criterion's decision on a record is computed once and shared by every route using it; result
    objects are built only for what is reported (for record-scoped criteria, the closest record).
    """

    def __init__(self, applicant: Any, plan: _Plan, readings: dict[Any, Any], fired: set[tuple[str, int]]) -> None:
        self.applicant = applicant
        self.plan = plan
        self.readings = readings
        self.fired = fired
        self._decided: dict[tuple[str, int], tuple[Status, Any, Any, tuple[str, ...]]] = {}

    def _decide(self, crit: CriterionDef, record: int) -> tuple[Status, Any, Any, tuple[str, ...]]:
        """(status, low, high, missing) of a criterion on a record (0 for applicant-level criteria)."""
        key = (crit.id, record)
        decided = self._decided.get(key)
        if decided is not None:
            return decided
        act = self.plan.active[crit.id]
        lo, hi, missing = self.readings[(crit.measure.scope, record)][act.slot.index]
        status: Status
        if lo is None:
            status = "unknown"
        else:
            low_met = (act.rule, record * 2) in self.fired
            if hi == lo:
                status = "met" if low_met else "unmet"
                missing = ()
            else:
                high_met = (act.rule, record * 2 + 1) in self.fired
                status = "met" if low_met and high_met else "unmet" if not (low_met or high_met) else "unknown"
                if status != "unknown":
                    missing = ()
        decided = self._decided[key] = (status, lo, hi, missing)
        return decided

    def _status(self, crit: CriterionDef, index: int | None, absent: str | None) -> Status:
        if crit.measure.scope == "applicant":
            return self._decide(crit, 0)[0]
        if absent is not None:
            return "unknown" if absent == "absent" else "unmet"
        assert index is not None
        return self._decide(crit, index)[0]

    def _result(self, crit: CriterionDef, index: int | None, absent: str | None, group: str | None) -> CriterionResult:
        required = self.plan.active[crit.id].version.required
        scope = crit.measure.scope
        if scope != "applicant" and absent == "absent":
            return CriterionResult(crit, "unknown", required, None, None, None, (_RECORDS[scope],), group)
        if scope != "applicant" and absent == "empty":
            note = f"no {_RECORDS[scope]} listed"
            return CriterionResult(crit, "unmet", required, None, None, None, (), group, note)
        record = 0 if scope == "applicant" else index
        assert record is not None
        item = None if scope == "applicant" else f"{_RECORDS[scope]}[{record}]"
        status, lo, hi, missing = self._decide(crit, record)
        return CriterionResult(crit, status, required, lo, hi, item, missing, group)

    def _entry_status(self, entry: Any, index: int | None, absent: str | None) -> Status:
        if isinstance(entry, tuple):
            return _any(self._status(m, index, absent) for m in entry[1])
        return self._status(entry, index, absent)

    def _materialize(self, entry: Any, index: int | None, absent: str | None) -> _Materialized:
        if isinstance(entry, tuple):
            group, members = entry
            results = [self._result(m, index, absent, group.id) for m in members]
            status = _any(r.status for r in results)
            return status, results, GroupResult(group.id, group.label, status)
        result = self._result(entry, index, absent, None)
        return result.status, [result], None

    def route(self, route: RouteDef, entries: tuple[Any, ...], positions: dict[Scope, tuple[int, ...]]) -> RouteResult:
        evaluated: dict[int, _Materialized] = {}
        for pos in positions.get("applicant", ()):
            evaluated[pos] = self._materialize(entries[pos], None, None)
        for scope in ("program", "degree"):
            picked = positions.get(scope)  # type: ignore[call-overload]
            if not picked:
                continue
            records = getattr(self.applicant, _RECORDS[scope])  # type: ignore[index]
            index: int | None = None
            absent: str | None = None
            if records is None:
                absent = "absent"
            elif not records:
                absent = "empty"
            else:
                best_key: tuple[int, int, int] | None = None
                for candidate in range(len(records)):
                    statuses = [self._entry_status(entries[p], candidate, None) for p in picked]
                    met = sum(
                        1
                        for p in picked
                        for m in (entries[p][1] if isinstance(entries[p], tuple) else (entries[p],))
                        if self._status(m, candidate, None) == "met"
                    )
                    key = (_RANK[_all(statuses)], met, -candidate)
                    if best_key is None or key > best_key:
                        index, best_key = candidate, key
            for pos in picked:
                evaluated[pos] = self._materialize(entries[pos], index, absent)
        ordered = [evaluated[pos] for pos in range(len(entries))]
        return RouteResult(
            route=route,
            status=_all(s for s, _, _ in ordered),
            criteria=[r for _, rs, _ in ordered for r in rs],
            groups=[g for _, _, g in ordered if g is not None],
        )

    def credential(self, cred: CredentialDef, routes: tuple[_PlannedRoute, ...]) -> CredentialResult:
        results = [self.route(route, entries, positions) for route, entries, positions in routes]
        if not results and cred.unencoded_routes:
            # Its routes exist but could not be encoded: the rule set cannot decide, so it does not say no.
            return CredentialResult(cred, "undetermined", results)
        combined = _any(r.status for r in results)
        verdict: Verdict = "eligible" if combined == "met" else "ineligible" if combined == "unmet" else "undetermined"
        return CredentialResult(cred, verdict, results)
