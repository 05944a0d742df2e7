"""The one place that turns outcomes and definitions into the API's JSON (described by ``api.schemas``).

Answers are compact: the sources a criterion cites and its verification level are listed once per answer
(``sources``, ``verifications``) and referenced by key (``cite[].source``, ``verification``), and the detail
of an answer is chosen by the client:

* ``summary``: per credential its status, routes met, what could decide it and the nearest route;
* ``standard`` (default): also every route and criterion with its typed requirement, measured value,
  record, missing inputs and a sentence in the reader's language;
* ``full``: also labels and the requirement and value as text, catalogue fields of each credential;
* ``trace``: ``full`` plus, per criterion, the facts read, the dated version of the test that applied and the
  durable-rules rule that decided it.

Machine fields (ids, statuses, enums, typed values) never depend on the language; only text fields do.
Explained criteria are kept in a bounded cache shared by all answers, keyed by everything their JSON
depends on.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import orjson

from engine import (
    Change,
    CredentialGuidance,
    CredentialOutcome,
    CredentialSummary,
    CriterionOutcome,
    Evaluation,
    Measured,
    Requirement,
    RouteGuidance,
    RouteOutcome,
    Rulebook,
    Shortfall,
    StateOutcome,
    Step,
    TimeSpan,
    Verdict,
)

from .problems import item_problem, worded_errors
from .render import Renderer, renderer
from .schemas import Detail

__all__ = ["EncodedItem", "Serializer", "batch_item", "encoded_item", "identity_json", "invalid_item", "serializer"]


_CACHE_SIZE = 16384  # explained criteria kept (a few MB); most recur between applicants


def _plain(value: Any) -> Any:
    """A typed value as JSON: time spans in ISO 8601, tuples as lists, enums by value."""
    if isinstance(value, TimeSpan):
        return value.iso()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def requirement_json(req: Requirement) -> dict[str, Any]:
    out: dict[str, Any] = {"op": req.op.value}
    if req.value is not None:
        out["value"] = req.value
    if req.values:
        out["values"] = list(req.values)
    if req.unit is not None:
        out["unit"] = req.unit.value
    if req.vocabulary is not None:
        out["vocabulary"] = req.vocabulary
    if req.unknown_for:
        out["unknown_for"] = list(req.unknown_for)
    if req.also is not None:
        out["also"] = {"op": req.also.op.value, "value": req.also.value}
    if req.window is not None:
        w = req.window
        out["window"] = {
            "field": w.field,
            "from": w.start.isoformat() if w.start else None,
            "to": w.end.isoformat() if w.end else None,
        }
    return out


def measured_json(m: Measured) -> dict[str, Any]:
    out: dict[str, Any]
    if m.alternatives:
        out = {"alternatives": _plain(m.alternatives), "derived_by": m.derived_by}
    elif m.exact:
        out = {"value": _plain(m.low)}
    else:
        out = {"low": _plain(m.low), "high": _plain(m.high)}
    if m.unit is not None:
        out["unit"] = m.unit.value
    if m.vocabulary is not None:
        out["vocabulary"] = m.vocabulary
    return out


class _Answer:
    """What one answer references, gathered while it is serialized, to be listed once."""

    __slots__ = ("criteria", "derivations", "groups", "levels", "routes", "sources")

    def __init__(self) -> None:
        self.criteria: dict[str, Any] = {}
        self.routes: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}
        self.derivations: dict[str, Any] = {}
        self.sources: list[str] = []
        self.levels: list[str] = []


ShortfallJson = Callable[[Shortfall, Renderer], dict[str, Any]]


def brief(
    s: CredentialSummary, g: CredentialGuidance | None, r: Renderer, shortfall: ShortfallJson | None = None
) -> dict[str, Any]:
    """A credential in brief (batch results), with its guidance."""
    out = {
        "id": s.id,
        "status": s.status.value,
        "eligible_routes": list(s.eligible_routes),
        "inputs_needed": list(s.inputs_needed),
        "undetermined_reasons": [reason.value for reason in s.reasons],
        "nearest_route": s.nearest_route,
        "missing_criteria": list(s.missing),
    }
    if g is not None:
        out.update(guidance_json(g, r, shortfall))
    return out


def _day(day: Any) -> str | None:
    return None if day is None else day.isoformat()


def shortfall_json(s: Shortfall, r: Renderer) -> dict[str, Any]:
    """A shortfall as data (fields that do not apply are left out), with a phrase in the answer's language."""
    out: dict[str, Any] = {"criterion": s.criterion, "need": s.need.value, "effort": s.effort.value}
    if s.record is not None:
        out["record"] = s.record
    if s.group is not None:
        out["group"] = s.group
    if s.amount is not None:
        out["amount"] = s.amount
    if s.unit is not None:
        out["unit"] = s.unit.value
    if s.strict:
        out["strict"] = True
    if s.values:
        out["values"] = list(s.values)
    if s.vocabulary is not None and s.values:
        out["vocabulary"] = s.vocabulary
    if s.inputs:
        out["inputs"] = list(s.inputs)
    if s.on is not None:
        out["on"] = s.on.isoformat()
    if s.cause is not None:
        out["cause"] = s.cause.value
    out["text"] = r.shortfall_sentence(s)
    return out


def change_json(c: Change) -> dict[str, Any]:
    return {
        "on": c.on.isoformat(),
        "status": c.status.value,
        "routes": list(c.routes),
        "assumptions": [a.value for a in c.assumptions],
    }


def step_json(step: Step, credential: str, r: Renderer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": step.action.value,
        "route": step.route,
        "criteria": list(step.criteria),
        "on": _day(step.on),
        "text": r.step(step, credential),
    }
    if step.assumptions:
        out["assumptions"] = [a.value for a in step.assumptions]
    # A step's quantities are its criteria's entries in the credential's `shortfalls` (listed there once: a
    # batch summary repeated them in every step, doubling its size).
    return out


def guidance_json(g: CredentialGuidance, r: Renderer, shortfall: ShortfallJson | None = None) -> dict[str, Any]:
    """What to do and from when: the credential-level guidance fields (``shortfall`` serializes a shortfall:
    a serializer's cached one, by default :func:`shortfall_json`)."""
    shortfall = shortfall or shortfall_json
    return {
        "eligible_from": _day(g.eligible_from),
        "eligible_until": _day(g.eligible_until),
        "after_until": g.after_until,
        "timeline": [change_json(c) for c in g.timeline],
        "next_steps": [step_json(s, g.id, r) for s in g.next_steps],
        "shortfalls": [shortfall(s, r) for s in g.shortfalls],
    }


def route_guidance_json(g: RouteGuidance | None, r: Renderer, shortfall: ShortfallJson | None = None) -> dict[str, Any]:
    if g is None:
        return {"feasibility": None, "effort": None, "shortfalls": None}
    shortfall = shortfall or shortfall_json
    return {
        "feasibility": g.feasibility.value,
        "effort": g.effort.value if g.effort else None,
        "shortfalls": [shortfall(s, r) for s in g.shortfalls],
    }


class Serializer:
    """Serializes the outcomes of one rule book; built once per rule book (indices of sources, verification
    levels and rule text)."""

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        rules = book.rules
        self.sources: dict[str, dict[str, Any]] = {}  # key -> source
        self._cite: dict[int, tuple[list[dict[str, Any]], tuple[str, ...]]] = {}  # id(owner) -> refs, keys
        self.verifications: dict[str, Any] = {}  # key -> Verification
        self._vkey: dict[Any, str] = {}
        self._vcontext: dict[str, tuple[str, str]] = {}  # key -> (file, context) of the note's first use
        self._criteria: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._definitions: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...]]] = {}
        self._shortfalls: dict[tuple[Shortfall, str], dict[str, Any]] = {}
        # per (route id, language): its definition, sources, verification key and groups' labels (a route's
        # groups are the same in every outcome of it)
        self._route_definitions: dict[tuple[str, str], Any] = {}
        for cred in rules.credentials.values():
            prefix = cred.id
            self._level(cred.verification, cred.path, "")
            for key, crit in cred.criteria.items():
                self._cites(crit, prefix, crit.citations)
                self._level(crit.verification, cred.path, f"criteria.{key}.")
            for route in cred.routes:
                self._cites(route, prefix, route.citations)
                self._level(route.verification, cred.path, f"routes.{route.key}.")
                for _, cites in route.not_evaluated:
                    self._cites(cites, prefix, cites)
            for j, (fact, cites) in enumerate(cred.facts):
                self._cites(fact, prefix, cites)
                self._level(fact.verification, cred.path, f"facts.{j}.")
        for state in rules.states.values():
            prefix = f"state.{state.code.lower()}"
            for note in state.notes:
                self._cites(note, prefix, note.citations)
                self._level(note.verification, state.path, f"notes.{note.id.rsplit('.', 1)[1]}.")
        self._derivations = {d.id: d for d in rules.derivations}
        for d in rules.derivations:
            self._cites(d, "derivations", d.citations)
            self._level(d.verification, "derivations.yaml", f"derivations.{d.id}.")

    # ------------------------------------------------------------------ indices

    def _cites(self, owner: object, prefix: str, citations: Iterable[Any]) -> None:
        refs, keys = [], []
        for c in citations:
            key = f"{prefix}/{c.source}"
            self.sources.setdefault(
                key,
                {"title": c.title, "url": c.url, "source_kind": c.kind, "retrieved": c.retrieved.isoformat()},
            )
            refs.append({"source": key, "pinpoint": c.pinpoint})
            keys.append(key)
        self._cite[id(owner)] = (refs, tuple(dict.fromkeys(keys)))

    def _level(self, v: Any, file: str, where: str) -> str:
        key = self._vkey.get(v)
        if key is None:
            base = f"{v.source}-{v.confidence}" + ("-provisional" if v.provisional else "")
            key = base
            n = 1
            while key in self.verifications:
                n += 1
                key = f"{base}-{n}"
            self._vkey[v] = key
            self.verifications[key] = v
            self._vcontext[key] = (file, f"{where}verification.note")
        return key

    def cite(self, owner: object) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        return self._cite.get(id(owner), ([], ()))

    def verification_json(self, key: str, r: Renderer) -> dict[str, Any]:
        v = self.verifications[key]
        file, context = self._vcontext[key]
        return {
            "source": v.source,
            "confidence": v.confidence,
            "provisional": v.provisional,
            "note": r.text(file, context, v.note),
        }

    def listed(self, sources: Iterable[str], levels: Iterable[str], r: Renderer) -> dict[str, Any]:
        """The ``sources`` and ``verifications`` an answer references, each once."""
        return {
            "sources": {k: self.sources[k] for k in sorted(set(sources))},
            "verifications": {k: self.verification_json(k, r) for k in sorted(set(levels))},
        }

    def shortfall(self, s: Shortfall, r: Renderer) -> dict[str, Any]:
        """A shortfall's JSON (cached: equal shortfalls in one language give equal JSON)."""
        key = (s, r.language)
        out = self._shortfalls.get(key)
        if out is None:
            if len(self._shortfalls) >= _CACHE_SIZE:
                self._shortfalls.clear()
            out = self._shortfalls[key] = shortfall_json(s, r)
        return out

    # ------------------------------------------------------------------ eligibility

    def criterion(self, c: CriterionOutcome, r: Renderer, detail: Detail) -> dict[str, Any]:
        """A criterion's decision on its record, explained (cached: equal keys give equal JSON). Fields that do
        not apply are left out: `record`, `group`, `measured`, `missing_inputs`, `why`."""
        key = (c.key, r.language, detail) if detail != Detail.TRACE else None
        if key is not None:
            cached = self._criteria.get(key)
            if cached is not None:
                return cached
        out: dict[str, Any] = {"id": c.id, "status": c.status.value}
        if c.record is not None:
            out["record"] = c.record
        if c.group is not None:
            out["group"] = c.group
        if c.measured is not None:
            out["measured"] = measured_json(c.measured)
        if c.missing:
            out["missing_inputs"] = list(c.missing)
        if c.why is not None:
            out["why"] = c.why.value
        out["message"] = r.message(c)
        if detail in (Detail.FULL, Detail.TRACE):
            out["required_text"] = r.requirement(c.requirement)
            out["measured_text"] = r.measured(c)
        if detail == Detail.TRACE and c.trace is not None:
            t = c.trace
            out["trace"] = {
                "inputs": [{"field": path, "value": value} for path, value in t.inputs],
                "version": {
                    "from": t.version_from.isoformat() if t.version_from else None,
                    "to": t.version_to.isoformat() if t.version_to else None,
                },
                "engine_rule": t.engine_rule,
                "fired": list(t.fired),
                "undecided_rule": t.undecided_rule,
            }
        if key is not None:
            if len(self._criteria) >= _CACHE_SIZE:
                self._criteria.clear()
            self._criteria[key] = out
        return out

    def criterion_definition(self, c: CriterionOutcome, r: Renderer, answer: _Answer) -> None:
        """What the answer says once about a criterion: its label, requirement on `as_of`, sources and level;
        and once about the derived fact it was decided on, if any (another record may have decided it otherwise
        where the criterion was listed first)."""
        derived_by = c.measured.derived_by if c.measured is not None else None
        if derived_by is not None and derived_by not in answer.derivations:
            self.derivation_definition(derived_by, r, answer)
        if c.id in answer.criteria:
            return
        crit = c.definition
        key = (c.id, c.requirement, r.language)
        cached = self._definitions.get(key)
        if cached is None:
            refs, sources = self.cite(crit)
            cached = (
                {
                    "label": r.criterion_label(c),
                    "required": requirement_json(c.requirement),
                    "cite": refs,
                    "verification": self._vkey[crit.verification],
                },
                sources,
            )
            if len(self._definitions) >= _CACHE_SIZE:
                self._definitions.clear()
            self._definitions[key] = cached
        answer.criteria[c.id] = cached[0]
        answer.sources.extend(cached[1])
        answer.levels.append(cached[0]["verification"])

    def derivation_definition(self, derivation_id: str, r: Renderer, answer: _Answer) -> None:
        """The derived fact a criterion was decided on, with its sources and level, listed once."""
        d = self._derivations[derivation_id]
        refs, sources = self.cite(d)
        level = self._vkey[d.verification]
        label = r.text.get("derivations.yaml", f"derivations.{d.id}.label", d.label)
        answer.derivations[derivation_id] = {"label": label, "cite": refs, "verification": level}
        answer.sources.extend(sources)
        answer.levels.append(level)

    def route_definition(self, route: RouteOutcome, r: Renderer, answer: _Answer) -> None:
        if route.id in answer.routes:
            return
        key = (route.id, r.language)
        cached = self._route_definitions.get(key)
        if cached is None:
            cached = self._route_definitions[key] = self._route_definition(route, r)
        out, sources, level, groups = cached
        answer.sources.extend(sources)
        answer.levels.append(level)
        answer.routes[route.id] = out
        for group_id, label in groups:
            answer.groups.setdefault(group_id, label)

    def _route_definition(
        self, route: RouteOutcome, r: Renderer
    ) -> tuple[dict[str, Any], list[str], str, list[tuple[str, dict[str, Any]]]]:
        """What an answer says once about a route (the same for every answer in a language)."""
        d = route.definition
        f = self.book.rules.credentials[route.id.rsplit(".", 1)[0]].path
        refs, keys = self.cite(d)
        sources = list(keys)
        level = self._vkey[d.verification]
        out: dict[str, Any] = {"label": r.text.get(f, f"routes.{d.key}.label", d.label), "verification": level}
        if d.reason:
            out["reason"] = r.text.get(f, f"routes.{d.key}.reason", d.reason)
        if refs:
            out["cite"] = refs
        if d.not_evaluated:
            out["not_evaluated"] = []
            for j, (text, cites) in enumerate(d.not_evaluated):
                ne_refs, ne_keys = self.cite(cites)
                sources.extend(ne_keys)
                text = r.text.get(f, f"routes.{d.key}.not_evaluated.{j}", text)
                out["not_evaluated"].append({"text": text, "cite": ne_refs})
        groups = [
            (g.id, {"label": r.text.get(f, f"groups.{g.definition.key}.label", g.definition.label)})
            for g in route.groups
        ]
        return out, sources, level, groups

    def route(
        self,
        route: RouteOutcome,
        r: Renderer,
        detail: Detail,
        answer: _Answer,
        guidance: RouteGuidance | None = None,
    ) -> dict[str, Any]:
        self.route_definition(route, r, answer)
        criteria = []
        for c in route.criteria:
            self.criterion_definition(c, r, answer)
            criteria.append(self.criterion(c, r, detail))
        cautions = []
        for c in route.cautions:
            self.criterion_definition(c, r, answer)
            cautions.append(self.criterion(c, r, detail))
        out: dict[str, Any] = {
            "id": route.id,
            "status": route.status.value,
            "coverage": route.coverage.value,
            "criteria": criteria,
            "groups": [{"id": g.id, "status": g.status.value} for g in route.groups],
            "cautions": cautions,
            **route_guidance_json(guidance, r, self.shortfall),
        }
        return out

    def credential(
        self,
        outcome: CredentialOutcome | None,
        summary: CredentialSummary,
        guidance: CredentialGuidance,
        r: Renderer,
        detail: Detail,
        answer: _Answer,
    ) -> dict[str, Any]:
        cred = self.book.rules.credentials[summary.id]
        level = self._vkey[cred.verification]
        answer.levels.append(level)
        out: dict[str, Any] = {
            "id": summary.id,
            "name": cred.name,
            "designation": cred.designation,
            "status": summary.status.value,
            "eligible_routes": list(summary.eligible_routes),
            "inputs_needed": list(summary.inputs_needed),
            "undetermined_reasons": [reason.value for reason in summary.reasons],
            "nearest_route": summary.nearest_route,
            "missing_criteria": list(summary.missing),
            **guidance_json(guidance, r, self.shortfall),
            "verification": level,
            "routes": None,
        }
        if outcome is not None and detail != Detail.SUMMARY:
            guided = {g.id: g for g in guidance.routes}
            out["routes"] = [self.route(route, r, detail, answer, guided.get(route.id)) for route in outcome.routes]
        if detail in (Detail.FULL, Detail.TRACE):
            out["body"] = {"id": cred.body_id, "name": cred.body_name, "url": cred.body_url}
            out["family"] = cred.family
            out["summary"] = r.text.get(cred.path, "summary", cred.summary)
        return out

    def credentials(self, evaluation: Evaluation, r: Renderer, detail: Detail, answer: _Answer) -> list[dict[str, Any]]:
        guidance = evaluation.guidance()  # first: the summaries then take its nearest routes
        summaries = evaluation.summaries()
        outcomes: Iterable[CredentialOutcome | None] = (
            evaluation.credentials if detail != Detail.SUMMARY else (None for _ in summaries)
        )
        return [
            self.credential(o, s, g, r, detail, answer) for o, s, g in zip(outcomes, summaries, guidance, strict=True)
        ]

    def definitions(self, answer: _Answer, r: Renderer) -> dict[str, Any]:
        """What an answer references, each once: criteria, routes and groups, sources, verification levels."""
        return {
            "definitions": {
                "criteria": answer.criteria,
                "routes": answer.routes,
                "groups": answer.groups,
                "derivations": answer.derivations,
            },
            **self.listed(answer.sources, answer.levels, r),
        }

    def state(self, state: StateOutcome, r: Renderer, answer: _Answer) -> dict[str, Any]:
        d = state.definition
        notes = []
        for note in state.notes:
            key = note.id.rsplit(".", 1)[1]
            refs, keys = self.cite(note)
            answer.sources.extend(keys)
            level = self._vkey[note.verification]
            answer.levels.append(level)
            notes.append(self.note(note, key, d.path if d else "", refs, level, r))
        return {
            "code": state.code,
            "name": r.text(d.path, "name", d.name) if d else r.code("us_state", state.code),
            "researched": state.researched,
            "summary": r.text(d.path, "summary", d.summary) if d else None,
            "notes": notes,
        }

    def note(
        self, note: Any, key: str, file: str, refs: list[dict[str, Any]], level: str, r: Renderer
    ) -> dict[str, Any]:
        return {
            "id": note.id,
            "title": r.text.get(file, f"notes.{key}.title", note.title),
            "kind": note.kind,
            "families": list(note.families),
            "summary": r.text.get(file, f"notes.{key}.summary", note.summary),
            "accepts": list(note.accepts),
            "cite": refs,
            "verification": level,
            "effective": _effective(note.effective),
        }

    def eligibility(self, evaluation: Evaluation, *, detail: Detail, language: str) -> dict[str, Any]:
        """The single-applicant answer."""
        r = renderer(self.book, language)
        answer = _Answer()
        credentials = self.credentials(evaluation, r, detail, answer)
        state = None if evaluation.state is None else self.state(evaluation.state, r, answer)
        return {
            "as_of": evaluation.as_of.isoformat(),
            "language": language,
            "detail": detail.value,
            "rules": rules_json(evaluation),
            "eligible": evaluation.eligible,
            "credentials": credentials,
            "state": state,
            **self.definitions(answer, r),
        }

    def batch_item(
        self,
        item_id: str,
        evaluation: Evaluation | None,
        errors: list[dict[str, Any]] | None,
        *,
        detail: Detail,
        language: str,
    ) -> dict[str, Any]:
        """One batch result: the summaries (and details, beyond `summary`), or the item's problem."""
        empty = {"definitions": None, "sources": None, "verifications": None}
        if evaluation is None:
            assert errors is not None
            return invalid_item(item_id, worded_errors(errors, language), language)
        r = renderer(self.book, language)
        guidance = evaluation.guidance()  # first: the summaries then take its nearest routes
        briefs = [brief(s, g, r, self.shortfall) for s, g in zip(evaluation.summaries(), guidance, strict=True)]
        details = None
        listed: dict[str, Any] = empty
        if detail != Detail.SUMMARY:
            answer = _Answer()
            details = self.credentials(evaluation, r, detail, answer)
            listed = self.definitions(answer, r)
        return {
            "id": item_id,
            "ok": True,
            "eligible": evaluation.eligible,
            "credentials": briefs,
            "details": details,
            **listed,
            "problem": None,
        }

    # ------------------------------------------------------------------ catalogue

    def credential_summary(self, cred: Any, r: Renderer) -> dict[str, Any]:
        return {
            "id": cred.id,
            "name": cred.name,
            "designation": cred.designation,
            "body": {"id": cred.body_id, "name": cred.body_name, "url": cred.body_url},
            "family": cred.family,
            "summary": r.text.get(cred.path, "summary", cred.summary),
            "routes": [
                {
                    "id": route.id,
                    "label": r.text.get(cred.path, f"routes.{route.key}.label", route.label),
                    "coverage": route.coverage,
                }
                for route in cred.routes
            ],
            "verification": self.verification_json(self._vkey[cred.verification], r),
        }

    def credential_list(self, language: str) -> dict[str, Any]:
        r = renderer(self.book, language)
        return {
            "language": language,
            "rules": identity_json(self.book),
            "credentials": [self.credential_summary(c, r) for c in self.book.rules.credentials.values()],
        }

    def _criterion_definition(self, crit: Any, group: str | None, cred: Any, r: Renderer) -> dict[str, Any]:
        refs, _ = self.cite(crit)
        f = cred.path
        return {
            "id": crit.id,
            "label": r.text.get(f, f"criteria.{crit.key}.label", crit.label),
            "scope": crit.measure.scope,
            "inputs": list(crit.measure.inputs),
            "group": group,
            "versions": [
                {
                    "required": requirement_json(v.requirement),
                    "required_text": r.requirement(v.requirement),
                    "from": v.start.isoformat() if v.start else None,
                    "to": v.end.isoformat() if v.end else None,
                }
                for v in crit.versions
            ],
            "note": r.text(f, f"criteria.{crit.key}.note", crit.note),
            "incomplete": r.text(f, f"criteria.{crit.key}.incomplete", crit.incomplete),
            "effective": _effective(crit.effective),
            "citations": [self._citation(ref) for ref in refs],
            "verification": self.verification_json(self._vkey[crit.verification], r),
        }

    def _citation(self, ref: dict[str, Any]) -> dict[str, Any]:
        return {**self.sources[ref["source"]], "pinpoint": ref["pinpoint"]}

    def credential_detail(self, credential_id: str, language: str) -> dict[str, Any]:
        cred = self.book.credential(credential_id)
        r = renderer(self.book, language)
        f = cred.path
        routes = []
        for route in cred.routes:
            criteria, groups = [], []
            for entry in route.entries:
                if hasattr(entry, "members"):
                    groups.append({"id": entry.id, "label": r.text.get(f, f"groups.{entry.key}.label", entry.label)})
                    criteria.extend(self._criterion_definition(m, entry.id, cred, r) for m in entry.members)
                else:
                    criteria.append(self._criterion_definition(entry, None, cred, r))
            refs, _ = self.cite(route)
            routes.append(
                {
                    "id": route.id,
                    "label": r.text.get(f, f"routes.{route.key}.label", route.label),
                    "summary": r.text(f, f"routes.{route.key}.summary", route.summary),
                    "coverage": route.coverage,
                    "reason": r.text(f, f"routes.{route.key}.reason", route.reason),
                    "effective": _effective(route.effective),
                    "verification": self.verification_json(self._vkey[route.verification], r),
                    "criteria": criteria,
                    "groups": groups,
                    "cautions": [self._criterion_definition(c, None, cred, r) for c in route.cautions],
                    "not_evaluated": [
                        {
                            "text": r.text.get(f, f"routes.{route.key}.not_evaluated.{j}", text),
                            "citations": [self._citation(ref) for ref in self.cite(cites)[0]],
                        }
                        for j, (text, cites) in enumerate(route.not_evaluated)
                    ],
                    "citations": [self._citation(ref) for ref in refs],
                }
            )
        facts = []
        for j, (fact, _) in enumerate(cred.facts):
            refs, _ = self.cite(fact)
            facts.append(
                {
                    "topic": fact.topic,
                    "label": r.text.get(f, f"facts.{j}.label", fact.label),
                    "value": _fact_value(fact.value, lambda text, k, j=j: r.text.get(f, f"facts.{j}.value{k}", text)),
                    "unit": r.text(f, f"facts.{j}.unit", fact.unit),
                    "note": r.text(f, f"facts.{j}.note", fact.note),
                    "citations": [self._citation(ref) for ref in refs],
                    "verification": self.verification_json(self._vkey[fact.verification], r),
                }
            )
        return {
            **self.credential_summary(cred, r),
            "language": language,
            "rules": identity_json(self.book),
            "routes": routes,
            "facts": facts,
            "uncertain": [r.text.get(f, f"uncertain.{j}", text) for j, text in enumerate(cred.uncertain)],
            "sources": [
                {
                    "id": s.source,
                    "title": s.title,
                    "url": s.url,
                    "source_kind": s.kind,
                    "retrieved": s.retrieved.isoformat(),
                }
                for s in cred.sources.values()
            ],
        }

    def state_detail(self, code: str, language: str) -> dict[str, Any]:
        state = self.book.state(code)
        r = renderer(self.book, language)
        if state is None:
            return {
                "code": code,
                "name": r.code("us_state", code),
                "researched": False,
                "summary": None,
                "notes": [],
                "unconfirmed": [],
                "language": language,
                "rules": identity_json(self.book),
            }
        notes = []
        for note in state.notes:
            refs, _ = self.cite(note)
            key = note.id.rsplit(".", 1)[1]
            entry = self.note(note, key, state.path, refs, self._vkey[note.verification], r)
            entry["citations"] = [self._citation(ref) for ref in entry.pop("cite")]
            entry["verification"] = self.verification_json(entry["verification"], r)
            notes.append(entry)
        return {
            "code": state.code,
            "name": r.text.get(state.path, "name", state.name),
            "researched": True,
            "summary": r.text.get(state.path, "summary", state.summary),
            "notes": notes,
            "unconfirmed": [r.text.get(state.path, f"unconfirmed.{j}", t) for j, t in enumerate(state.unconfirmed)],
            "language": language,
            "rules": identity_json(self.book),
        }

    def state_notes(self, state: StateOutcome, language: str) -> dict[str, Any]:
        """A state's notes with the sources and levels they reference (batch answers)."""
        r = renderer(self.book, language)
        answer = _Answer()
        out = self.state(state, r, answer)
        return {**out, **self.listed(answer.sources, answer.levels, r)}


def failed_item(item_id: str, problem: dict[str, Any]) -> dict[str, Any]:
    """A batch item with a problem and no outcome (invalid facts, or not evaluated): one shape on every path."""
    return {
        "id": item_id,
        "ok": False,
        "eligible": None,
        "credentials": None,
        "details": None,
        "definitions": None,
        "sources": None,
        "verifications": None,
        "problem": problem,
    }


def invalid_item(item_id: str, errors: list[dict[str, str]], language: str = "en") -> dict[str, Any]:
    """A batch item whose facts are invalid: its problem, named fields (their messages already in
    ``language``), no outcome (every batch path, the endpoint's, the CLI's and a registrar file's unreadable
    rows, answers with this one shape)."""
    return failed_item(item_id, item_problem(errors, language))


def rules_json(evaluation: Evaluation) -> dict[str, str]:
    i = evaluation.rules
    return {"name": i.name, "version": i.version, "digest": i.digest, "id": i.id}


def identity_json(book: Rulebook) -> dict[str, str]:
    i = book.identity
    return {"name": i.name, "version": i.version, "digest": i.digest, "id": i.id}


def _fact_value(value: Any, text: Callable[[str, str], str]) -> Any:
    """A fact's value for the wire; text values in the answer's language (``text(english, key suffix)``)."""
    if isinstance(value, list):
        return [
            {
                "value": text(d.value, f".{k}") if isinstance(d.value, str) else d.value,
                "from": d.from_.isoformat() if d.from_ else None,
                "to": d.to.isoformat() if d.to else None,
            }
            for k, d in enumerate(value)
        ]
    return text(value, "") if isinstance(value, str) else value


def _effective(obj: Any) -> dict[str, str | None] | None:
    if obj is None:
        return None
    return {"from": obj.from_.isoformat() if obj.from_ else None, "to": obj.to.isoformat() if obj.to else None}


@functools.lru_cache(maxsize=4)
def serializer(book: Rulebook) -> Serializer:
    """The serializer of a rule book (built on first use; a reloaded rule book gets its own)."""
    return Serializer(book)


def batch_item(
    book: Rulebook,
    item_id: str,
    evaluation: Evaluation | None,
    errors: list[dict[str, Any]] | None,
    *,
    detail: Detail = Detail.SUMMARY,
    language: str = "en",
) -> dict[str, Any]:
    """The batch runner's ``encode``: a module-level function, so worker processes can call it."""
    return serializer(book).batch_item(item_id, evaluation, errors, detail=detail, language=language)


def is_eligible(summary: CredentialSummary) -> bool:
    return summary.status == Verdict.ELIGIBLE


class EncodedItem(NamedTuple):
    """A batch result as a worker process sends it back: its JSON bytes, with what the caller counts.

    Bytes cross the process boundary about thirty times faster than the nested dicts they encode (a summary
    item is some 20 KB of JSON: unpickling its dicts took the batch's own process ~0.5 ms an item, time the
    workers' results waited for), and the HTTP answer is these very bytes, never encoded a second time."""

    ok: bool
    statuses: tuple[tuple[str, str], ...]  # (credential id, status) of an evaluated item
    json: bytes

    def data(self) -> dict[str, Any]:
        """The result as JSON-ready data (for writers of CSV and spreadsheet files)."""
        return orjson.loads(self.json)  # type: ignore[no-any-return]


def encoded_item(
    book: Rulebook,
    item_id: str,
    evaluation: Evaluation | None,
    errors: list[dict[str, Any]] | None,
    *,
    item: Callable[..., dict[str, Any]] = batch_item,
    detail: Detail = Detail.SUMMARY,
    language: str = "en",
) -> EncodedItem:
    """The batch runner's ``encode`` when results are sent on as JSON: ``item`` (:func:`batch_item`) encoded
    once, where it is made."""
    result = item(book, item_id, evaluation, errors, detail=detail, language=language)
    statuses = tuple((c["id"], c["status"]) for c in result["credentials"]) if result["ok"] else ()
    return EncodedItem(bool(result["ok"]), statuses, orjson.dumps(result))
