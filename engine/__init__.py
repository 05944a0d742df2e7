"""credcheck's engine: rule files → validated rule set → one durable-rules ruleset → typed outcomes.

The engine is a library with no web framework in it and no language: it returns data (``engine.outcome``)
that the API serializes and renders. Typical use::

    from engine import load_rulebook
    book = load_rulebook()                       # the bundled rules/ (or $CREDCHECK_RULES_DIR)
    result = book.evaluate({"programs": [...]}, as_of=date(2026, 11, 23))
    result.eligible                              # ['aama.cma', ...]
    result.credentials[0].routes[0].criteria[0]  # a CriterionOutcome

The engine never reads the clock: the evaluation date is always an argument.
"""

from ._batch import CHUNK as BATCH_CHUNK
from ._batch import PARALLEL_THRESHOLD as BATCH_PARALLEL_THRESHOLD
from ._batch import BatchRunner, BatchStopped, available_cpus, evaluate_item
from ._catalogue import rules_report
from ._errors import (
    CredcheckError,
    EngineError,
    RuleProblem,
    RuleSetError,
    UnknownCredentialError,
    UnknownStateError,
)
from ._loader import load_rule_set, rule_set_digest
from ._paths import FieldPath
from ._program import MAX_RULES
from ._rulebook import BUNDLED_RULES_DIR, Rulebook, default_rules_dir, load_rulebook
from ._ruleset import RuleSet
from ._schema import Confidence, FactTopic, SourceKind, StateNoteKind
from ._vocab import REQUIRED_VOCABULARIES, make_enum
from .applicant import ApplicantModels, IsoDate, field_errors
from .outcome import (
    Action,
    Assumption,
    Cause,
    Change,
    Coverage,
    CredentialGuidance,
    CredentialOutcome,
    CredentialSummary,
    CriterionOutcome,
    Effort,
    Evaluation,
    Feasibility,
    Measured,
    Need,
    Op,
    Reason,
    Requirement,
    RouteGuidance,
    RouteOutcome,
    Shortfall,
    StateOutcome,
    Status,
    Step,
    TimeSpan,
    Unit,
    Verdict,
    Why,
    Window,
)

__all__ = [
    "BATCH_CHUNK",
    "BATCH_PARALLEL_THRESHOLD",
    "BUNDLED_RULES_DIR",
    "MAX_RULES",
    "REQUIRED_VOCABULARIES",
    "Action",
    "ApplicantModels",
    "Assumption",
    "BatchRunner",
    "BatchStopped",
    "Cause",
    "Change",
    "Confidence",
    "Coverage",
    "CredcheckError",
    "CredentialGuidance",
    "CredentialOutcome",
    "CredentialSummary",
    "CriterionOutcome",
    "Effort",
    "EngineError",
    "Evaluation",
    "FactTopic",
    "Feasibility",
    "FieldPath",
    "IsoDate",
    "Measured",
    "Need",
    "Op",
    "Reason",
    "Requirement",
    "RouteGuidance",
    "RouteOutcome",
    "RuleProblem",
    "RuleSet",
    "RuleSetError",
    "SourceKind",
    "StateNoteKind",
    "StateOutcome",
    "Rulebook",
    "Shortfall",
    "Status",
    "Step",
    "TimeSpan",
    "Unit",
    "UnknownCredentialError",
    "UnknownStateError",
    "Verdict",
    "Why",
    "Window",
    "available_cpus",
    "default_rules_dir",
    "evaluate_item",
    "field_errors",
    "load_rule_set",
    "load_rulebook",
    "make_enum",
    "rule_set_digest",
    "rules_report",
]
