"""Views of the rule set that are no API answer: the rule data report (``credcheck rules report``)."""

from __future__ import annotations

from typing import Any

from ._ruleset import RuleSet

__all__ = ["rules_report"]


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
