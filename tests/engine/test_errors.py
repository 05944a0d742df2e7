"""What the engine's errors say: `credcheck rules validate`, the service's start-up log and API problems show
these messages to people, so their wording and counts are part of the contract."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from pydantic import ValidationError

from engine import (
    BatchStopped,
    CredcheckError,
    Rulebook,
    RuleProblem,
    RuleSetError,
    UnknownCredentialError,
    UnknownStateError,
    available_cpus,
    load_rulebook,
)
from tests.helpers import REPO


def test_a_rule_problem_names_its_file_line_and_key_when_known() -> None:
    assert str(RuleProblem("credentials/aama/cma.yaml", "routes.0", "unknown criterion", 12)) == (
        "credentials/aama/cma.yaml:12: `routes.0` unknown criterion"
    )
    assert str(RuleProblem("index.yaml", "", "missing")) == "index.yaml: missing"


def test_a_rule_set_error_counts_and_lists_every_problem() -> None:
    one = RuleSetError([RuleProblem("a.yaml", "", "first")])
    assert str(one) == "rule set is invalid (1 problem):\n  - a.yaml: first"
    two = RuleSetError([RuleProblem("a.yaml", "", "first"), RuleProblem("b.yaml", "k", "second", 3)])
    assert str(two) == "rule set is invalid (2 problems):\n  - a.yaml: first\n  - b.yaml:3: `k` second"
    assert [p.message for p in two.problems] == ["first", "second"] and isinstance(two, CredcheckError)


def test_unknown_ids_say_which_without_the_quotes_of_a_key_error() -> None:
    credential = UnknownCredentialError("aama.xyz")
    assert str(credential) == "unknown credential `aama.xyz`" and credential.credential_id == "aama.xyz"
    state = UnknownStateError("ZZ")
    assert str(state) == "`ZZ` is not the USPS code of a US state, the District of Columbia or a territory"
    assert state.code == "ZZ"
    assert isinstance(credential, KeyError) and isinstance(state, KeyError)


def test_a_stopped_batch_says_how_many_results_were_given() -> None:
    stopped = BatchStopped(42)
    assert stopped.done == 42 and str(stopped) == "stopped after 42 items"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this platform")
def test_the_cpus_available_are_those_the_process_may_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert available_cpus() == 1


def test_without_cpu_affinity_the_cpus_are_those_the_machine_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert available_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # the platform cannot tell
    assert available_cpus() == 1


@pytest.mark.parametrize(
    ("value", "reason", "message"),
    [
        (dt.datetime(2000, 1, 2, 10, 30), "date_time", "expected a date (YYYY-MM-DD), not a date-time"),  # YAML
        (20000102, "date_format", "expected a date as a YYYY-MM-DD string"),
        ("2000-1-2", "date_format", "expected a date as a YYYY-MM-DD string"),
        ("2000-02-30", "calendar_date", "not a calendar date (month or day out of range)"),
        ("1899-12-31", "date_range", "date must be between 1900-01-01 and 2100-12-31"),
    ],
)
def test_a_bad_date_is_refused_saying_what_a_date_must_be(
    rulebook: Rulebook, value: object, reason: str, message: str
) -> None:
    # the reason is data (the API words it per language); the English message is for tools
    with pytest.raises(ValidationError) as caught:
        rulebook.parse_applicant({"birth_date": value})
    [error] = caught.value.errors()
    assert (error["loc"], error["type"], error["msg"]) == (("birth_date",), "value_error", message)
    assert error["ctx"]["reason"] == reason


@pytest.mark.parametrize(
    ("program", "loc", "reason", "message"),
    [
        ({"clock_hours": "600"}, "clock_hours", "json_number", "expected a JSON number"),
        ({"clock_hours": True}, "clock_hours", "json_number", "expected a JSON number"),
        ({"venipunctures": 12.5}, "venipunctures", "whole_number", "expected a whole number"),
        (
            {"start_date": "2025-06-01", "completion_date": "2025-01-01"},
            "completion_date",
            "date_order",
            "completion_date is before start_date",
        ),
    ],
)
def test_a_bad_number_or_date_order_is_refused_saying_why(
    rulebook: Rulebook, program: dict[str, object], loc: str, reason: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        rulebook.parse_applicant({"programs": [{"discipline": "phlebotomy", **program}]})
    [error] = caught.value.errors()
    assert (error["type"], error["msg"], error["ctx"]["reason"]) == ("value_error", message, reason)
    # the field: where the error is, or (an order between two fields, found on the record) named in ctx
    assert loc in (error["loc"][-1], error["ctx"].get("field"))


def test_field_errors_name_each_field_as_the_api_does_with_pydantics_message_and_no_input(rulebook: Rulebook) -> None:
    from engine import field_errors

    secret = "2000-13-45"
    with pytest.raises(ValidationError) as caught:
        rulebook.parse_applicant({"birth_date": secret, "programs": [{"discipline": "phlebotomy", "clock_hours": -1}]})
    errors = field_errors(caught.value, "applicant")
    by_field = {e["field"]: e for e in errors}
    assert set(by_field) == {"applicant.birth_date", "applicant.programs[0].clock_hours"}
    assert by_field["applicant.birth_date"]["message"] == "not a calendar date (month or day out of range)"
    hours = by_field["applicant.programs[0].clock_hours"]
    assert (hours["type"], hours["message"], hours["ctx"]) == (
        "greater_than_equal", "Input should be greater than or equal to 0", {"ge": 0}
    )
    assert secret not in repr(errors) and "url" not in repr(errors)  # no input, no documentation links


def test_facts_parsed_by_another_rule_book_keep_what_was_not_given(rulebook: Rulebook) -> None:
    # a model from another load of the rules (a reload between parsing and evaluating) is read again as data:
    # a field it was not given stays not given, rather than becoming an explicit null
    other = load_rulebook(REPO / "rules")
    parsed = other.parse_applicant({"birth_date": "2000-01-02", "programs": [{"discipline": "phlebotomy"}]})
    again = rulebook.parse_applicant(parsed)
    assert type(again) is rulebook.models.Applicant and type(parsed) is not type(again)
    assert again.model_dump(exclude_unset=True) == parsed.model_dump(exclude_unset=True)
    assert again.model_fields_set == {"birth_date", "programs"}
