"""Errors raised by the engine.

The hierarchy:

* CredcheckError                 base of everything the engine raises on purpose
  + RuleSetError                 the rule set cannot be used; carries every problem found
  + UnknownCredentialError       a credential id that is not in the loaded rule set
  + UnknownStateError            a state code the rule set has no file for
  + EngineError                  durable-rules failed in a way that is our bug, not the caller's

Applicant facts are validated by pydantic models (``engine.applicant``); their errors are
``pydantic.ValidationError`` and name the offending field.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CredcheckError",
    "EngineError",
    "RuleProblem",
    "RuleSetError",
    "UnknownCredentialError",
    "UnknownStateError",
]


class CredcheckError(Exception):
    """Base class for errors the engine raises deliberately."""


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong in one rule file.

    ``key`` is the dotted path of the offending key inside the file (``routes.0.criteria``),
    empty when the problem concerns the file as a whole.
    """

    path: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        key = f" `{self.key}`" if self.key else ""
        return f"{where}:{key} {self.message}"


class RuleSetError(CredcheckError):
    """The rule set failed validation. ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"rule set is invalid ({n} problem{'s' if n != 1 else ''}):\n{lines}")


class UnknownCredentialError(CredcheckError, KeyError):
    """A credential id that the loaded rule set does not define."""

    def __init__(self, credential_id: str) -> None:
        self.credential_id = credential_id
        super().__init__(f"unknown credential `{credential_id}`")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownStateError(CredcheckError, KeyError):
    """A state code for which the rule set has no file."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"`{code}` is not the USPS code of a US state, the District of Columbia or a territory")

    def __str__(self) -> str:
        return str(self.args[0])


class EngineError(CredcheckError):
    """durable-rules returned something the engine did not expect. Always a bug on our side."""
