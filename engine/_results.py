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

from ._measures import UNBOUNDED
from ._ruleset import (
    CitationRef,
    CredentialDef,
    CriterionDef,
    RouteDef,
    StateDef,
    StateNoteDef,
    UnencodedRouteDef,
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


def partly_known(describe: Callable[[Any], str], low: Any, high: Any) -> str:
    """What is known of a value only bounded by the facts given (some hours or counts missing)."""
    if isinstance(high, int | float) and high >= UNBOUNDED:
        return f"at least {describe(low)}; the rest is not known"
    return f"{describe(low)} for certain, up to {describe(high)}"


def message(label: str, status: Status, required: str, actual: str | None, missing: tuple[str, ...]) -> str:
    if status == "met":
        return f"Met: {label}." if actual is None else f"Met: {label} (yours: {actual})."
    if status == "unmet":
        yours = "" if actual is None else f"; yours: {actual}"
        return f"Not met: {label}. Required: {required}{yours}."
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
        if self.low is None:
            return self.note
        describe = self.criterion.measure.describe
        if self.status == "unknown" and self.high != self.low:
            return partly_known(describe, self.low, self.high)
        return describe(self.low)

    def as_dict(self) -> dict[str, Any]:
        c = self.criterion
        static = c.static_json
        actual = self.actual
        return {
            "id": c.id,
            "label": c.label,
            "status": self.status,
            "required": self.required,
            "actual": actual,
            "item": self.item,
            "group": self.group,
            "missing_inputs": list(self.missing),
            "message": message(c.label, self.status, self.required, actual, self.missing),
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

    def missing_inputs(self) -> list[str]:
        """Inputs of the unknown criteria that can still change this route (not those of a met group)."""
        settled = {g.id for g in self.groups if g.status == "met"}
        seen: dict[str, None] = {}
        for c in self.criteria:
            if c.status == "unknown" and c.group not in settled:
                seen.update(dict.fromkeys(c.missing))
        return list(seen)

    def as_dict(self) -> dict[str, Any]:
        r = self.route
        return {
            "id": r.id,
            "label": r.label,
            "status": self.status,
            "verification": verification_dict(r.verification),
            "criteria": [c.as_dict() for c in self.criteria],
            "groups": [g.as_dict() for g in self.groups],
            "not_evaluated": [{"text": text, "citations": citations_list(cites)} for text, cites in r.not_evaluated],
        }


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

    def as_dict(self) -> dict[str, Any]:
        return credential_json(self.credential, self.status, [r.as_dict() for r in self.routes], self.inputs_needed())


def credential_json(
    c: CredentialDef, status: Verdict, routes: list[dict[str, Any]], inputs_needed: list[str]
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
        "verification": verification_dict(c.verification),
        "routes": routes,
        "unencoded_routes": [unencoded_route_json(u) for u in c.unencoded_routes],
    }


def unencoded_route_json(u: UnencodedRouteDef) -> dict[str, Any]:
    """JSON form of a route the sources mention but the rule set cannot decide."""
    return {
        "label": u.label,
        "reason": u.reason,
        "citations": citations_list(u.citations),
        "verification": verification_dict(u.verification),
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
