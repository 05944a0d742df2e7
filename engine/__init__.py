"""credcheck's engine: rule files → validated rule set → one durable-rules ruleset → evaluations.

The engine is a library with no web framework in it. Typical use::

    from engine import load_rulebook
    book = load_rulebook()                       # the bundled rules/ (or $CREDCHECK_RULES_DIR)
    result = book.evaluate({"programs": [...]}, as_of=date(2026, 11, 23))
    result.eligible                              # ['aama.cma', ...]
    result.as_dict()                             # JSON-ready explanation

The engine never reads the clock: the evaluation date is always an argument.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._batch import BatchRunner, available_cpus, evaluate_item
from ._catalogue import credential_detail, credential_summary, rules_report, state_detail
from ._errors import (
    CredcheckError,
    EngineError,
    RuleProblem,
    RuleSetError,
    UnknownCredentialError,
    UnknownStateError,
)
from ._evaluate import Evaluator
from ._loader import load_rule_set, rule_set_digest
from ._program import Program
from ._results import CredentialResult, CriterionResult, Evaluation, RouteResult
from ._ruleset import RuleSet
from .applicant import ApplicantModels

__all__ = [
    "BUNDLED_RULES_DIR",
    "BatchRunner",
    "available_cpus",
    "evaluate_item",
    "ApplicantModels",
    "CredcheckError",
    "CredentialResult",
    "CriterionResult",
    "EngineError",
    "Evaluation",
    "RouteResult",
    "RuleProblem",
    "RuleSet",
    "RuleSetError",
    "Rulebook",
    "UnknownCredentialError",
    "UnknownStateError",
    "default_rules_dir",
    "load_rule_set",
    "load_rulebook",
    "rule_set_digest",
    "rules_report",
]

BUNDLED_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def default_rules_dir() -> Path:
    """``$CREDCHECK_RULES_DIR`` if set, else the rule set bundled with the code."""
    env = os.environ.get("CREDCHECK_RULES_DIR")
    return Path(env) if env else BUNDLED_RULES_DIR


class Rulebook:
    """A loaded rule set with its compiled durable-rules program, ready to evaluate applicants."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.program = Program(rules)
        self._evaluator = Evaluator(rules, self.program)

    @property
    def models(self) -> ApplicantModels:
        return self.rules.models

    @property
    def version(self) -> str:
        return self.rules.version

    @property
    def version_id(self) -> str:
        return self.rules.version_id

    @property
    def digest(self) -> str:
        return self.rules.digest

    @property
    def credential_ids(self) -> list[str]:
        return list(self.rules.credentials)

    @property
    def state_codes(self) -> list[str]:
        """Every US state, district and territory code the API accepts (researched or not)."""
        return list(self.rules.vocabularies["us_state"].values)

    def parse_applicant(self, data: Mapping[str, Any] | BaseModel) -> BaseModel:
        """Validate applicant facts. Raises ``pydantic.ValidationError`` naming each bad field."""
        if isinstance(data, self.models.Applicant):
            return data
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_unset=True)
        return self.models.Applicant.model_validate(data)

    def evaluate(
        self,
        applicant: Mapping[str, Any] | BaseModel,
        *,
        as_of: dt.date,
        credentials: Iterable[str] | None = None,
        state: str | None = None,
    ) -> Evaluation:
        """Evaluate an applicant on ``as_of`` against every credential (or those listed).

        Raises:
            pydantic.ValidationError: the applicant's facts are invalid.
            UnknownCredentialError: a listed credential is not in the rule set.
            UnknownStateError: ``state`` is not a US state, district or territory code.
        """
        if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
            raise TypeError("as_of must be a datetime.date")
        if state is not None and state not in self.rules.vocabularies["us_state"].values:
            raise UnknownStateError(state)
        model = self.parse_applicant(applicant)
        return self._evaluator.evaluate(model, as_of=as_of, credentials=credentials, state=state)

    def state_notes(self, code: str, *, as_of: dt.date, credentials: Iterable[str] | None = None) -> dict[str, Any]:
        """A state's notes in effect on ``as_of`` that concern the families of these credentials (default: all)."""
        if code not in self.rules.vocabularies["us_state"].values:
            raise UnknownStateError(code)
        selected = [
            self.rules.credentials[c] for c in (credentials or self.rules.credentials) if c in self.rules.credentials
        ]
        return self._evaluator._state(code, selected, as_of).as_dict()

    # ------------------------------------------------------------------ catalogue

    def credential_summaries(self) -> list[dict[str, Any]]:
        return [credential_summary(c) for c in self.rules.credentials.values()]

    def credential_detail(self, credential_id: str) -> dict[str, Any]:
        cred = self.rules.credentials.get(credential_id)
        if cred is None:
            raise UnknownCredentialError(credential_id)
        return credential_detail(cred)

    def state_detail(self, code: str) -> dict[str, Any]:
        if code not in self.rules.vocabularies["us_state"].values:
            raise UnknownStateError(code)
        return state_detail(self.rules, code)


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load, validate and compile a rule set (default: :func:`default_rules_dir`).

    Raises:
        RuleSetError: the rule set is invalid; the message lists every file, key and line at fault.
    """
    return Rulebook(load_rule_set(path if path is not None else default_rules_dir()))
