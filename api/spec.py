"""The OpenAPI document: built from the app (:func:`openapi`, the app's ``openapi()``) and rendered.
``python -m api.spec`` rewrites ``openapi/openapi.json``.

The committed file is what SDK generators read; ``tests/api/test_spec.py`` fails when it drifts from the
app, so regenerate it (``make openapi``) whenever the API or the rule set's vocabularies change.

The request examples in the spec are cases of the YAML rule fixtures (``tests/rules/``), copied into
``openapi/examples.json`` by this script so that the service, which ships without its tests, serves the
same spec; the response examples are the service's own answers to them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .problems import PROBLEM_MEDIA_TYPE
from .schemas import EXAMPLES_PATH, Detail, load_examples
from .serialize import serializer

SPEC_PATH = EXAMPLES_PATH.parent / "openapi.json"
FIXTURES = SPEC_PATH.parent.parent / "tests" / "rules" / "credentials"

# (fixture file, the expected status of the case taken from it): the first such case is the example.
_SINGLE = ("aama/cma.yaml", "eligible")
_BATCH = (("aama/cma.yaml", "eligible"), ("nha/ccma.yaml", "undetermined"), ("nha/cmaa.yaml", "ineligible"))


DESCRIPTION = """\
Eligibility checker for US medical-technician certifications.

Send what is known about an applicant; get back, for every credential, whether they are **eligible**,
**ineligible** or **undetermined** (information missing), with every route and criterion explained, cited
and marked with its verification level, plus the licensing notes of a state.

* A criterion is `met`, `unmet`, or `unknown` when the facts given do not decide it; `missing_inputs` says
  what would.
* Results depend on `as_of` (default today, UTC) and on the rule set, identified by `rules.id` in the body
  and the `X-Rules-Version` header. The same request, `as_of` and rule set always give the same answer.
* Errors are `application/problem+json` (RFC 9457) and name the offending field.
* When the service is configured with API keys, send one as `X-API-Key` or `Authorization: Bearer`.
  `/healthz`, `/readyz`, `/openapi.json`, `/docs` and `/redoc` stay open, and so does `/metrics` unless the
  service protects it.
* Catalogue answers carry an `ETag`: send it back as `If-None-Match` to get 304 Not Modified.
"""

TAGS = [
    {"name": "eligibility", "description": "Evaluate applicants."},
    {"name": "catalogue", "description": "Credentials, routes, criteria and state notes, derived from the rule files."},
    {"name": "operations", "description": "Health of the service."},
]

RESPONSE_HEADERS = {
    "X-Rules-Version": {
        "description": "Rule set version with its content digest, e.g. `0.3.0+sha256.2b410e8aab4a53d0`.",
        "schema": {"type": "string"},
    },
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a valid `X-Request-ID`), also in the service's logs.",
        "schema": {"type": "string"},
    },
}


def openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Spec post-processing: problem+json for errors, response headers, optional API-key security."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            separate_input_output_schemas=False,
        )
        for path_item in spec.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    schema = content.get("application/json", {}).get("schema")
                    is_problem = schema is None or schema.get("$ref") == "#/components/schemas/Problem"
                    if status.isdigit() and int(status) >= 400 and is_problem:
                        content.pop("application/json", None)
                        content[PROBLEM_MEDIA_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
                        response["content"] = content
                    response.setdefault("headers", {}).update(RESPONSE_HEADERS)
        components = spec.setdefault("components", {})
        # Keys are optional, decided per deployment (CREDCHECK_API_KEYS), so no operation requires a scheme:
        # generators would otherwise demand credentials from every client. Send the key as a plain header.
        components["securitySchemes"] = {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "BearerAuth": {"type": "http", "scheme": "bearer"},
        }
        # The answer to the request example (a rule fixture's case), as the service gives it; none when the
        # examples do not fit the rule set served (load_examples says so).
        book = app.state.service.book
        examples = load_examples(book)
        if examples:
            example = examples["eligibility"]
            request = example["value"]
            evaluation = book.evaluate(
                book.parse_applicant(request["applicant"]),
                as_of=dt.date.fromisoformat(request["as_of"]),
                credentials=request["credentials"],
                state=request["state"] if request["state"] in book.state_codes else None,
            )
            answer = serializer(book).eligibility(evaluation, detail=Detail.STANDARD, language="en")
            ok = spec["paths"]["/v1/eligibility"]["post"]["responses"]["200"]["content"]["application/json"]
            ok["examples"] = {"fixture": {"summary": example["summary"], "value": answer}}
        schemas = components.get("schemas", {})
        # FastAPI's own validation error models are replaced by Problem everywhere.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    return build


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def jsonable(value: Any) -> Any:
    """A fixture's YAML values as a client sends them: dates become ISO strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def _case(file: str, status: str) -> tuple[str, dict[str, Any]]:
    import yaml

    fixture = yaml.safe_load((FIXTURES / file).read_text(encoding="utf-8"))
    for case in fixture["cases"]:
        if case["expect"]["status"] == status and not case.get("state"):
            return fixture["credential"], jsonable(case)
    raise LookupError(f"tests/rules/credentials/{file} has no {status} case to use as an example")


def build_examples() -> dict[str, Any]:
    """Request examples taken from the rule fixtures (needs the repository's tests/ folder)."""
    credential, first = _case(*_SINGLE)
    single = {"as_of": first["as_of"], "state": "WA", "credentials": [credential], "applicant": first["applicant"]}
    items, credentials = [], []
    as_of = None
    for n, (file, status) in enumerate(_BATCH, start=1):
        credential, case = _case(file, status)
        credentials.append(credential)
        as_of = as_of or case["as_of"]
        items.append({"id": f"applicant-{n:03d}", "applicant": case["applicant"]})
    batch = {"as_of": as_of, "credentials": credentials, "items": items}
    return {
        "_comment": "Generated by `python -m api.spec` from the cases of tests/rules/credentials; do not edit.",
        "eligibility": {"summary": first["name"], "value": single},
        "batch": {"summary": "Three applicants from the rule fixtures", "value": batch},
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    examples = render(build_examples())
    if args != ["--check"]:
        EXAMPLES_PATH.write_text(examples, encoding="utf-8")  # before the app is built: it reads them

    from engine import load_rulebook

    from .main import create_app

    # Always the bundled rule set: the committed spec describes what the repository ships.
    app = create_app(rulebook=load_rulebook(SPEC_PATH.parent.parent / "rules"))
    text = render(app.openapi())
    if args == ["--check"]:
        stale = [p for p, t in ((EXAMPLES_PATH, examples), (SPEC_PATH, text)) if p.read_text(encoding="utf-8") != t]
        for path in stale:
            print(f"{path} is out of date: run `python -m api.spec`", file=sys.stderr)
        return 1 if stale else 0
    SPEC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {EXAMPLES_PATH} and {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
