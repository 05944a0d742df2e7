"""The guidance fixtures of ``guidance_cases.yaml``, checked as subsets of the engine's guidance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.render import renderer
from api.serialize import change_json, route_guidance_json
from engine import Rulebook

CASES = yaml.safe_load((Path(__file__).with_name("guidance_cases.yaml")).read_text(encoding="utf-8"))


def _day(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _subset(expected: Any, got: Any, where: str) -> list[str]:
    """Where ``got`` differs from ``expected`` (dicts: only the keys given; lists: item by item)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected a mapping, got {got!r}"]
        out = []
        for key, value in expected.items():
            if key not in got:
                out.append(f"{where}.{key}: missing (have {sorted(got)})")
            else:
                out += _subset(value, got[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: expected {expected!r}, got {got!r}"]
        return [p for i, (e, g) in enumerate(zip(expected, got, strict=True)) for p in _subset(e, g, f"{where}[{i}]")]
    return [] if _day(expected) == got else [f"{where}: expected {expected!r}, got {got!r}"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_guidance_case(rulebook: Rulebook, case: dict[str, Any]) -> None:
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    evaluation = rulebook.evaluate(case["applicant"], as_of=as_of, credentials=[case["credential"]])
    [g] = evaluation.guidance()
    r = renderer(rulebook, "en")
    got: dict[str, Any] = {
        "status": evaluation.verdicts[0][1].value,
        "eligible_from": _day(g.eligible_from),
        "eligible_until": _day(g.eligible_until),
        "nearest_route": g.nearest_route,
        "timeline": [change_json(c) for c in g.timeline],
        "next_steps": [
            {"action": s.action.value, "on": _day(s.on), "route": s.route, "criteria": list(s.criteria)}
            for s in g.next_steps
        ],
        "routes": {},
    }
    for route in g.routes:
        data = route_guidance_json(route, r)
        data["shortfalls"] = {s["criterion"]: s for s in data["shortfalls"]}
        got["routes"][route.id] = data
    problems = _subset(case["expect"], got, case["credential"])
    assert not problems, "\n".join(problems)
