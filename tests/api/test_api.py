"""HTTP behaviour of every endpoint and every error path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import schemas
from api.main import create_app
from api.settings import Settings
from engine import Rulebook, load_rulebook
from tests.helpers import DERIVATIONS, DERIVED_RULES, credential, make_rule_set

MA_GRADUATE = {
    "high_school": {"credential": "diploma"},
    "certifications": [],
    "programs": [
        {
            "discipline": "medical-assisting",
            "status": "completed",
            "completion_date": "2026-06-12",
            "accreditor": "CAAHEP",
            "clock_hours": 900,
            "clinical_hours": 180,
        }
    ],
}


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def test_eligibility_explains_every_credential(client: Any, rulebook: Rulebook) -> None:
    payload = {"as_of": "2026-11-23", "state": "WA", "detail": "standard", "applicant": MA_GRADUATE}
    r = client.post("/v1/eligibility", json=payload)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    schemas.EligibilityResponse.model_validate(body)
    assert body["as_of"] == "2026-11-23" and body["detail"] == "standard" and body["language"] == "en"
    assert {"aama.cma", "amt.rma"} <= set(body["eligible"])
    assert body["eligible"] == [c["id"] for c in body["credentials"] if c["status"] == "eligible"]
    assert [c["id"] for c in body["credentials"]] == rulebook.credential_ids
    cma = body["credentials"][0]
    category_1 = next(r for r in cma["routes"] if r["id"] == "aama.cma.category-1")
    assert category_1["status"] == "met"
    criterion = category_1["criteria"][1]
    assert criterion["id"] == "aama.cma.accredited-caahep-abhes" and criterion["record"] == "programs[0]"
    assert criterion["measured"] == {"value": "CAAHEP", "vocabulary": "accreditor"}
    assert criterion["message"] == "Met: The program is accredited by CAAHEP or ABHES (yours: CAAHEP)."
    # a time measured is ISO 8601: 2026-06-12 to 2026-11-23 is 5 months (to 12 November) and 11 days
    cmas = next(c for c in body["credentials"] if c["id"] == "amt.cmas")
    recent = next(k for r in cmas["routes"] for k in r["criteria"] if k["id"] == "amt.cmas.graduated-within-4-years")
    assert recent["measured"] == {"value": "P5M11D"} and recent["status"] == "met"
    # what it requires, its sources and its level are described once, by reference
    definition = body["definitions"]["criteria"][criterion["id"]]
    assert definition["required"] == {"op": "one_of", "values": ["CAAHEP", "ABHES"], "vocabulary": "accreditor"}
    assert body["sources"][definition["cite"][0]["source"]]["url"] == "https://www.aama-ntl.org/cma-aama-exam/eligibility"
    level = body["verifications"][definition["verification"]]
    assert level == {"source": "official", "confidence": "high", "provisional": False, "note": None}
    assert body["definitions"]["routes"]["aama.cma.category-1"]["label"].startswith("Category 1")
    notes = [n["id"] for n in body["state"]["notes"]]
    assert "state.wa.ma-certified" in notes
    # every key an answer references is listed in it
    cited = {ref["source"] for d in body["definitions"]["criteria"].values() for ref in d["cite"]}
    assert cited <= set(body["sources"])


def test_the_default_answer_is_the_summary(client: Any) -> None:
    body = client.post("/v1/eligibility", json={"as_of": "2026-11-23", "applicant": MA_GRADUATE}).json()
    schemas.EligibilityResponse.model_validate(body)
    assert body["detail"] == "summary"
    assert all(c["routes"] is None for c in body["credentials"])
    cma = next(c for c in body["credentials"] if c["id"] == "aama.cma")
    assert cma["status"] == "eligible" and cma["eligible_routes"] == ["aama.cma.category-1"]
    assert set(body["verifications"]) == {c["verification"] for c in body["credentials"]}


def test_state_notes_concern_only_the_credentials_evaluated(client: Any) -> None:
    payload = {"as_of": "2026-11-23", "state": "WA", "credentials": ["aama.cma"], "applicant": MA_GRADUATE}
    notes = [n["id"] for n in client.post("/v1/eligibility", json=payload).json()["state"]["notes"]]
    assert "state.wa.ma-certified" in notes  # medical assistant family
    assert "state.wa.ma-phlebotomist" not in notes  # phlebotomy family: not evaluated here


def test_rules_version_is_in_body_and_header(client: Any, rulebook: Rulebook) -> None:
    r = client.post("/v1/eligibility", json={"as_of": "2026-11-23", "applicant": {}})
    assert r.headers["x-rules-version"] == rulebook.version_id == r.json()["rules"]["id"]
    assert r.json()["rules"]["digest"] == f"sha256:{rulebook.digest}"
    # every response carries it, errors included
    assert client.get("/v1/credentials/nope").headers["x-rules-version"] == rulebook.version_id


def test_as_of_defaults_to_today_in_utc(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.clock

    monkeypatch.setattr(api.clock, "utc_today", lambda: dt.date(2031, 1, 2))
    assert client.post("/v1/eligibility", json={"applicant": {}}).json()["as_of"] == "2031-01-02"
    batch = client.post("/v1/eligibility/batch", json={"items": [{"id": "a", "applicant": {}}]})
    assert batch.json()["as_of"] == "2031-01-02"


def test_same_request_same_answer(client: Any) -> None:
    payload = {"as_of": "2026-11-23", "state": "CA", "applicant": MA_GRADUATE}
    first = client.post("/v1/eligibility", json=payload).json()
    assert all(client.post("/v1/eligibility", json=payload).json() == first for _ in range(3))


def test_credentials_filter_and_undetermined_inputs(client: Any) -> None:
    r = client.post(
        "/v1/eligibility",
        json={
            "as_of": "2026-11-23",
            "credentials": ["nha.ccma"],
            "detail": "standard",
            "applicant": {"high_school": {"credential": "ged"}},
        },
    )
    body = r.json()
    assert [c["id"] for c in body["credentials"]] == ["nha.ccma"]
    ccma = body["credentials"][0]
    assert ccma["status"] == "undetermined"
    assert {"programs", "work_experience"} <= set(ccma["inputs_needed"])
    # the age is a caution (only secondary sources state it): never asked for as an input that decides
    assert "birth_date" not in ccma["inputs_needed"]
    assert all(c["id"] == "nha.ccma.age-18" for r in ccma["routes"] for c in r["cautions"])


def test_state_without_a_file_says_it_is_not_researched(client: Any) -> None:
    # Territories other than Puerto Rico have no state file yet.
    body = client.post("/v1/eligibility", json={"as_of": "2026-11-23", "state": "GU", "applicant": {}}).json()
    assert body["state"] == {
        "code": "GU",
        "name": "Guam",
        "researched": False,
        "summary": None,
        "notes": [],
    }


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"applicant": {}, "bogus": 1}, ["bogus"]),
        ({}, ["applicant"]),
        ({"as_of": "2026-02-30", "applicant": {}}, ["as_of"]),
        ({"as_of": "2026-2-3", "applicant": {}}, ["as_of"]),
        ({"as_of": 20261123, "applicant": {}}, ["as_of"]),
        ({"as_of": "2026-11-23T10:00:00", "applicant": {}}, ["as_of"]),
        ({"state": "Washington", "applicant": {}}, ["state"]),
        ({"credentials": [], "applicant": {}}, ["credentials"]),
        ({"credentials": ["aama.cmaa"], "applicant": {}}, ["credentials[0]"]),
        ({"applicant": {"birth_date": "1850-01-01"}}, ["applicant.birth_date"]),
        ({"applicant": {"high_school": {"credential": "yes"}}}, ["applicant.high_school.credential"]),
        (
            {"applicant": {"programs": [{"discipline": "ekg", "clock_hours": "720"}]}},
            ["applicant.programs[0].clock_hours"],
        ),
        (
            {"applicant": {"programs": [{"discipline": "ekg", "clock_hours": -1}]}},
            ["applicant.programs[0].clock_hours"],
        ),
        ({"applicant": {"programs": [{"discipline": "ekg", "ekgs": 10.5}]}}, ["applicant.programs[0].ekgs"]),
        ({"applicant": {"programs": [{"discipline": "ekg", "ekgs": True}]}}, ["applicant.programs[0].ekgs"]),
        (
            {"applicant": {"programs": [{"discipline": "ekg", "military": 1}]}},
            ["applicant.programs[0].military"],
        ),
        ({"applicant": {"programs": [{"discipline": "ekg", "extra": 1}]}}, ["applicant.programs[0].extra"]),
        ({"applicant": {"programs": [{}]}}, ["applicant.programs[0].discipline"]),
        (
            {
                "applicant": {
                    "programs": [{"discipline": "ekg", "start_date": "2026-01-02", "completion_date": "2026-01-01"}]
                }
            },
            ["applicant.programs[0]"],
        ),
        (
            {
                "applicant": {
                    "work_experience": [{"role": "other", "start_date": "2026-01-02", "end_date": "2026-01-01"}]
                }
            },
            ["applicant.work_experience[0]"],
        ),
        (
            {"applicant": {"work_experience": [{"role": "other", "start_date": "2026-01-02", "hours_per_week": 169}]}},
            ["applicant.work_experience[0].hours_per_week"],
        ),
        (
            {"applicant": {"certifications": [{"credential": "nope.cert"}]}},
            ["applicant.certifications[0].credential"],
        ),
        ({"applicant": {"programs": [{"discipline": "ekg"}] * 21}}, ["applicant.programs"]),
    ],
)
def test_invalid_requests_name_the_field(client: Any, payload: dict[str, Any], fields: list[str]) -> None:
    r = client.post("/v1/eligibility", json=payload)
    assert r.status_code == 422, r.text
    assert problem_fields(r) == fields
    problem = r.json()
    assert problem["type"].endswith("/invalid-request") and problem["status"] == 422
    schemas_problem = __import__("api.problems", fromlist=["Problem"]).Problem
    schemas_problem.model_validate(problem)


@pytest.mark.parametrize(
    ("applicant", "secret"),
    [
        ({"programs": [{"discipline": "Jane-Doe-1984"}]}, "Jane-Doe-1984"),
        ({"birth_date": "1984-02-30"}, "1984-02-30"),
        ({"birth_date": "1984/02/03"}, "1984/02/03"),
        ({"programs": [{"discipline": "ekg", "clock_hours": "123456789"}]}, "123456789"),
        ({"Jane Doe 123-45-6789": 1}, "123-45-6789"),  # a key that is no field name is not quoted back
    ],
)
def test_problem_details_never_echo_applicant_values(client: Any, applicant: dict[str, Any], secret: str) -> None:
    r = client.post("/v1/eligibility", json={"applicant": applicant})
    assert r.status_code == 422 and secret not in r.text


def test_a_misspelt_field_name_is_quoted_back(client: Any) -> None:
    r = client.post("/v1/eligibility", json={"applicant": {"programs": [{"discpline": "ekg"}]}})
    assert "applicant.programs[0].discpline" in problem_fields(r)
    r = client.post("/v1/eligibility", json={"applicant": {"Jane Doe": 1}})
    assert problem_fields(r) == ["applicant.<unknown key>"]


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 400),
        (b'{"applicant": {"x": "\xff"}}', {"content-type": "application/json"}, 400),
        (b'{"applicant": {}}', {"content-type": "text/plain"}, 415),
        (b'{"applicant": {}}', {}, 415),
        (b"[]", {"content-type": "application/json"}, 422),
        (b"null", {"content-type": "application/json"}, 422),
    ],
)
def test_malformed_bodies(client: Any, content: bytes, headers: dict[str, str], status: int) -> None:
    r = client.post("/v1/eligibility", content=content, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status


def test_catalogue(client: Any, rulebook: Rulebook) -> None:
    body = client.get("/v1/credentials").json()
    schemas.CredentialList.model_validate(body)
    assert [c["id"] for c in body["credentials"]] == rulebook.credential_ids
    detail = client.get("/v1/credentials/amt.rma").json()
    schemas.CredentialDetail.model_validate(detail)
    assert [r["id"] for r in detail["routes"] if r["coverage"] == "full"] == [
        "amt.rma.education",
        "amt.rma.military",
        "amt.rma.work-experience",
    ]
    assert detail["verification"]["confidence"] == "medium"
    work = detail["routes"][2]
    assert work["verification"]["confidence"] == "low"
    experience = next(c for c in work["criteria"] if c["id"] == "amt.rma.ma-work-5-of-7-years")
    assert experience["verification"]["source"] == "secondary" and "conflict" in experience["verification"]["note"]
    instructor = next(r for r in detail["routes"] if r["id"] == "amt.rma.instructor")
    assert instructor["coverage"] in ("gate", "none") and instructor["reason"] and instructor["citations"]
    assert any(f["topic"] == "fee" for f in detail["facts"])


def test_catalogue_shows_dated_fact_values(client: Any) -> None:
    facts = client.get("/v1/credentials/aama.cma").json()["facts"]
    reactivation = next(f for f in facts if f["label"].startswith("Reactivation fee"))
    assert reactivation["value"] == [{"value": 50, "from": "2020-01-01", "to": None}]


def test_states(client: Any) -> None:
    body = client.get("/v1/states/WA").json()
    schemas.StateDetail.model_validate(body)
    assert body["researched"] is True
    assert {n["id"] for n in body["notes"]} >= {"state.wa.ma-certified", "state.wa.ma-phlebotomist"}
    assert client.get("/v1/states/GU").json()["researched"] is False
    assert client.get("/v1/states/wa").json() == body  # the code in any case


@pytest.mark.parametrize("path", ["/v1/credentials/nope", "/v1/states/XX", "/v1/states/w", "/nowhere"])
def test_not_found_is_a_problem(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_method_not_allowed_lists_allowed_methods(client: Any) -> None:
    r = client.delete("/v1/eligibility")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert client.put("/v1/credentials").headers["allow"] == "GET"
    # the page's routes too (its router is included, behind FastAPI's wrapper route): it was an empty Allow
    page = client.delete("/en/")
    assert page.status_code == 405 and "GET" in page.headers["allow"].split(", ")


def test_health(client: Any, rulebook: Rulebook) -> None:
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "rules": client.get("/v1/credentials").json()["rules"]}
    assert body["rules"]["version"] == rulebook.version


ONE_ROUTE = """\
criteria:
  approved:
    label: Approved by AMT
    measure: program.approvals
    test: {includes_any: [amt-board-approved]}
    cite: {source: doc}
routes:
  - {id: only, label: Only route, criteria: [approved]}
"""


def test_apps_side_by_side_answer_each_from_their_own_rule_set(client: Any, rulebook: Rulebook, tmp_path: Any) -> None:
    """Routes reach the rule set and its request models through the app that received the request, never a
    module global: a second app in the same process, on another rule set, changes nothing the first answers."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from engine import load_rulebook
    from tests.helpers import credential, make_rule_set

    other = load_rulebook(make_rule_set(tmp_path, credential(ONE_ROUTE)))
    assert other.version_id != rulebook.version_id
    approved = {"programs": [{"discipline": "other", "approvals": ["amt-board-approved"]}]}
    one = {"credentials": ["test.cred"], "applicant": approved}
    with TestClient(create_app(rulebook=other)) as second:
        for c, book in ((client, rulebook), (second, other), (client, rulebook)):
            assert c.get("/healthz").json()["rules"]["id"] == book.version_id
            listed = c.get("/v1/credentials")
            assert [x["id"] for x in listed.json()["credentials"]] == book.credential_ids
            answer = c.post("/v1/eligibility", json={"applicant": {}})
            assert answer.headers["x-rules-version"] == book.version_id
            assert [x["id"] for x in answer.json()["credentials"]] == book.credential_ids
        assert second.post("/v1/eligibility", json=one).json()["eligible"] == ["test.cred"]
        assert problem_fields(client.post("/v1/eligibility", json=one)) == ["credentials[0]"]


def test_unexpected_errors_are_a_generic_500_without_details(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    book = app.state.service.book

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(book, "evaluate", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/eligibility", json={"applicant": {}})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text


def test_invalid_rule_set_stops_startup_naming_file_and_key(tmp_path: Any) -> None:
    import subprocess
    import sys

    from tests.helpers import credential, make_rule_set

    bad = credential(
        "criteria:\n  x:\n    label: X\n    measure: program.nope\n    test: {at_least: 1}\n"
        "    cite: {source: doc}\nroutes:\n  - {id: r, label: R, criteria: [x]}\n"
    )
    root = make_rule_set(tmp_path, bad)

    def run(code: str) -> subprocess.CompletedProcess[str]:
        env = {"CREDCHECK_RULES_DIR": str(root), "PATH": "/usr/bin:/bin"}
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)

    # Importing builds nothing (no app at import); the app uvicorn serves (`api.main:app`) is built on use.
    imported = run("import api.main; print('app' in vars(api.main))")
    assert (imported.returncode, imported.stdout.strip()) == (0, "False"), imported.stderr
    proc = run("from api.main import app")
    assert proc.returncode == 1
    assert "refusing to start" in proc.stderr
    assert "credentials/test/cred.yaml:" in proc.stderr and "`criteria.x.measure`" in proc.stderr


def _client_with_derivations(tmp_path: Path, rules: str) -> TestClient:
    """A client of the app serving one test credential (``rules``) and the test derivations."""
    (path, text), = credential(rules).items()
    book = load_rulebook(make_rule_set(tmp_path, {path: text, "derivations.yaml": DERIVATIONS}))
    return TestClient(create_app(Settings(batch_workers=1), rulebook=book))


def test_a_criterion_decided_by_a_derived_fact_cites_the_derivation_in_the_answer(tmp_path: Path) -> None:
    """`measured.derived_by` resolves in the answer itself: the derivation's label, sources and level."""
    body = {
        "as_of": "2026-12-01",
        "detail": "standard",
        "applicant": {"programs": [{"discipline": "phlebotomy", "accreditor": "CAAHEP"}]},
    }
    with _client_with_derivations(tmp_path, DERIVED_RULES) as client:
        answer = client.post("/v1/eligibility", json=body).json()
        [criterion] = answer["credentials"][0]["routes"][0]["criteria"]
        derived_by = criterion["measured"]["derived_by"]
        assert (criterion["status"], derived_by) == ("met", "programmatic-implies-institutional")
        derivation = answer["definitions"]["derivations"]["programmatic-implies-institutional"]
        assert derivation["label"] == "A CAAHEP-accredited program's sponsor is institutionally accredited"
        [cite] = derivation["cite"]
        # keyed as every source is, `<file's prefix>/<source id>`: here derivations.yaml's `standards`
        assert cite["source"] == "derivations/standards"
        assert answer["sources"][cite["source"]]["url"] == "https://example.org/standards"
        assert answer["verifications"][derivation["verification"]]["source"] == "official"
        # no derived fact decided anything: none is listed
        body["applicant"]["programs"][0]["institution_accreditation"] = "usde"
        assert client.post("/v1/eligibility", json=body).json()["definitions"]["derivations"] == {}


def test_a_derived_fact_is_listed_when_a_later_route_reads_its_criterion_on_another_record(tmp_path: Path) -> None:
    """The first route reads the criterion on a record that states it; the second on one where it is derived."""
    rules = DERIVED_RULES.replace(
        """routes:
  - id: school""",
        """  hours:
    label: At least 100 clock hours
    measure: program.clock_hours
    test: {at_least: 100}
    cite: {source: doc}
routes:
  - id: long-program
    label: Long program
    criteria: [school-accredited, hours]
  - id: school""",
    )
    programs = [
        {"discipline": "phlebotomy", "accreditor": "CAAHEP", "clock_hours": 0},  # accredited: derived
        {"discipline": "phlebotomy", "institution_accreditation": "usde", "clock_hours": 200},  # stated
    ]
    body = {"as_of": "2026-12-01", "detail": "standard", "applicant": {"programs": programs}}
    with _client_with_derivations(tmp_path, rules) as client:
        answer = client.post("/v1/eligibility", json=body).json()
    long_program, school = answer["credentials"][0]["routes"]
    assert long_program["criteria"][0]["record"] == "programs[1]" and "measured" in long_program["criteria"][0]
    assert "derived_by" not in long_program["criteria"][0]["measured"]
    assert school["criteria"][0]["record"] == "programs[0]"
    assert school["criteria"][0]["measured"]["derived_by"] == "programmatic-implies-institutional"
    assert set(answer["definitions"]["derivations"]) == {"programmatic-implies-institutional"}
