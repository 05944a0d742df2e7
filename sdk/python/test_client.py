"""The generated Python client (openapi-python-client) against a live credcheck.

Run by ``sdk/run.sh``: it generates ``credcheck_client`` from ``openapi/openapi.json``, installs it, starts the
service and sets ``CREDCHECK_URL``. Every result is decoded into the SDK's classes and checked; any failure
exits non-zero.

The regions between ``# docs:start NAME`` and ``# docs:end NAME`` are the Python snippets of
``docs/integrators.md``, character for character, in order; ``sdk/docs_snippets.py`` fails when they drift.
Everything outside them is the test's own assertions.
"""
# ruff: noqa: T201 - a test program that reports what it got

# docs:start py-client
import datetime as dt
import json
import os
from http import HTTPStatus

from credcheck_client import Client
from credcheck_client.api.catalogue import get_credential, list_credentials
from credcheck_client.api.eligibility import check_eligibility, check_eligibility_batch
from credcheck_client.models import (
    Accreditor,
    Applicant,
    BatchItem,
    BatchItemResult,
    BatchRequest,
    CredentialDetail,
    CredentialId,
    CredentialList,
    Detail,
    Discipline,
    EligibilityRequest,
    EligibilityResponse,
    HighSchool,
    HighSchoolCredential,
    InstitutionAccreditation,
    Problem,
    ProgramStatus,
    StateCode,
    Status,
    TrainingProgram,
    Verdict,
)

client = Client(base_url=os.environ.get("CREDCHECK_URL", "http://127.0.0.1:8000"), raise_on_unexpected_status=True)
# docs:end py-client

AS_OF = dt.date(2026, 11, 23)

print("--- check: POST /v1/eligibility")
# docs:start py-check
graduate = Applicant(
    birth_date=dt.date(2001, 4, 9),
    high_school=HighSchool(credential=HighSchoolCredential.DIPLOMA),
    programs=[
        TrainingProgram(
            discipline=Discipline.MEDICAL_ASSISTING,
            status=ProgramStatus.COMPLETED,
            completion_date=dt.date(2026, 6, 12),
            accreditor=Accreditor.CAAHEP,
            institution_accreditation=InstitutionAccreditation.USDE,
            clock_hours=900,
            clinical_hours=180,
        )
    ],
)
request = EligibilityRequest(
    as_of=dt.date(2026, 11, 23),  # pin the date to be able to reproduce the answer
    state=StateCode.WA,
    credentials=[CredentialId.AAMA_CMA, CredentialId.NHA_CCMA, CredentialId.AMT_CMAS],
    detail=Detail.STANDARD,  # every route and criterion (the default, summary, gives each credential in brief)
    applicant=graduate,
)
response = check_eligibility.sync_detailed(client=client, body=request)
result = response.parsed
assert isinstance(result, EligibilityResponse), result  # otherwise a Problem
print("rules", result.rules.id, "=", response.headers["X-Rules-Version"], "as of", result.as_of)
print("eligible for", result.eligible)
for credential in result.credentials:
    print(credential.id, credential.status.value, "inputs needed:", credential.inputs_needed)
    if credential.status is Verdict.UNDETERMINED:
        for route in credential.routes or []:
            for criterion in route.criteria:
                if criterion.status is Status.UNKNOWN:
                    print("  ", route.id, criterion.id, "missing:", criterion.missing_inputs)
# docs:end py-check

assert response.status_code == HTTPStatus.OK
assert response.headers["content-type"] == "application/json"
assert result.as_of == AS_OF and isinstance(result.as_of, dt.date)
assert response.headers["X-Rules-Version"] == result.rules.id
assert result.rules.id.startswith(result.rules.version + "+sha256.")
assert "aama.cma" in result.eligible, result.eligible
assert [c.id for c in result.credentials] == ["aama.cma", "nha.ccma", "amt.cmas"]  # catalogue order
statuses = {c.id: c.status for c in result.credentials}
assert statuses["aama.cma"] is Verdict.ELIGIBLE, statuses
assert statuses["nha.ccma"] is Verdict.ELIGIBLE, statuses
assert statuses["amt.cmas"] is Verdict.UNDETERMINED, statuses
cma_result = result.credentials[0]
assert cma_result.eligible_routes == ["aama.cma.category-1"] and cma_result.inputs_needed == []
assert cma_result.routes, "detail=standard lists every route"
assert cma_result.routes[0].status is Status.MET
assert all(isinstance(c.status, Status) for r in cma_result.routes for c in r.criteria)
cmas_result = result.credentials[2]
assert cmas_result.inputs_needed, "an undetermined credential says what could decide it"
unknown = [c for r in cmas_result.routes or [] for c in r.criteria if c.status is Status.UNKNOWN]
assert unknown and all(c.missing_inputs for c in unknown)
assert result.state is not None and result.state.code == "WA" and result.state.notes

print("--- catalogue: GET /v1/credentials, GET /v1/credentials/{credential_id}")
# docs:start py-catalogue
catalogue = list_credentials.sync(client=client)
assert isinstance(catalogue, CredentialList), catalogue
for summary in catalogue.credentials:
    print(summary.id, summary.designation, len(summary.routes), "routes")

cma = get_credential.sync("aama.cma", client=client)
assert isinstance(cma, CredentialDetail), cma
for route_def in cma.routes:
    print(route_def.id, route_def.verification.confidence.value, len(route_def.criteria), "criteria")

missing = get_credential.sync_detailed("no.such", client=client)
assert missing.status_code == HTTPStatus.NOT_FOUND and isinstance(missing.parsed, Problem)
# docs:end py-catalogue

ids = [c.id for c in catalogue.credentials]
assert "aama.cma" in ids and len(ids) == len(set(ids)) == len(CredentialId), ids
assert cma.id == "aama.cma" and cma.designation == "CMA (AAMA)" and cma.body.id == "aama"
assert cma.routes[0].id == "aama.cma.category-1" and cma.routes[0].criteria
assert cma.facts and cma.sources
assert missing.parsed.status == 404 and missing.parsed.type_.endswith("/not-found")

print("--- batch: POST /v1/eligibility/batch (JSON)")
# docs:start py-batch
items = [
    BatchItem(id="student-001", applicant=graduate),
    BatchItem(id="student-002", applicant=Applicant(programs=[], certifications=[])),
]
body = BatchRequest(as_of=dt.date(2026, 11, 23), credentials=[CredentialId.AAMA_CMA], items=items)
answer = check_eligibility_batch.sync(client=client, body=body)
assert answer is not None and not isinstance(answer, Problem), answer
print(answer.count, "items,", answer.failed, "failed, rules", answer.rules.id)
for item in answer.items:
    if item.ok and isinstance(item.credentials, list):
        for outcome in item.credentials:
            print(item.id, outcome.id, outcome.status.value, outcome.nearest_route, outcome.missing_criteria)
    elif item.problem:
        print(item.id, "invalid:", item.problem.detail)
# docs:end py-batch

assert answer.as_of == AS_OF and (answer.count, answer.succeeded, answer.failed) == (2, 2, 0)
first, second = answer.items
assert (first.id, first.ok, first.eligible) == ("student-001", True, ["aama.cma"])
assert isinstance(first.credentials, list) and first.credentials[0].status is Verdict.ELIGIBLE
assert (second.id, second.ok, second.eligible) == ("student-002", True, [])
assert isinstance(second.credentials, list) and second.credentials[0].status is Verdict.INELIGIBLE
assert second.credentials[0].nearest_route and second.credentials[0].missing_criteria

print("--- batch: POST /v1/eligibility/batch (NDJSON stream)")
# docs:start py-stream
# The generated function reads only the JSON answer. For NDJSON, stream with the client's own httpx
# client and decode each line into the SDK's BatchItemResult.
rows = [
    {"id": "row-1", "applicant": graduate.to_dict()},
    {"id": "row-2", "applicant": {"programs": [{"discipline": "medical-assisting", "clock_hours": "many"}]}},
]
payload = {"as_of": "2026-11-23", "credentials": ["aama.cma"], "items": rows}
results: list[BatchItemResult] = []
with client.get_httpx_client().stream(
    "POST", "/v1/eligibility/batch", json=payload, headers={"Accept": "application/x-ndjson"}
) as stream:
    stream.raise_for_status()
    print("as of", stream.headers["X-As-Of"], "rules", stream.headers["X-Rules-Version"])
    for line in stream.iter_lines():
        if line:
            results.append(BatchItemResult.from_dict(json.loads(line)))
for row in results:
    if row.ok:
        print(row.id, "eligible for", row.eligible)
    elif row.problem:  # an invalid item fails alone, with its own problem
        print(row.id, [(error.field, error.message) for error in row.problem.errors])
# docs:end py-stream

assert stream.headers["content-type"] == "application/x-ndjson"
assert stream.headers["X-As-Of"] == "2026-11-23"
assert [r.id for r in results] == ["row-1", "row-2"]
assert results[0].ok and results[0].eligible == ["aama.cma"]
assert not results[1].ok and results[1].problem, results[1]
assert results[1].problem.status == 422 and results[1].problem.type_.endswith("/invalid-applicant")
assert results[1].problem.errors[0].field == "applicant.programs[0].clock_hours"

print("--- problem: 422 application/problem+json")
# docs:start py-problem
# A request built from untrusted input: from_dict does not check types (clock_hours stays "many"); the service does.
bad = EligibilityRequest.from_dict(
    {"applicant": {"programs": [{"discipline": "medical-assisting", "clock_hours": "many"}]}}
)
failed = check_eligibility.sync_detailed(client=client, body=bad)
problem = failed.parsed
assert failed.status_code == HTTPStatus.UNPROCESSABLE_ENTITY and isinstance(problem, Problem), problem
print(problem.title, "-", problem.detail)
for error in problem.errors or []:
    print(error.field, error.type_, error.message)
# docs:end py-problem

assert failed.headers["content-type"] == "application/problem+json"
assert problem.status == 422 and problem.type_ == "https://credcheck.dev/problems/invalid-request"
assert problem.instance == "/v1/eligibility"
assert isinstance(problem.errors, list) and len(problem.errors) == 1, problem.errors
assert problem.errors[0].field == "applicant.programs[0].clock_hours"
assert "many" not in (problem.detail or "") + problem.errors[0].message  # values are never echoed

print("python client: all checks passed")
