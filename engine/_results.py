"""What an evaluation returns, and its JSON-ready form.

Statuses: a criterion or route is ``met``, ``unmet`` or ``unknown`` (the facts given do not decide it);
a credential is ``eligible`` (some route met), ``ineligible`` (every route unmet) or ``undetermined``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ._measures import UNBOUNDED, Alternatives
from ._ruleset import (
    CitationRef,
    CredentialDef,
    CriterionDef,
    RouteDef,
    StateDef,
    StateNoteDef,
    verification_json,
)
from ._schema import Verification

__all__ = [
    "CredentialResult",
    "CriterionResult",
    "Evaluation",
    "GroupResult",
    "RouteResult",
    "Status",
    "Verdict",
]

Status = Literal["met", "unmet", "unknown"]
Verdict = Literal["eligible", "ineligible", "undetermined"]


def verification_dict(v: Verification) -> dict[str, Any]:
    """JSON form of a verification level (cheap to build; hashing the model would cost more)."""
    return verification_json(v)


@functools.cache
def citations_list(citations: tuple[CitationRef, ...]) -> list[dict[str, Any]]:
    """JSON form of citations (cached: shared, never mutated)."""
    return [c.as_dict() for c in citations]


UNDECIDED = "The source does not say whether this counts."


def unknown_why(criterion: CriterionDef, status: Status, low: Any, missing: tuple[str, ...]) -> str | None:
    """Why a criterion is unknown when no input could settle it: the requirement's full terms are not stated,
    or the source does not decide the value given."""
    if status != "unknown" or missing or low is None:
        return None
    return criterion.incomplete or UNDECIDED


def describe_reading(
    describe: Callable[[Any], str], status: Status, low: Any, high: Any, note: str | None
) -> str | None:
    """The applicant's value as the explanation shows it (``note`` when there is no record at all)."""
    if low is None:
        return note
    if type(low) is Alternatives:
        return "one of " + ", ".join(describe(v) for v in low.values) + " (derived)"
    if status == "unknown" and high != low:
        return partly_known(describe, low, high)
    return describe(low)


def partly_known(describe: Callable[[Any], str], low: Any, high: Any) -> str:
    """What is known of a value only bounded by the facts given (some hours or counts missing)."""
    if isinstance(high, int | float) and high >= UNBOUNDED:
        return f"at least {describe(low)}; the rest is not known"
    return f"{describe(low)} for certain, up to {describe(high)}"


def message(
    label: str, status: Status, required: str, actual: str | None, missing: tuple[str, ...], why: str | None = None
) -> str:
    if status == "met":
        return f"Met: {label}." if actual is None else f"Met: {label} (yours: {actual})."
    if status == "unmet":
        yours = "" if actual is None else f"; yours: {actual}"
        return f"Not met: {label}. Required: {required}{yours}."
    if why is not None:
        yours = "" if actual is None else f" (yours: {actual})"
        return f"Unknown: {label}{yours}. {why}"
    needs = ", ".join(missing) if missing else "more information"
    partly = "" if actual is None else f" What is known: {actual}."
    return f"Unknown: {label}. Needs {needs} to decide.{partly}"


@dataclass(slots=True)
class CriterionResult:
    """One criterion on one record. ``low``/``high`` are the measured bounds; the readable ``actual`` is
    derived from them only when asked for (batch summaries never need it)."""

    criterion: CriterionDef
    status: Status
    required: str
    low: Any
    high: Any
    item: str | None
    missing: tuple[str, ...]
    group: str | None = None
    note: str | None = None  # replaces `actual` when there is no record at all

    @property
    def actual(self) -> str | None:
        return describe_reading(self.criterion.measure.describe, self.status, self.low, self.high, self.note)

    def as_dict(self) -> dict[str, Any]:
        c = self.criterion
        static = c.static_json
        actual = self.actual
        why = unknown_why(c, self.status, self.low, self.missing)
        return {
            "id": c.id,
            "label": c.label,
            "status": self.status,
            "required": self.required,
            "actual": actual,
            "item": self.item,
            "group": self.group,
            "missing_inputs": list(self.missing),
            "message": message(c.label, self.status, self.required, actual, self.missing, why),
            "citations": static["citations"],
            "verification": static["verification"],
        }


@dataclass(slots=True)
class GroupResult:
    id: str
    label: str
    status: Status

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "status": self.status}


@dataclass(slots=True)
class RouteResult:
    route: RouteDef
    status: Status
    criteria: list[CriterionResult]
    groups: list[GroupResult]
    cautions: list[CriterionResult] = field(default_factory=list)

    def open_criteria(self) -> list[tuple[Status, tuple[str, ...], str | None]]:
        """(status, missing inputs, why unknown) of the criteria that can still change the route."""
        settled = {g.id for g in self.groups if g.status == "met"}
        return [
            (c.status, c.missing, unknown_why(c.criterion, c.status, c.low, c.missing))
            for c in self.criteria
            if c.group not in settled
        ]

    def missing_inputs(self) -> list[str]:
        """Inputs of the unknown criteria that can still change this route (not those of a met group)."""
        settled = {g.id for g in self.groups if g.status == "met"}
        seen: dict[str, None] = {}
        for c in self.criteria:
            if c.status == "unknown" and c.group not in settled:
                seen.update(dict.fromkeys(c.missing))
        return list(seen)

    def as_dict(self) -> dict[str, Any]:
        return route_json(
            self.route,
            self.status,
            [c.as_dict() for c in self.criteria],
            [g.as_dict() for g in self.groups],
            [c.as_dict() for c in self.cautions],
        )


def route_json(
    r: RouteDef,
    status: Status,
    criteria: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    cautions: list[dict[str, Any]],
) -> dict[str, Any]:
    """JSON form of an evaluated route around its already-serialised criteria."""
    return {
        "id": r.id,
        "label": r.label,
        "status": status,
        "coverage": r.coverage,
        "reason": r.reason,
        "verification": verification_dict(r.verification),
        "criteria": criteria,
        "groups": groups,
        "cautions": cautions,
        "not_evaluated": [{"text": text, "citations": citations_list(cites)} for text, cites in r.not_evaluated],
        "citations": citations_list(r.citations),
    }


OpenCriterion = tuple[Status, tuple[str, ...], str | None]


def undetermined_reasons(routes: list[tuple[RouteDef, Status, list[OpenCriterion]]]) -> list[str]:
    """Why an undetermined credential is not decided, from its open routes and their deciding entries' criteria
    (status, missing inputs, why unknown): facts missing, a route not encoded, a requirement whose terms are
    not stated, a value the source does not decide."""
    reasons: dict[str, None] = {}
    for route, status, criteria in routes:
        if status != "unknown":
            continue
        if not route.complete:
            reasons["unencoded-route"] = None
        for c_status, missing, why in criteria:
            if c_status != "unknown":
                continue
            if missing:
                reasons["missing-inputs"] = None
            elif why == UNDECIDED:
                reasons["source-undecided"] = None
            elif why is not None:
                reasons["requirement-not-stated"] = None
    order = ("missing-inputs", "unencoded-route", "requirement-not-stated", "source-undecided")
    return [r for r in order if r in reasons]


@dataclass(slots=True)
class CredentialResult:
    credential: CredentialDef
    status: Verdict
    routes: list[RouteResult]

    @property
    def eligible_routes(self) -> list[str]:
        return [r.route.id for r in self.routes if r.status == "met"]

    def inputs_needed(self) -> list[str]:
        """Inputs that could change the verdict: those missing from routes still undecided."""
        if self.status != "undetermined":
            return []
        seen: dict[str, None] = {}
        for route in self.routes:
            if route.status == "unknown":
                seen.update(dict.fromkeys(route.missing_inputs()))
        return list(seen)

    def reasons(self) -> list[str]:
        if self.status != "undetermined":
            return []
        return undetermined_reasons([(r.route, r.status, r.open_criteria()) for r in self.routes])

    def as_dict(self) -> dict[str, Any]:
        return credential_json(
            self.credential, self.status, [r.as_dict() for r in self.routes], self.inputs_needed(), self.reasons()
        )


def credential_json(
    c: CredentialDef, status: Verdict, routes: list[dict[str, Any]], inputs_needed: list[str], reasons: list[str]
) -> dict[str, Any]:
    """JSON form of an evaluated credential around its already-serialised routes."""
    eligible_routes = [r["id"] for r in routes if r["status"] == "met"]
    return {
        "id": c.id,
        "name": c.name,
        "designation": c.designation,
        "body": {"id": c.body_id, "name": c.body_name, "url": c.body_url},
        "family": c.family,
        "status": status,
        "eligible_routes": eligible_routes,
        "inputs_needed": inputs_needed,
        "undetermined_reasons": reasons,
        "verification": verification_dict(c.verification),
        "routes": routes,
    }


def effective_dict(obj: Any) -> dict[str, str | None] | None:
    """JSON form of an effective-date range (both ends inclusive, either may be open)."""
    if obj is None:
        return None
    return {
        "from": obj.from_.isoformat() if obj.from_ else None,
        "to": obj.to.isoformat() if obj.to else None,
    }


def state_note_dict(note: StateNoteDef) -> dict[str, Any]:
    return {
        "id": note.id,
        "title": note.title,
        "kind": note.kind,
        "families": list(note.families),
        "summary": note.summary,
        "accepts": list(note.accepts),
        "citations": citations_list(note.citations),
        "verification": verification_dict(note.verification),
        "effective": effective_dict(note.effective),
    }


@dataclass(slots=True)
class StateResult:
    code: str
    name: str
    state: StateDef | None
    notes: list[StateNoteDef] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "researched": self.state is not None,
            "summary": self.state.summary if self.state else None,
            "notes": [state_note_dict(n) for n in self.notes],
        }


class Evaluation:
    """The answer for one applicant. Verdicts are computed up front; explanations when first asked for."""

    __slots__ = ("_build", "_built", "_summarize", "_to_json", "as_of", "rules", "state", "verdicts")

    def __init__(
        self,
        *,
        as_of: dt.date,
        rules: dict[str, str],
        verdicts: list[tuple[CredentialDef, Verdict]],
        state: StateResult | None,
        build: Callable[[], list[CredentialResult]],
        summarize: Callable[[], list[dict[str, Any]]],
        to_json: Callable[[bool], list[dict[str, Any]]],
    ) -> None:
        self.as_of = as_of
        self.rules = rules
        self.verdicts = verdicts
        self.state = state
        self._build = build
        self._summarize = summarize
        self._to_json = to_json
        self._built: list[CredentialResult] | None = None

    @property
    def credentials(self) -> list[CredentialResult]:
        """Every evaluated credential with every route and criterion explained."""
        if self._built is None:
            self._built = self._build()
        return self._built

    @property
    def eligible(self) -> list[str]:
        return [c.id for c, verdict in self.verdicts if verdict == "eligible"]

    def summary(self) -> list[dict[str, Any]]:
        """Per credential: status, routes met, inputs needed, nearest route and its unmet criteria."""
        return self._summarize()

    def as_dict(self, *, shared: bool = False) -> dict[str, Any]:
        """The answer as JSON-ready data. ``shared=True`` lets criteria be dicts shared with other answers
        (faster; for a caller that serialises the answer and changes nothing in it)."""
        return {
            "as_of": self.as_of.isoformat(),
            "rules": self.rules,
            "eligible": self.eligible,
            "credentials": self._to_json(shared) if self._built is None else [c.as_dict() for c in self._built],
            "state": self.state.as_dict() if self.state else None,
        }
