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
