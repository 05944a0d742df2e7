"""English and Spanish answers differ in their words only (issue #12).

For applicants drawn by the oracle's strategy, the answer in each detail level is serialized in English and
in Spanish; with the text fields taken out, the two must be equal (ids, statuses, enums, typed values,
dates, guidance). The text fields must really be Spanish in the Spanish answer.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings

from api.schemas import Detail
from api.serialize import serializer
from engine import Rulebook
from tests.engine.test_oracle import cases

# Keys whose values are words in the answer's language (everything else is a machine field).
TEXT_KEYS = frozenset(
    {"label", "message", "required_text", "measured_text", "text", "reason", "summary", "title", "note", "name"}
)


def machine(value: Any) -> Any:
    """The answer without its words: text fields removed at every depth (and the language tag)."""
    if isinstance(value, dict):
        return {k: machine(v) for k, v in value.items() if k not in TEXT_KEYS and k != "language"}
    if isinstance(value, list):
        return [machine(v) for v in value]
    return value


def words(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in ([v] if k in TEXT_KEYS and isinstance(v, str) else words(v))]
    if isinstance(value, list):
        return [w for v in value for w in words(v)]
    return []


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(cases())
def test_english_and_spanish_answers_have_identical_machine_fields(rulebook: Rulebook, case: Any) -> None:
    applicant, as_of = case
    note(f"as_of={as_of} applicant={applicant}")
    evaluation = rulebook.evaluate(applicant, as_of=as_of, state="CA")
    answers = serializer(rulebook)
    for detail in (Detail.SUMMARY, Detail.FULL):
        english = answers.eligibility(evaluation, detail=detail, language="en")
        spanish = answers.eligibility(evaluation, detail=detail, language="es")
        assert (english["language"], spanish["language"]) == ("en", "es")
        assert machine(spanish) == machine(english)
        en_words, es_words = words(english), words(spanish)
        assert len(en_words) == len(es_words)
        differing = sum(a != b for a, b in zip(en_words, es_words, strict=True))
        assert differing > len(en_words) // 2, "most of the Spanish answer's words should be Spanish"


def test_the_language_comes_from_lang_or_accept_language_and_is_said_in_content_language(client: Any) -> None:
    body = {
        "applicant": {"programs": [{"discipline": "phlebotomy"}]},
        "credentials": ["nha.cpt"],
        "as_of": "2026-11-23",
    }
    by_header = client.post("/v1/eligibility", json=body, headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    assert by_header.headers["content-language"] == "es" and by_header.json()["language"] == "es"
    assert "accept-language" in by_header.headers["vary"].lower()
    # an explicit `lang` wins over the header; a language not offered falls back to English, said in the header
    explicit = client.post("/v1/eligibility", json={**body, "lang": "en"}, headers={"Accept-Language": "es"})
    assert explicit.headers["content-language"] == "en"
    french = client.post("/v1/eligibility", json=body, headers={"Accept-Language": "fr-FR"})
    assert french.headers["content-language"] == "en" and french.json()["language"] == "en"
    assert machine(by_header.json()) == machine(explicit.json()) == machine(french.json())
    assert (
        by_header.json()["credentials"][0]["next_steps"][0]["text"]
        != explicit.json()["credentials"][0]["next_steps"][0]["text"]
    )


def test_a_route_the_body_decides_that_opens_ahead_is_a_dated_check_step_in_each_language(client: Any) -> None:
    # AMT's RPT program route is not encoded (its text is cut off): a phlebotomy student finishing tomorrow
    # meets what is known of it from then, so the step is to ask AMT from that day, never "you will meet it".
    program = {"discipline": "phlebotomy", "status": "in-progress", "completion_date": "2026-11-24",
               "venipunctures": 55, "capillary_punctures": 15}  # fmt: skip
    body = {"applicant": {"programs": [program], "work_experience": []}, "credentials": ["amt.rpt"],
            "as_of": "2026-11-23"}  # fmt: skip
    texts = {}
    for lang in ("en", "es"):
        answer = client.post("/v1/eligibility", json={**body, "lang": lang}).json()
        (credential,) = answer["credentials"]
        assert credential["status"] == "ineligible" and credential["eligible_from"] is None
        (step,) = credential["next_steps"]
        assert {k: step[k] for k in ("action", "route", "on", "assumptions")} == {
            "action": "check", "route": "amt.rpt.education", "on": "2026-11-24", "assumptions": ["program-completes"],
        }  # fmt: skip
        texts[lang] = step["text"]
    assert texts["en"].startswith("From November 24, 2026, ask American Medical Technologists about")
    assert "if your program ends on its expected date" in texts["en"]
    assert texts["es"].startswith("A partir del 24 de noviembre de 2026, consulte con American Medical Technologists")
    assert "no comprueba esa vía" in texts["es"]


def test_trace_shows_per_criterion_the_facts_read_the_dated_test_and_the_rule_that_fired(client: Any) -> None:
    applicant = {
        "programs": [
            {"discipline": "phlebotomy", "venipunctures": 40, "status": "completed", "completion_date": "2026-06-01"}
        ]
    }
    body = {"applicant": applicant, "credentials": ["nha.cpt"], "as_of": "2026-11-23", "detail": "trace"}
    answer = client.post("/v1/eligibility", json=body)
    assert answer.status_code == 200
    criteria = [c for route in answer.json()["credentials"][0]["routes"] for c in route["criteria"]]
    venipunctures = next(c for c in criteria if c["id"] == "nha.cpt.training-venipunctures-30")
    trace = venipunctures["trace"]
    assert {"field": "programs[0].venipunctures", "value": 40} in trace["inputs"]
    assert trace["engine_rule"] and trace["fired"]  # the durable-rules rule of its test, and what fired
    assert set(trace["version"]) == {"from", "to"}
    undecided = [c for c in criteria if c["status"] == "unknown"]
    assert undecided and all("trace" in c for c in undecided)
    # `standard` has no trace
    standard = client.post("/v1/eligibility", json={**body, "detail": "standard"}).json()
    assert all("trace" not in c for r in standard["credentials"][0]["routes"] for c in r["criteria"])


def test_every_state_and_territory_is_named_in_the_answers_language(client: Any, rulebook: Rulebook) -> None:
    """Territories have no state file (their names came from the vocabulary, untranslated: a Spanish answer
    said "US Virgin Islands"); every code of `us_state` must be named in Spanish by the answer and the page."""
    from api.web.view import vocab_label

    spanish = {
        "VI": "Islas Vírgenes de EE. UU.",
        "AS": "Samoa Americana",
        "MP": "Islas Marianas del Norte",
        "NY": "Nueva York",
    }
    for code, name in spanish.items():
        body = {"as_of": "2026-11-23", "state": code, "applicant": {}, "lang": "es"}
        assert client.post("/v1/eligibility", json=body).json()["state"]["name"] == name
        assert vocab_label(rulebook, "us_state", code, "es") == {"text": name, "lang": "es"}
    english = client.post("/v1/eligibility", json={"state": "VI", "applicant": {}, "lang": "en"}).json()
    assert english["state"]["name"] == "US Virgin Islands"
