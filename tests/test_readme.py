"""The README's example is true: its request, sent to the app, gives the documented output, and the two
set-up commands are the ones CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _example() -> tuple[dict[str, Any], dict[str, Any]]:
    request_block = README.split("<!-- README example request")[1].split("```")[1]
    body = re.search(r"-d '(\{.*?\})' \|", request_block, re.S)
    assert body, "cannot find the -d '...' body in the README example"
    output_block = README.split("<!-- README example output -->")[1].split("```json")[1].split("```")[0]
    return json.loads(body.group(1)), json.loads(output_block)


def _jq(answer: dict[str, Any]) -> dict[str, Any]:
    """The README's jq filter, in Python."""
    criterion = answer["credentials"][0]["routes"][0]["criteria"][1]
    return {
        "eligible": answer["eligible"],
        "rules": answer["rules"]["version"],
        "credentials": [
            {
                "id": c["id"],
                "status": c["status"],
                "routes": [{"id": r["id"], "status": r["status"]} for r in c["routes"]],
            }
            for c in answer["credentials"]
        ],
        "accreditation_criterion": {**criterion, "definition": answer["definitions"]["criteria"][criterion["id"]]},
        "state_notes": [n["id"] for n in answer["state"]["notes"]],
    }


def test_readme_example_output_is_what_the_service_returns(client: Any) -> None:
    request, documented = _example()
    response = client.post("/v1/eligibility", json=request)
    assert response.status_code == 200
    assert _jq(response.json()) == documented


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^make (\w+)", README.split("## Quick start")[1].split("```")[1], re.M)
    assert commands == ["serve", "test"]
    assert "\nmake test\n" in (REPO / ".ci" / "run").read_text()
