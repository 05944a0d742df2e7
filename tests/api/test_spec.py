"""The committed OpenAPI document matches the app, is valid, and derives its enums from the rule files."""

from __future__ import annotations

import json
from typing import Any

from openapi_spec_validator import validate

from api.schemas import EXAMPLES_PATH
from api.spec import SPEC_PATH, render
from engine import Rulebook


def committed() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def test_committed_spec_matches_the_app(app: Any) -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == render(app.openapi()), (
        "openapi/openapi.json is out of date: run `make openapi` (python -m api.spec) and commit it"
    )


def test_spec_is_valid_openapi() -> None:
    validate(committed())


def test_operation_ids_read_as_method_names() -> None:
    ids = sorted(op["operationId"] for item in committed()["paths"].values() for op in item.values())
    assert ids == [
        "checkEligibility",
        "checkEligibilityBatch",
        "getCredential",
        "getHealth",
        "getReadiness",
        "getState",
        "listCredentials",
    ]


def test_enums_follow_the_rule_files(rulebook: Rulebook) -> None:
    schemas = committed()["components"]["schemas"]
    assert schemas["CredentialId"]["enum"] == rulebook.credential_ids
    assert schemas["StateCode"]["enum"] == rulebook.state_codes
    vocab = rulebook.rules.vocabularies
    assert schemas["Accreditor"]["enum"] == list(vocab["accreditor"].values)
    assert schemas["Discipline"]["enum"] == list(vocab["discipline"].values)
    refs = schemas["CredentialRef"]["enum"]
    assert set(refs) == set(rulebook.credential_ids) | set(vocab["other_credential"].values)


def test_errors_are_documented_as_problem_json() -> None:
    for path, item in committed()["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if (path, status) == ("/readyz", "503"):
                    # "not ready" is an answer, not an error: the readiness body says why
                    assert list(response["content"]) == ["application/json"]
                elif int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (path, method, status)
                assert "X-Rules-Version" in response["headers"], (path, method, status)


def test_request_model_carries_an_example() -> None:
    example = committed()["components"]["schemas"]["EligibilityRequest"]["examples"][0]
    assert example["applicant"]["programs"][0]["discipline"] == "medical-assisting"


def test_examples_are_the_rule_fixtures_cases() -> None:
    """openapi/examples.json is what `python -m api.spec` copies from tests/rules (the service reads it)."""
    from api.spec import build_examples

    assert EXAMPLES_PATH.read_text(encoding="utf-8") == render(build_examples()), (
        "openapi/examples.json is out of date: run `make openapi` and commit it"
    )
    spec = committed()
    request = spec["paths"]["/v1/eligibility"]["post"]["requestBody"]["content"]["application/json"]
    example = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))["eligibility"]["value"]
    assert request["schema"]["$ref"].endswith("/EligibilityRequest")
    assert spec["components"]["schemas"]["EligibilityRequest"]["examples"] == [example]
    answer = spec["paths"]["/v1/eligibility"]["post"]["responses"]["200"]["content"]["application/json"]
    assert answer["examples"]["fixture"]["value"]["eligible"] == ["aama.cma"]  # the fixture case's outcome


def test_a_service_on_another_rule_set_still_serves_its_spec(tmp_path: Any) -> None:
    """The examples come from the bundled fixtures; a rule set without their credentials serves a spec
    without them, rather than failing on /openapi.json and /docs."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings
    from engine import load_rulebook
    from tests.helpers import credential, make_rule_set

    root = make_rule_set(
        tmp_path,
        credential(
            "criteria:\n  hs:\n    label: Diploma\n    measure: high_school.credential\n"
            "    test: {one_of: [diploma]}\n    cite: {source: doc}\nroutes:\n  - {id: r, label: R, criteria: [hs]}\n"
        ),
    )
    with TestClient(create_app(Settings(batch_workers=1), rulebook=load_rulebook(root))) as client:
        r = client.get("/openapi.json")
        assert r.status_code == 200
        spec = r.json()
        assert "examples" not in spec["components"]["schemas"]["EligibilityRequest"]
        assert client.get("/docs").status_code == 200
