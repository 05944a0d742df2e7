"""The validated, resolved rule set: what the loader produces and the compiler and evaluator consume.

Everything here is immutable and already cross-checked: citations point at real sources, criteria at
real applicant fields, thresholds are in engine units, verification levels are inherited.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._fields import FieldSpec, Scope
from ._measures import CompiledMeasure
from ._schema import CatalogueFact, Effective, Verification
from ._vocab import Vocabulary
from .applicant import ApplicantModels
from .outcome import Op, Requirement

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



@dataclass(frozen=True, eq=False)
class CitationRef:
    source: str
    title: str
    url: str
    kind: str
    retrieved: dt.date
    pinpoint: str | None = None


@dataclass(frozen=True, eq=False)
class TestVersion:
    """The test of a criterion as it stands between two dates (inclusive; None = open).

    ``ops`` are neutral operators with the values the engine compares (ranks for ordered vocabularies,
    calendar codes for calendar durations; see ``_dates``); ``requirement`` states the same test as data, in
    the rule file's terms (without the date window, which depends on the evaluation date)."""

    start: dt.date | None
    end: dt.date | None
    ops: tuple[tuple[Op, Any], ...]
    requirement: Requirement
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
    def signal_tests(self) -> tuple[tuple[tuple[Op, Any], ...], ...]:
        """Each bound of each version's test alone, then each version's ``unknown_for`` test: the signals whose
        change over time guidance looks for (each is monotone between a measure's events)."""
        tests = [((op, v),) for version in self.versions for op, v in version.ops]
        tests += [tuple(version.undecided) for version in self.versions if version.undecided]
        return tuple(tests)

    @functools.cached_property
    def edge_days(self) -> tuple[dt.date, ...]:
        """The days on which its test or its being in effect changes (a version or ``effective`` starts, or
        the day after one ends), sorted; empty for the usual one test always in effect."""
        spans = [(v.start, v.end) for v in self.versions]
        if self.effective:
            spans.append((self.effective.from_, self.effective.to))
        one = dt.timedelta(days=1)
        return tuple(sorted({d for start, end in spans for d in (start, end and end + one) if d is not None}))


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

    @functools.cached_property
    def edge_days(self) -> tuple[dt.date, ...]:
        """The days on which one of its routes or criteria comes into or out of effect, or a dated test
        changes (the day after an end), sorted."""
        one = dt.timedelta(days=1)
        days = {d for crit in self.criteria.values() for d in crit.edge_days}
        for route in self.routes:
            if route.effective:
                days.update(d for d in (route.effective.from_, route.effective.to and route.effective.to + one) if d)
        return tuple(sorted(days))


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
    # language -> {(rule file, context, English text): translation}; see api.rules_text
    translations: dict[str, dict[tuple[str, str, str], str]] = field(default_factory=dict, repr=False)
    # The exact bytes the rule set was built from (relative path -> content): batch worker processes load
    # this, never the files on disk, which may have changed since.
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def version_id(self) -> str:
        """Semantic version with the content digest as build metadata: ``1.0.0+sha256.3f2a…``."""
        return f"{self.version}+sha256.{self.digest[:16]}"

