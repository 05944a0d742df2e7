"""What was answered before never changes an answer.

Answers share memoized pieces between applicants: criterion outcomes (per rule book), explained criteria,
shortfalls and route definitions (per serializer), sentences, numbers and lists (per renderer and locale).
A piece shared under a key that misses something it depends on would leak one applicant's answer into
another's; so answers from a rule book warmed by other applicants must equal those of a fresh rule book.
"""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from api.schemas import Detail
from api.serialize import Serializer
from benchmarks.population import population
from engine import load_rulebook

AS_OF = dt.date(2026, 11, 23)


@pytest.mark.parametrize("language", ["en", "es"])
def test_answers_from_a_warm_rule_book_equal_those_of_a_fresh_one(language: str) -> None:
    warm = load_rulebook()
    warm_answers = Serializer(warm)
    for facts in population(150, seed=91):  # other applicants first: the memos fill up
        model = warm.parse_applicant(facts)
        warm_answers.eligibility(warm.evaluate(model, as_of=AS_OF, state="CA"), detail=Detail.FULL, language=language)
    for facts in population(15, seed=92):  # each against a freshly compiled rule book (half a second each)
        expected = []
        for book, answers in ((load_rulebook(), None), (warm, warm_answers)):
            answers = answers or Serializer(book)  # a fresh book and a fresh serializer: nothing shared yet
            evaluation = book.evaluate(book.parse_applicant(facts), as_of=AS_OF, state="CA")
            for detail in (Detail.SUMMARY, Detail.FULL):
                answer = answers.eligibility(evaluation, detail=detail, language=language)
                expected.append(orjson.dumps(answer))
        fresh, shared = expected[:2], expected[2:]
        assert fresh == shared
