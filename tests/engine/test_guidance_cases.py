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
from tests.fixtures import iso_day, subset_problems

CASES = yaml.safe_load((Path(__file__).with_name("guidance_cases.yaml")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_guidance_case(rulebook: Rulebook, case: dict[str, Any]) -> None:
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    evaluation = rulebook.evaluate(case["applicant"], as_of=as_of, credentials=[case["credential"]])
    [g] = evaluation.guidance()
    r = renderer(rulebook, "en")
    got: dict[str, Any] = {
        "status": evaluation.verdicts[0][1].value,
        "eligible_from": iso_day(g.eligible_from),
        "eligible_until": iso_day(g.eligible_until),
        "nearest_route": g.nearest_route,
        "timeline": [change_json(c) for c in g.timeline],
        "next_steps": [
            {"action": s.action.value, "on": iso_day(s.on), "route": s.route, "criteria": list(s.criteria)}
            for s in g.next_steps
        ],
        "routes": {},
    }
    for route in g.routes:
        data = route_guidance_json(route, r)
        data["shortfalls"] = {s["criterion"]: s for s in data["shortfalls"]}
        got["routes"][route.id] = data
    problems = subset_problems(case["expect"], got, case["credential"])
    assert not problems, "\n".join(problems)
