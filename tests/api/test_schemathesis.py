"""Property-based tests of the app against the committed spec (every operation, all default checks).

Bounded and deterministic for CI (40 examples per operation). For a release check run a longer campaign:
``CREDCHECK_FUZZ_EXAMPLES=1000 python -m pytest tests/api/test_schemathesis.py`` (``make fuzz``).
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.spec import SPEC_PATH
from tests.conftest import bundled_rulebook

schema = schemathesis.openapi.from_path(str(SPEC_PATH))


def _app():  # built lazily so collection stays cheap
    from api.main import create_app

    return create_app(rulebook=bundled_rulebook())


schema.app = _app()


def _reversed(record: object, start: str, end: str) -> bool:
    if not isinstance(record, dict):
        return False
    a, b = record.get(start), record.get(end)
    return isinstance(a, str) and isinstance(b, str) and b < a


def breaks_date_order(body: object) -> bool:
    """The one rule JSON Schema cannot state: a record's end date must not precede its start date."""
    applicant = body.get("applicant") if isinstance(body, dict) else None
    if not isinstance(applicant, dict):
        return False
    pairs = (("work_experience", "start_date", "end_date"), ("programs", "start_date", "completion_date"))
    for key, start, end in pairs:
        records = applicant.get(key)
        if isinstance(records, list) and any(_reversed(r, start, end) for r in records):
            return True
    return False


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("CREDCHECK_FUZZ_EXAMPLES", "40")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms_to_its_spec(case: schemathesis.Case) -> None:
    if breaks_date_order(case.body):
        # Documented in the field descriptions; such a body must be refused with a problem, and every
        # other check still applies.
        response = case.call()
        assert response.status_code == 422, response.text
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        return
    case.call_and_validate()
