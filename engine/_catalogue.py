"""JSON views of the rule set for the catalogue endpoints and docs: derived, never written by hand."""

from __future__ import annotations

from typing import Any

from ._results import citations_list, effective_dict, state_note_dict, verification_dict
from ._ruleset import CredentialDef, CriterionDef, GroupDef, RouteDef, RuleSet, StateDef, TestVersion
from ._schema import DatedFact

__all__ = ["credential_detail", "credential_summary", "rules_report", "state_detail"]


def _version(v: TestVersion) -> dict[str, Any]:
    return {
        "required": v.required,
        "from": v.start.isoformat() if v.start else None,
        "to": v.end.isoformat() if v.end else None,
    }


def _criterion(c: CriterionDef, group: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "label": c.label,
        "scope": c.measure.scope,
        "inputs": list(c.measure.inputs),
        "group": group,
        "versions": [_version(v) for v in c.versions],
        "note": c.note,
        "incomplete": c.incomplete,
        "effective": effective_dict(c.effective),
        "citations": citations_list(c.citations),
        "verification": verification_dict(c.verification),
    }


def _route(r: RouteDef) -> dict[str, Any]:
    criteria = []
    groups = []
    for entry in r.entries:
        if isinstance(entry, GroupDef):
            groups.append({"id": entry.id, "label": entry.label})
            criteria.extend(_criterion(m, entry.id) for m in entry.members)
        else:
            criteria.append(_criterion(entry, None))
    return {
        "id": r.id,
        "label": r.label,
        "summary": r.summary,
        "coverage": r.coverage,
        "reason": r.reason,
        "effective": effective_dict(r.effective),
        "verification": verification_dict(r.verification),
        "criteria": criteria,
        "groups": groups,
        "cautions": [_criterion(c, None) for c in r.cautions],
        "not_evaluated": [{"text": t, "citations": citations_list(c)} for t, c in r.not_evaluated],
        "citations": citations_list(r.citations),
    }


def _fact_value(value: Any) -> Any:
    if isinstance(value, list):
        return [
            {
                "value": d.value,
                "from": d.from_.isoformat() if d.from_ else None,
                "to": d.to.isoformat() if d.to else None,
            }
            for d in value
            if isinstance(d, DatedFact)
        ]
    return value


def credential_summary(c: CredentialDef) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "designation": c.designation,
        "body": {"id": c.body_id, "name": c.body_name, "url": c.body_url},
        "family": c.family,
        "summary": c.summary,
        "routes": [{"id": r.id, "label": r.label} for r in c.routes],
        "verification": verification_dict(c.verification),
    }


def credential_detail(c: CredentialDef) -> dict[str, Any]:
    return credential_summary(c) | {
        "routes": [_route(r) for r in c.routes],
        "facts": [
            {
                "topic": f.topic,
                "label": f.label,
                "value": _fact_value(f.value),
                "unit": f.unit,
                "note": f.note,
                "citations": citations_list(cites),
                "verification": verification_dict(f.verification),
            }
            for f, cites in c.facts
        ],
        "uncertain": list(c.uncertain),
        "sources": [
            {
                "id": s.source,
                "title": s.title,
                "url": s.url,
                "source_kind": s.kind,
                "retrieved": s.retrieved.isoformat(),
            }
            for s in c.sources.values()
        ],
    }


def state_detail(rules: RuleSet, code: str) -> dict[str, Any]:
    state: StateDef | None = rules.states.get(code)
    name = rules.vocabularies["us_state"].values.get(code, code)
    if state is None:
        return {
            "code": code,
            "name": name,
            "researched": False,
            "summary": None,
            "notes": [],
            "unconfirmed": [],
        }
    return {
        "code": state.code,
        "name": state.name,
        "researched": True,
        "summary": state.summary,
        "notes": [state_note_dict(n) for n in state.notes],
        "unconfirmed": list(state.unconfirmed),
    }


def rules_report(rules: RuleSet) -> list[dict[str, Any]]:
    """Per credential: routes by coverage, and the deciding criteria and cautions by source kind and confidence.

    The state of the rule data at a glance (``credcheck rules report``); ``rules/README.md`` shows its table.
    """
    out = []
    for c in rules.credentials.values():
        deciding = {crit.id: crit for r in c.routes for crit in r.criteria()}
        cautions = {crit.id: crit for r in c.routes for crit in r.cautions}
        by_level: dict[str, int] = {}
        for crit in deciding.values():
            level = f"{crit.verification.source}/{crit.verification.confidence}"
            by_level[level] = by_level.get(level, 0) + 1
        out.append(
            {
                "id": c.id,
                "designation": c.designation,
                "routes": {cov: sum(r.coverage == cov for r in c.routes) for cov in ("full", "gate", "none")},
                "criteria": len(deciding),
                "by_level": dict(sorted(by_level.items())),
                "provisional": sum(crit.verification.provisional for crit in deciding.values()),
                "incomplete": sum(crit.incomplete is not None for crit in deciding.values()),
                "cautions": len(cautions),
            }
        )
    return out
