"""The validated, resolved rule set: what the loader produces and the compiler and evaluator consume.

Everything here is immutable and already cross-checked: citations point at real sources, criteria at
real applicant fields, thresholds are in engine units, verification levels are inherited.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from ._fields import FieldSpec, Scope
from ._measures import CompiledMeasure
from ._schema import CatalogueFact, Effective, Verification
from ._vocab import Vocabulary
from .applicant import ApplicantModels

__all__ = [
    "CitationRef",
    "CredentialDef",
    "CriterionDef",
    "GroupDef",
    "RouteDef",
    "RuleSet",
    "StateDef",
    "StateNoteDef",
    "TestVersion",
    "DerivationDef",
]

# Engine operators: ordering compares numbers; `in` is equality with any listed value; `is` a flag;
# `has_any` / `has_all` test list membership.
Op = Literal["$gte", "$gt", "$lte", "$lt", "in", "is", "has_any", "has_all"]


def verification_json(v: Verification) -> dict[str, Any]:
    return {"source": v.source, "confidence": v.confidence, "provisional": v.provisional, "note": v.note}


@dataclass(frozen=True, eq=False)
class CitationRef:
    source: str
    title: str
    url: str
    kind: str
    retrieved: dt.date
    pinpoint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "url": self.url,
            "pinpoint": self.pinpoint,
            "source_kind": self.kind,
            "retrieved": self.retrieved.isoformat(),
        }


@dataclass(frozen=True, eq=False)
class TestVersion:
    """The test of a criterion as it stands between two dates (inclusive; None = open)."""

    start: dt.date | None
    end: dt.date | None
    ops: tuple[tuple[Op, Any], ...]
    required: str
    # values the source does not decide (`unknown_for`): a second rule, whose firing makes the criterion unknown
    undecided: tuple[tuple[Op, Any], ...] = ()

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, eq=False)
class CriterionDef:
    id: str
    key: str
    credential_id: str
    label: str
    measure: CompiledMeasure
    versions: tuple[TestVersion, ...]
    citations: tuple[CitationRef, ...]
    verification: Verification
    note: str | None
    effective: Effective | None
    incomplete: str | None = None  # why passing it is at best unknown (the full requirement is not stated)

    @property
    def scope(self) -> Scope:
        return self.measure.scope

    @functools.cached_property
    def static_json(self) -> dict[str, Any]:
        """The parts of a criterion result that never change: computed once, shared, never mutated."""
        return {
            "citations": [c.as_dict() for c in self.citations],
            "verification": verification_json(self.verification),
        }


@dataclass(frozen=True, eq=False)
class GroupDef:
    id: str
    key: str
    label: str
    members: tuple[CriterionDef, ...]
    scope: Scope


Coverage = Literal["full", "gate", "none"]


@dataclass(frozen=True, eq=False)
class RouteDef:
    """A route. ``coverage`` is ``full`` for a route encoded from its source; an unencoded route (criteria not
    published or not retrieved) has ``gate`` (what is known of who it is for is encoded) or ``none``, is never
    met, and carries the ``reason`` and its ``citations``."""

    id: str
    key: str
    label: str
    summary: str | None
    entries: tuple[CriterionDef | GroupDef, ...]
    verification: Verification
    effective: Effective | None
    not_evaluated: tuple[tuple[str, tuple[CitationRef, ...]], ...]
    cautions: tuple[CriterionDef, ...] = ()
    coverage: Coverage = "full"
    reason: str | None = None
    citations: tuple[CitationRef, ...] = ()

    @property
    def complete(self) -> bool:
        return self.coverage == "full"

    def criteria(self) -> list[CriterionDef]:
        """Every criterion of the route, groups flattened, in order."""
        out: list[CriterionDef] = []
        for entry in self.entries:
            out.extend(entry.members if isinstance(entry, GroupDef) else (entry,))
        return out


@dataclass(frozen=True, eq=False)
class DerivationDef:
    """A derived fact: when ``when_path`` is one of ``when_values`` and ``then_path`` is not given, the
    latter is one of ``then_values`` (see ``rules/derivations.yaml``)."""

    id: str
    label: str
    when_path: str
    when_values: frozenset[str]
    then_path: str
    then_values: tuple[str, ...]
    citations: tuple[CitationRef, ...]
    verification: Verification


@dataclass(frozen=True, eq=False)
class CredentialDef:
    id: str
    name: str
    designation: str
    body_id: str
    body_name: str
    body_url: str
    family: str
    summary: str
    verification: Verification
    routes: tuple[RouteDef, ...]  # encoded routes first, then unencoded ones (coverage gate / none)
    criteria: dict[str, CriterionDef]
    facts: tuple[tuple[CatalogueFact, tuple[CitationRef, ...]], ...]
    uncertain: tuple[str, ...]
    sources: dict[str, CitationRef]
    path: str


@dataclass(frozen=True, eq=False)
class StateNoteDef:
    id: str
    title: str
    kind: str
    families: tuple[str, ...]
    summary: str
    accepts: tuple[str, ...]
    citations: tuple[CitationRef, ...]
    verification: Verification
    effective: Effective | None


@dataclass(frozen=True, eq=False)
class StateDef:
    code: str
    name: str
    summary: str
    notes: tuple[StateNoteDef, ...]
    unconfirmed: tuple[str, ...]
    path: str


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    description: str
    digest: str
    root: str
    vocabularies: dict[str, Vocabulary]
    credentials: dict[str, CredentialDef]
    states: dict[str, StateDef]
    models: ApplicantModels
    fields: dict[str, FieldSpec] = field(repr=False)
    derivations: tuple[DerivationDef, ...] = ()

    @property
    def version_id(self) -> str:
        """Semantic version with the content digest as build metadata: ``1.0.0+sha256.3f2a…``."""
        return f"{self.version}+sha256.{self.digest[:16]}"

    def info(self) -> dict[str, str]:
        """The rule set's identity as every answer reports it (``rules`` in the API)."""
        return {"name": self.name, "version": self.version, "digest": f"sha256:{self.digest}", "id": self.version_id}
