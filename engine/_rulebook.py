"""The rule book: a loaded rule set with its compiled durable-rules program, ready to evaluate applicants."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._errors import UnknownCredentialError, UnknownStateError
from ._evaluate import Evaluator
from ._loader import load_rule_set
from ._program import Program
from ._ruleset import CredentialDef, RuleSet, StateDef
from .applicant import ApplicantModels
from .outcome import Evaluation, RulesIdentity, StateOutcome

__all__ = ["BUNDLED_RULES_DIR", "Rulebook", "default_rules_dir", "load_rulebook"]

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
    def identity(self) -> RulesIdentity:
        rules = self.rules
        return RulesIdentity(rules.name, rules.version, f"sha256:{rules.digest}", rules.version_id)

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
        trace: bool = False,
    ) -> Evaluation:
        """Evaluate an applicant on ``as_of`` against every credential (or those listed).

        With ``trace``, every criterion outcome also records how it was decided.

        Raises:
            pydantic.ValidationError: the applicant's facts are invalid.
            UnknownCredentialError: a listed credential is not in the rule set.
            UnknownStateError: ``state`` is not a US state, district or territory code.
        """
        if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
            raise TypeError("as_of must be a datetime.date")
        if state is not None:
            self._check_state(state)
        model = self.parse_applicant(applicant)
        return self._evaluator.evaluate(model, as_of=as_of, credentials=credentials, state=state, trace=trace)

    def state_notes(self, code: str, *, as_of: dt.date, credentials: Iterable[str] | None = None) -> StateOutcome:
        """A state's notes in effect on ``as_of`` that concern the families of these credentials (default: all)."""
        self._check_state(code)
        return self._evaluator.state(code, credentials, as_of)

    def credential(self, credential_id: str) -> CredentialDef:
        """A credential's definition. Raises ``UnknownCredentialError``."""
        cred = self.rules.credentials.get(credential_id)
        if cred is None:
            raise UnknownCredentialError(credential_id)
        return cred

    def state(self, code: str) -> StateDef | None:
        """A state's file (``None`` when not researched). Raises ``UnknownStateError`` for a code that is no US
        state, district or territory."""
        self._check_state(code)
        return self.rules.states.get(code)

    def _check_state(self, code: str) -> None:
        if code not in self.rules.vocabularies["us_state"].values:
            raise UnknownStateError(code)


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load, validate and compile a rule set (default: :func:`default_rules_dir`).

    Raises:
        RuleSetError: the rule set is invalid; the message lists every file, key and line at fault.
    """
    return Rulebook(load_rule_set(path if path is not None else default_rules_dir()))
