"""The small integers evaluation combines with, shared by the evaluator and guidance.

Statuses order unmet 0 < unknown 1 < met 2, so "all of" is ``min`` and "any of" is ``max``. A route's record
pick is a record index, or ``ABSENT`` (the list was not given) or ``EMPTY`` (given empty).
"""

from __future__ import annotations

from ._paths import SECTIONS, Scope
from .outcome import Status, Verdict

UNMET, UNKNOWN, MET = 0, 1, 2
STATUS = (Status.UNMET, Status.UNKNOWN, Status.MET)
VERDICT = (Verdict.INELIGIBLE, Verdict.UNDETERMINED, Verdict.ELIGIBLE)
RECORDS: dict[Scope, str] = {scope: attr for scope, _, attr, is_list in SECTIONS if is_list}  # program: programs
ABSENT, EMPTY = -1, -2

HORIZON_YEARS = 10  # how far ahead guidance's timeline looks (measures list their days of change up to it)
