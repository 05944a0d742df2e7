"""Problems are worded in the answer's language too (issue #12): a 422's field errors, its title and detail, a
batch item's problem, a malformed body. Their machine fields (``type``, ``status``, each error's ``field`` and
``type``) never change with the language; the words come from the `messages` catalogue, from the error's type
and its context (the limits, the applicant model's reason), never from pydantic's English text.

Invalid requests are made from the request model's own schema: every field it declares, set to values of
every wrong kind (the property covers the error types the models can produce, not a list of examples).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from api.i18n import catalogue
from api.main import create_app
from api.problems import field_message
from api.schemas import RequestModels
from api.settings import Settings
from engine import Rulebook
from engine.applicant import REASONS
from tests.api.test_problem_types import client_for

WRONG = [None, True, 1, -1, 1.5, 1e12, -1e12, "x", "", "5", [], {}, [1], {"a": 1}, "2026-13-01", "1800-01-01",
         "2026-02-30", "a" * 300, "2026-01-01T00:00", "01/02/2026", [{}], [{"a": 1}]]  # fmt: skip
SPANISH_FALLBACK = catalogue("es").gettext("invalid value")
HOLE = re.compile(r"[{}]|\bNone\b")  # a field left unfilled, or filled with nothing
NAMED = re.compile(r"[\d,]*\d|/[\w/.]+|`[^`]+`|'[^']*'")  # what a text names: numbers, paths, ids, values


def field_paths(rulebook: Rulebook) -> list[list[Any]]:
    """Every field of the single-applicant request, as a path (list positions as 0), from its JSON schema."""
    schema = RequestModels(rulebook).EligibilityRequest.model_json_schema()
    defs = schema.get("$defs", {})
    paths: list[list[Any]] = []

    def walk(node: dict[str, Any], path: list[Any], depth: int) -> None:
        if depth > 8:
            return
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for alternative in node.get("anyOf", []):
            walk(alternative, path, depth + 1)
        for key, sub in node.get("properties", {}).items():
            paths.append([*path, key])
            walk(sub, [*path, key], depth + 1)
        if node.get("type") == "array" and "items" in node:
            walk(node["items"], [*path, 0], depth + 1)

    walk(schema, [], 0)
    return [p for i, p in enumerate(paths) if p not in paths[:i]]


def with_value(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """``body`` with ``value`` at ``path`` (lists and objects made on the way; a list item gets its record's
    required fields from nowhere, so it may also miss them: more errors, as a client would meet them)."""
    body = copy.deepcopy(body)
    node: Any = body
    for part, following in zip(path, [*path[1:], None], strict=True):
        if following is None:
            break
        node = node[0] if isinstance(part, int) else node.setdefault(part, [{}] if isinstance(following, int) else {})
    if isinstance(path[-1], int):
        node[0] = value
    else:
        node[path[-1]] = value
    return body


def words(problem: dict[str, Any]) -> list[str]:
    return [problem["title"], problem["detail"], *(e["message"] for e in problem.get("errors") or ())]


def machine(problem: dict[str, Any]) -> dict[str, Any]:
    errors = [{k: v for k, v in e.items() if k != "message"} for e in problem.get("errors") or ()]
    return {**{k: v for k, v in problem.items() if k not in ("title", "detail", "errors")}, "errors": errors}


@pytest.fixture(scope="module")
def invalid_bodies(rulebook: Rulebook) -> list[dict[str, Any]]:
    return [with_value({"applicant": {}}, path, value) for path in field_paths(rulebook) for value in WRONG]


def test_the_schema_walk_reaches_the_nested_records(rulebook: Rulebook) -> None:
    paths = {".".join(map(str, p)) for p in field_paths(rulebook)}
    assert {"as_of", "credentials", "applicant.birth_date", "applicant.programs.0.clock_hours"} <= paths
    assert {"applicant.work_experience.0.end_date", "applicant.certifications.0.status"} <= paths


def test_a_422_in_spanish_has_the_english_machine_fields_and_every_error_in_spanish(
    client: Any, invalid_bodies: list[dict[str, Any]]
) -> None:
    seen: set[str] = set()
    for body in invalid_bodies:  # every field with every wrong kind of value: about 1,400 bodies, a few seconds
        english = client.post("/v1/eligibility", json=body, headers={"Accept-Language": "en"})
        spanish = client.post("/v1/eligibility", json=body, headers={"Accept-Language": "fr, es-MX;q=0.8"})
        if english.status_code == 200:  # a wrong kind this field happens to accept (a string where text goes)
            assert spanish.status_code == 200
            continue
        context = json.dumps(body)[:300]
        assert english.status_code == spanish.status_code == 422, context
        assert (english.headers["content-language"], spanish.headers["content-language"]) == ("en", "es")
        assert machine(spanish.json()) == machine(english.json()), context
        for said, en in zip(spanish.json()["errors"], english.json()["errors"], strict=True):
            # worded from its type: neither pydantic's English nor the catch-all, with no hole left
            assert said["message"] not in (en["message"], SPANISH_FALLBACK), (said, en, context)
            assert not HOLE.search(said["message"] + en["message"]), (said, en, context)
            assert sorted(NAMED.findall(said["message"])) == sorted(NAMED.findall(en["message"])), (said, en)
            seen.add(en["type"])
        assert spanish.json()["title"] == "Solicitud no válida"
        assert spanish.json()["detail"].split(":")[0].endswith(("campo no válido", "campos no válidos"))
    # the bodies meet the kinds of error the models have (a walk that stopped early would meet few)
    assert {"missing", "extra_forbidden", "enum", "value_error", "less_than_equal", "greater_than_equal"} <= seen
    assert {"model_attributes_type", "list_type", "too_short", "bool_type"} <= seen


def test_a_lang_in_the_invalid_body_chooses_the_language(client: Any) -> None:
    body = {"lang": "es", "applicant": {"programs": [{"discipline": "phlebotomy", "clock_hours": 200_000}]}}
    answer = client.post("/v1/eligibility", json=body, headers={"Accept-Language": "en"})
    assert answer.status_code == 422 and answer.headers["content-language"] == "es"
    [error] = answer.json()["errors"]
    # the limit is written as the language writes numbers
    assert (error["field"], error["type"]) == ("applicant.programs[0].clock_hours", "less_than_equal")
    assert error["message"] == "el valor debe ser menor o igual que 100,000"
    # an unsupported lang falls back to the header, then to English
    answer = client.post("/v1/eligibility", json={**body, "lang": "fr"}, headers={"Accept-Language": "es"})
    assert answer.headers["content-language"] == "es"


def test_the_applicant_models_reasons_are_worded_from_the_reason_not_the_english(client: Any) -> None:
    applicant = {
        "birth_date": "1899-12-31",
        "programs": [{"discipline": "phlebotomy", "venipunctures": 2.5}],
        "work_experience": [{"role": "phlebotomy-technician", "start_date": "2020-05-01", "end_date": "2020-04-30"}],
    }
    answers = {
        lang: client.post("/v1/eligibility", json={"applicant": applicant}, headers={"Accept-Language": lang}).json()
        for lang in ("en", "es")
    }
    said = {lang: {e["field"]: e["message"] for e in a["errors"]} for lang, a in answers.items()}
    assert said["en"] == {
        "applicant.birth_date": "date must be between 1900-01-01 and 2100-12-31",
        "applicant.programs[0].venipunctures": "expected a whole number",
        "applicant.work_experience[0]": "end_date is before start_date",
    }
    assert said["es"] == {
        "applicant.birth_date": "la fecha debe estar entre 1900-01-01 y 2100-12-31",
        "applicant.programs[0].venipunctures": "se esperaba un número entero",
        "applicant.work_experience[0]": "end_date es anterior a start_date",
    }


def test_a_malformed_body_is_said_in_the_language_asked(client: Any) -> None:
    headers = {"Accept-Language": "es", "Content-Type": "application/json"}
    answer = client.post("/v1/eligibility", content=b'{"applicant": ', headers=headers)
    assert answer.status_code == 400 and answer.headers["content-language"] == "es"
    assert answer.json()["type"].endswith("/malformed-request")
    assert (answer.json()["title"], answer.json()["detail"]) == (
        "Solicitud mal formada",
        "El cuerpo de la solicitud no es JSON válido.",
    )


def test_a_batch_items_problem_is_in_the_batchs_language(client: Any, invalid_bodies: list[dict[str, Any]]) -> None:
    applicants = [b["applicant"] for b in invalid_bodies if isinstance(b["applicant"], dict) and b["applicant"]]
    items = [{"id": str(i), "applicant": applicant} for i, applicant in enumerate(applicants[::5])]
    results = {
        lang: client.post("/v1/eligibility/batch", json={"lang": lang, "items": items}).json()["items"]
        for lang in ("en", "es")
    }
    failed = [(en, es) for en, es in zip(results["en"], results["es"], strict=True) if not en["ok"]]
    assert len(failed) > 50  # most of them are invalid
    seen = set()
    for en, es in failed:
        assert machine(es["problem"]) == machine(en["problem"])
        assert es["problem"]["title"] == "Datos del solicitante no válidos"
        assert es["problem"]["detail"].split(":")[0].endswith(("campo no válido", "campos no válidos"))
        for said, english in zip(es["problem"]["errors"], en["problem"]["errors"], strict=True):
            assert said["message"] not in (english["message"], SPANISH_FALLBACK), (said, english)
            seen.add(english["type"])
    assert {"model_type", "enum", "value_error", "missing"} <= seen  # the engine's own parsing of the facts


def test_an_error_without_words_of_ours_keeps_pydantics_english_and_is_a_plain_catch_all_in_spanish() -> None:
    error = {"type": "url_parsing", "ctx": {}, "message": "Input should be a valid URL"}
    assert field_message(error, catalogue("en")) == "Input should be a valid URL"
    assert field_message(error, catalogue("es")) == SPANISH_FALLBACK == "valor no válido"
    # a bound without its limit in the context is not worded with a hole in it
    assert field_message({"type": "less_than", "ctx": {}, "message": "m"}, catalogue("es")) == SPANISH_FALLBACK


def test_the_command_line_says_an_invalid_applicant_in_its_language(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"lang": "es", "applicant": {"birth_date": "1899-12-31"}}), encoding="utf-8")
    assert main(["check", str(facts)]) == 2  # the file's lang
    assert "applicant.birth_date: la fecha debe estar entre 1900-01-01 y 2100-12-31" in capsys.readouterr().err
    assert main(["check", str(facts), "--lang", "en"]) == 2  # the option wins
    assert "applicant.birth_date: date must be between 1900-01-01 and 2100-12-31" in capsys.readouterr().err


TWO_ITEMS = [{"id": "a", "applicant": {}}, {"id": "b", "applicant": {}}]

# Problems outside validation: each request (method, path, body, service settings) is sent in English and in
# Spanish; the two answers differ only in their words and their Content-Language.
OTHER_PROBLEMS: dict[str, tuple[dict[str, Any], str, str, Any]] = {
    "unauthorized": ({"api_keys": "right-key"}, "GET", "/v1/credentials", None),
    "not-found": ({}, "GET", "/nowhere", None),
    "not-found/credential": ({}, "GET", "/v1/credentials/nope.none", None),
    "not-found/state": ({}, "GET", "/v1/states/XX", None),
    "method-not-allowed": ({}, "DELETE", "/v1/eligibility", None),
    "payload-too-large/body": ({"body_limit": 1024}, "POST", "/v1/eligibility", {"applicant": {"x": "y" * 2000}}),
    "payload-too-large/items": ({"batch_limit": 1}, "POST", "/v1/eligibility/batch", {"items": TWO_ITEMS}),
    "payload-too-large/full": ({"full_detail_limit": 1}, "POST", "/v1/eligibility/batch",
                               {"detail": "full", "items": TWO_ITEMS}),
    "unsupported-media-type": ({}, "POST", "/v1/eligibility", b"{}"),
    "too-many-requests": ({"rate_limit": 1 / 86400, "rate_burst": 1}, "GET", "/v1/credentials", None),
}  # fmt: skip


def _send(rulebook: Rulebook, case: str, language: str) -> Any:
    settings, method, path, body = OTHER_PROBLEMS[case]
    headers = {"Accept-Language": f"fr, {language};q=0.9", "X-API-Key": "wrong-key"}
    with client_for(rulebook, **settings) as c:
        if case == "too-many-requests":
            c.get(path, headers=headers)
        if isinstance(body, bytes):
            return c.request(method, path, content=body, headers={**headers, "Content-Type": "text/plain"})
        return c.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("case", sorted(OTHER_PROBLEMS))
def test_every_other_problem_is_worded_in_the_requests_language(rulebook: Rulebook, case: str) -> None:
    english, spanish = (_send(rulebook, case, language) for language in ("en", "es"))
    assert english.status_code == spanish.status_code >= 400
    assert (english.headers["content-language"], spanish.headers["content-language"]) == ("en", "es")
    en, es = english.json(), spanish.json()
    assert {k: v for k, v in es.items() if k not in ("title", "detail")} == {
        k: v for k, v in en.items() if k not in ("title", "detail")
    }
    assert es["title"] != en["title"] and es["detail"] != en["detail"], (en, es)
    assert sorted(NAMED.findall(es["detail"])) == sorted(NAMED.findall(en["detail"]))  # the same values


def test_a_500_is_worded_in_the_requests_language_and_still_says_nothing_internal(rulebook: Rulebook) -> None:
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)

    @app.get("/_test/raise")
    async def boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/_test/raise", headers={"Accept-Language": "fr, es;q=0.5"})
    assert r.status_code == 500 and r.headers["content-language"] == "es"
    assert (r.json()["title"], r.json()["detail"]) == ("Error interno", "Se produjo un error inesperado.")
    assert "internal detail" not in r.text


def test_a_stopped_batch_says_so_in_the_batchs_language(rulebook: Rulebook) -> None:
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)
    items = [{"id": str(i), "applicant": {}} for i in range(3)]
    with TestClient(app) as c:
        app.state.service.stop.set()  # the shutdown deadline: nothing more is evaluated
        whole = c.post("/v1/eligibility/batch", json={"lang": "es", "items": items})
        streamed = c.post(
            "/v1/eligibility/batch", json={"lang": "es", "items": items}, headers={"Accept": "application/x-ndjson"}
        )
    assert whole.status_code == 503 and whole.headers["content-language"] == "es"
    assert whole.json()["title"] == "Servicio no disponible"
    assert whole.json()["detail"].startswith("No se evaluó: el servicio se está apagando.")
    lines = [json.loads(line) for line in streamed.content.splitlines()]
    assert [line["id"] for line in lines] == ["0", "1", "2"]
    for line in lines:
        assert line["problem"]["type"].endswith("/unavailable") and line["problem"]["title"] == "Servicio no disponible"
        assert line["problem"]["detail"] == whole.json()["detail"]


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_the_applicant_model_gives_has_words_in_every_language(reason: str) -> None:
    ctx = {"reason": reason, "low": "1900-01-01", "high": "2100-12-31", "field": "end_date", "start": "start_date"}
    error = {"type": "value_error", "ctx": ctx, "message": "English for tools"}
    english, spanish = field_message(error, catalogue("en")), field_message(error, catalogue("es"))
    assert "English for tools" not in (english, spanish) and SPANISH_FALLBACK != spanish != english


@pytest.mark.parametrize(
    ("error", "english", "spanish"),
    [
        ({"type": "enum", "ctx": {"expected": "'a', 'b' or 'c'"}},
         "Input should be 'a', 'b', or 'c'", "el valor debe ser 'a', 'b' o 'c'"),
        ({"type": "literal_error", "ctx": {"expected": "'en' or 'es'"}},
         "Input should be 'en' or 'es'", "el valor debe ser 'en' o 'es'"),
        ({"type": "too_long", "ctx": {"max_length": 20, "actual_length": 21}},
         "List should have at most 20 items", "la lista debe tener como máximo 20 elementos"),
        ({"type": "too_short", "ctx": {"min_length": 1, "actual_length": 0}},
         "List should have at least 1 item", "la lista debe tener al menos 1 elemento"),
        ({"type": "string_too_long", "ctx": {"max_length": 1280}},
         "String should have at most 1,280 characters", "el texto debe tener como máximo 1,280 caracteres"),
        ({"type": "string_too_short", "ctx": {"min_length": 1}},
         "String should have at least 1 character", "el texto debe tener al menos 1 carácter"),
        ({"type": "greater_than", "ctx": {"gt": 0.5}},
         "Input should be greater than 0.5", "el valor debe ser mayor que 0.5"),
        ({"type": "less_than", "ctx": {"lt": 2500}},
         "Input should be less than 2,500", "el valor debe ser menor que 2,500"),
        # a date_order naming a field the words do not know falls back rather than failing
        ({"type": "value_error", "ctx": {"reason": "date_order", "field": "other", "start": "start_date"},
          "message": "other is before start_date"}, "other is before start_date", "valor no válido"),
    ],
)  # fmt: skip
def test_a_field_error_is_worded_from_its_type_and_limits(error: dict[str, Any], english: str, spanish: str) -> None:
    assert (field_message(error, catalogue("en")), field_message(error, catalogue("es"))) == (english, spanish)
