"""What an evaluation returns: typed, language-free outcomes.

Nothing here is English or JSON. Every value a person reads is data — a status, a requirement as an operator
with a quantity and a unit, the applicant's measured value, the record it was decided on, the inputs that
would settle it — and the API turns it into JSON once (``api.serialize``) and into sentences, per language,
from a message catalogue (``api.render``). Definitions (labels, citations, verification levels) stay in the
rule set (``engine.RuleSet``); an outcome names them by id and carries a reference for the serializer.

Statuses: a criterion or route is ``met``, ``unmet`` or ``unknown`` (the facts given do not decide it); a
credential is ``eligible`` (some route met), ``ineligible`` (every route the body offers unmet) or
``undetermined``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # definitions, for the serializer and renderer; no import at run time (no cycle)
    from ._ruleset import CredentialDef, CriterionDef, GroupDef, RouteDef, StateDef, StateNoteDef

__all__ = [
    "Action",
    "Assumption",
    "Bound",
    "Cause",
    "Change",
    "Coverage",
    "CredentialGuidance",
    "CredentialOutcome",
    "CredentialSummary",
    "CriterionOutcome",
    "CriterionTrace",
    "Effort",
    "Evaluation",
    "Feasibility",
    "GroupOutcome",
    "Measured",
    "Need",
    "Op",
    "Reason",
    "Requirement",
    "RouteGuidance",
    "RouteOutcome",
    "RulesIdentity",
    "Shortfall",
    "StateOutcome",
    "Status",
    "Step",
    "TimeSpan",
    "Unit",
    "Verdict",
    "Why",
    "Window",
]


class Status(enum.StrEnum):
    """A criterion's, group's or route's status: met, unmet, or unknown when the facts given do not decide it."""

    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"


class Verdict(enum.StrEnum):
    """eligible: some route is met. ineligible: every route the body offers is unmet. undetermined: neither, yet."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


class Coverage(enum.StrEnum):
    """`full`: the route is encoded from its source. `gate`: only who the route is for is encoded (its other
    criteria were not published or not retrieved); `none`: nothing of it is. A route that is not `full` is never
    met: it is unmet when its gate fails, otherwise unknown, so a credential with such a route is never
    ineligible."""

    FULL = "full"
    GATE = "gate"
    NONE = "none"


class Reason(enum.StrEnum):
    """Why an undetermined credential is not decided: `missing-inputs` (facts not given; see `inputs_needed`),
    `unencoded-route` (a route the rule set cannot decide remains open), `requirement-not-stated` (the source
    does not state a requirement's full terms), `source-undecided` (the source does not say whether a value
    given counts)."""

    MISSING_INPUTS = "missing-inputs"
    UNENCODED_ROUTE = "unencoded-route"
    REQUIREMENT_NOT_STATED = "requirement-not-stated"
    SOURCE_UNDECIDED = "source-undecided"


class Why(enum.StrEnum):
    """What decided a criterion, when its status alone does not say: `no-records` (unmet: the list of records
    was given empty), `requirement-not-stated` (unknown: only the known part of the requirement holds),
    `source-undecided` (unknown: the source does not say whether the value given counts), `derived` (decided
    by a derived fact: the field was not given)."""

    NO_RECORDS = "no-records"
    REQUIREMENT_NOT_STATED = "requirement-not-stated"
    SOURCE_UNDECIDED = "source-undecided"
    DERIVED = "derived"


class Op(enum.StrEnum):
    """How a requirement compares the applicant's value."""

    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    AT_MOST = "at_most"
    LESS_THAN = "less_than"
    ONE_OF = "one_of"
    INCLUDES_ANY = "includes_any"
    INCLUDES_ALL = "includes_all"
    IS = "is"


class Unit(enum.StrEnum):
    """What a quantity counts."""

    YEARS = "years"
    MONTHS = "months"
    DAYS = "days"
    WEEKS = "weeks"
    HOURS = "hours"
    SEMESTER_HOURS = "semester-hours"
    PERCENT = "percent"
    VENIPUNCTURES = "venipunctures"
    CAPILLARY_PUNCTURES = "capillary-punctures"
    EKGS = "ekgs"
    INJECTIONS = "injections"
    ARTERIAL_PUNCTURES = "arterial-punctures"


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A signed calendar length: years, months and days (``negative`` when the date is still ahead)."""

    years: int = 0
    months: int = 0
    days: int = 0
    negative: bool = False

    def iso(self) -> str:
        """ISO 8601: ``P4Y2M3D``, ``-P20D``, ``P0D``."""
        parts = "".join(f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if n)
        return ("-" if self.negative else "") + "P" + (parts or "0D")


@dataclass(frozen=True, slots=True)
class Window:
    """The dates a field must fall in, both inclusive (``None``: open), as the requirement applies on the
    evaluation date: a graduation date "within 4 years" of 2026-11-23 starts on 2022-11-23; work counted
    "within the last 3 years" (``field`` ``work_experience``) lies between two dates."""

    field: str
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class Bound:
    """A second ordering bound of the same requirement (``at_least 2 and less_than 5``)."""

    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a criterion requires, on the evaluation date, as data.

    ``value`` is the threshold of an ordering ``op`` (a number in ``unit``, or a level of an ordered
    ``vocabulary`` such as ``bachelor``) or the flag of ``is``; ``values`` are the allowed values of the set
    operators, from ``vocabulary``; ``unknown_for`` values are left undecided by the source.
    """

    op: Op
    value: Any = None
    values: tuple[str, ...] = ()
    unit: Unit | None = None
    vocabulary: str | None = None
    unknown_for: tuple[str, ...] = ()
    also: Bound | None = None
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """The applicant's value as far as the facts tell it.

    ``low`` and ``high`` are equal when it is known exactly; a total only partly known (a job whose supervision
    is not stated) counts for certain in ``low`` and at most ``high`` (``None``: no upper bound). Values are
    numbers (in ``unit``), codes of a vocabulary, tuples of codes (credentials held, laboratory areas), flags or
    ``TimeSpan``s. ``alternatives`` are the values a derived fact allows (``derived_by`` names it).
    """

    low: Any
    high: Any
    unit: Unit | None = None
    vocabulary: str | None = None
    alternatives: tuple[Any, ...] = ()
    derived_by: str | None = None

    @property
    def exact(self) -> bool:
        return not self.alternatives and self.low == self.high


@dataclass(frozen=True, slots=True)
class CriterionTrace:
    """How a criterion was decided: the facts read, the dated version of the test that applied, and the
    durable-rules rule that decides it with the candidate values it fired for (0: the value or its low bound,
    1: the high bound, 0..n-1: a derived fact's values)."""

    inputs: tuple[tuple[str, Any], ...]
    version_from: dt.date | None
    version_to: dt.date | None
    engine_rule: str
    fired: tuple[int, ...]
    undecided_rule: str | None = None


@dataclass(frozen=True, slots=True)
class CriterionOutcome:
    """One criterion on one record. ``key`` identifies everything its explanation depends on (equal keys give
    equal explanations), for caches in the serializer."""

    id: str
    status: Status
    requirement: Requirement
    measured: Measured | None
    record: str | None  # `programs[0]`, or None (applicant-level, or no record given)
    missing: tuple[str, ...]
    group: str | None
    why: Why | None
    definition: CriterionDef = field(repr=False, compare=False)
    key: tuple[Any, ...] = field(repr=False, compare=False, default=())
    trace: CriterionTrace | None = None


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """A group of alternatives within a route: met when any member is met."""

    id: str
    status: Status
    definition: GroupDef = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    id: str
    status: Status
    coverage: Coverage
    criteria: tuple[CriterionOutcome, ...]
    groups: tuple[GroupOutcome, ...]
    cautions: tuple[CriterionOutcome, ...]
    definition: RouteDef = field(repr=False, compare=False)

    def open_inputs(self) -> tuple[str, ...]:
        """Inputs of the unknown criteria that can still change this route (not those of a met group)."""
        settled = {g.id for g in self.groups if g.status == Status.MET}
        seen: dict[str, None] = {}
        for c in self.criteria:
            if c.status == Status.UNKNOWN and c.group not in settled:
                seen.update(dict.fromkeys(c.missing))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class CredentialOutcome:
    id: str
    status: Verdict
    routes: tuple[RouteOutcome, ...]
    eligible_routes: tuple[str, ...]
    inputs_needed: tuple[str, ...]
    reasons: tuple[Reason, ...]  # why an undetermined credential is open (empty otherwise)
    definition: CredentialDef = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class CredentialSummary:
    """A credential in brief, as batch results give it: no route or criterion outcomes are built."""

    id: str
    status: Verdict
    eligible_routes: tuple[str, ...]
    inputs_needed: tuple[str, ...]
    reasons: tuple[Reason, ...]
    nearest_route: str | None  # when not eligible: guidance's nearest route (CredentialGuidance.nearest_route)
    missing: tuple[str, ...]  # the entries (criterion or group ids) of the nearest route that are not met


# ---------------------------------------------------------------------------------------------- guidance


class Effort(enum.StrEnum):
    """What settling a criterion takes, least first (``Effort.rank``): `wait` (time alone: a date is reached, a
    program in progress ends), `input` (a fact not given yet: it may already be met), `experience` (more work in
    a job), `practice` (practical counts: venipunctures, EKGs), `coursework` (more hours or credits),
    `credential` (earn another credential), `program` (a program, degree or diploma not yet started)."""

    WAIT = "wait"
    INPUT = "input"
    EXPERIENCE = "experience"
    PRACTICE = "practice"
    COURSEWORK = "coursework"
    CREDENTIAL = "credential"
    PROGRAM = "program"

    @property
    def rank(self) -> int:
        return _EFFORT_RANK[self]


_EFFORT_RANK = {effort: n for n, effort in enumerate(Effort)}


class Need(enum.StrEnum):
    """What a shortfall asks for: `more` (``amount`` more ``unit``; more than it when ``strict``), `less` (``amount``
    over a maximum), `wait` (met on ``on`` by time alone), `one-of` (a value among ``values``), `all-of` (these
    ``values`` still missing), `flag` (a yes/no to be ``values[0]``), `inputs` (facts not given: ``inputs``),
    `undecided` (the source does not say whether the value given counts; no fact settles it), `record` (a
    program or degree not listed yet, one that meets the criterion)."""

    MORE = "more"
    LESS = "less"
    WAIT = "wait"
    ONE_OF = "one-of"
    ALL_OF = "all-of"
    FLAG = "flag"
    INPUTS = "inputs"
    UNDECIDED = "undecided"
    RECORD = "record"


class Cause(enum.StrEnum):
    """Why a shortfall cannot be made up: `window-closed` (a time limit from a past date has passed, for good),
    `fixed-fact` (a fact that cannot change: a completed program's hours or accreditation, a birth date),
    `own-credential` (it asks for the very credential being applied for: a route for those who held it)."""

    WINDOW_CLOSED = "window-closed"
    FIXED_FACT = "fixed-fact"
    OWN_CREDENTIAL = "own-credential"


class Feasibility(enum.StrEnum):
    """`possible`: the route can still be met by the applicant, with the records given (waiting, more hours,
    counts or coursework, another credential, facts not given yet). `precluded`: it cannot, for the reasons
    its shortfalls' ``cause`` give; a new program or degree would be a new start, not these records."""

    POSSIBLE = "possible"
    PRECLUDED = "precluded"


class Assumption(enum.StrEnum):
    """What a date ahead rests on: `program-completes` (a program in progress ends on its expected date),
    `work-continues` (a job without an end date goes on as stated)."""

    PROGRAM_COMPLETES = "program-completes"
    WORK_CONTINUES = "work-continues"


class Action(enum.StrEnum):
    """A next step: `apply` (a route is met: apply, by ``on`` when it closes), `wait` (until ``on``), `give`
    (facts not given), `confirm` (ask the body whether a value counts), `add` (more of a quantity), `meet` (a
    value the criterion asks for), `check` (a route this service does not check: ask the body about it), `none`
    (no route the body offers can be met any more)."""

    APPLY = "apply"
    WAIT = "wait"
    GIVE = "give"
    CONFIRM = "confirm"
    ADD = "add"
    MEET = "meet"
    CHECK = "check"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What one criterion (not met) still needs, typed; see :class:`Need`. ``record`` is the program or degree
    it is about (``None``: the applicant, or a record not given yet); ``cause`` is set when it cannot be made
    up (and its route is precluded)."""

    criterion: str
    need: Need
    effort: Effort
    record: str | None = None
    group: str | None = None
    amount: Any = None
    unit: Unit | None = None
    strict: bool = False
    values: tuple[Any, ...] = ()
    vocabulary: str | None = None
    inputs: tuple[str, ...] = ()
    on: dt.date | None = None
    cause: Cause | None = None


@dataclass(frozen=True, slots=True)
class RouteGuidance:
    """A route not met: whether it can still be, what it takes (one shortfall per entry not met; for a group
    of alternatives, the member that takes least) and the greatest effort among them."""

    id: str
    feasibility: Feasibility
    effort: Effort | None
    shortfalls: tuple[Shortfall, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """On ``on`` the credential's verdict becomes ``status`` (met by ``routes``), if the facts stay as given
    and the ``assumptions`` hold."""

    on: dt.date
    status: Verdict
    routes: tuple[str, ...]
    assumptions: tuple[Assumption, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do, in order: ``action`` on the ``route``, settling ``criteria``; ``shortfall`` holds the
    quantities; ``on`` the date (to wait until, to apply by, or, for a route the body decides that opens ahead,
    to ask it from)."""

    action: Action
    route: str | None
    criteria: tuple[str, ...] = ()
    shortfall: Shortfall | None = None
    on: dt.date | None = None
    assumptions: tuple[Assumption, ...] = ()


@dataclass(frozen=True, slots=True)
class CredentialGuidance:
    """What to do and from when, for one credential.

    ``routes``: every encoded route not met, with its shortfalls and feasibility. ``nearest_route``: the
    possible route that takes least (by :class:`Effort`; then the one resting on fewer facts not given, then
    fewest shortfalls, then the order of the rule file); never a precluded one. ``timeline``: each date before
    ``horizon`` on which the verdict changes, the facts staying as given (and the ``Assumption``s holding).
    ``eligible_from``: the first day the credential is eligible, when time alone gets there;
    ``eligible_until``: the last day of the eligibility now or ahead, when it will end, and ``after_until``
    the nearest route from the day after.
    """

    id: str
    status: Verdict
    routes: tuple[RouteGuidance, ...]
    nearest_route: str | None
    timeline: tuple[Change, ...]
    horizon: dt.date
    eligible_from: dt.date | None
    eligible_until: dt.date | None
    after_until: str | None
    next_steps: tuple[Step, ...]

    @property
    def shortfalls(self) -> tuple[Shortfall, ...]:
        """The nearest route's shortfalls."""
        return next((r.shortfalls for r in self.routes if r.id == self.nearest_route), ())


@dataclass(frozen=True, slots=True)
class StateOutcome:
    """A state's licensing notes in effect on the evaluation date that concern the credentials evaluated."""

    code: str
    researched: bool
    notes: tuple[StateNoteDef, ...]
    definition: StateDef | None = field(repr=False, compare=False, default=None)


@dataclass(frozen=True, slots=True)
class RulesIdentity:
    """Which rule set produced an answer: pin it to reproduce a result."""

    name: str
    version: str
    digest: str  # `sha256:<hex>`
    id: str  # version with the digest as build metadata


class Evaluation:
    """The answer for one applicant. Verdicts are decided up front; outcomes are built when first asked for
    (a batch summary needs verdicts and a few fields, not 250 criteria)."""

    __slots__ = (
        "_build",
        "_built",
        "_guide",
        "_guided",
        "_summarize",
        "as_of",
        "dates_ahead",
        "rules",
        "state",
        "verdicts",
    )

    def __init__(
        self,
        *,
        as_of: dt.date,
        rules: RulesIdentity,
        verdicts: tuple[tuple[str, Verdict], ...],
        state: StateOutcome | None,
        build: Callable[[], tuple[CredentialOutcome, ...]],
        summarize: Callable[[Mapping[str, str | None] | None], tuple[CredentialSummary, ...]],
        guide: Callable[[], tuple[tuple[CredentialGuidance, ...], int]] | None = None,
    ) -> None:
        self.as_of = as_of
        self.rules = rules
        self.verdicts = verdicts
        self.state = state
        self._build = build
        self._summarize = summarize
        self._built: tuple[CredentialOutcome, ...] | None = None
        self._guide = guide
        self._guided: tuple[CredentialGuidance, ...] | None = None
        self.dates_ahead: int | None = None  # days ahead the engine evaluated for guidance, once computed

    def summaries(self) -> tuple[CredentialSummary, ...]:
        """Each credential in brief (what batch results need), without building route and criterion outcomes.
        The nearest route is guidance's: taken from it when guidance is already computed, else worked out."""
        nearest = None if self._guided is None else {g.id: g.nearest_route for g in self._guided}
        return self._summarize(nearest)

    def guidance(self) -> tuple[CredentialGuidance, ...]:
        """Per credential: shortfalls and feasibility of each route not met, the nearest route, the timeline
        (eligible from / until) and the next steps. Computed on first use (it evaluates dates ahead)."""
        if self._guided is None:
            self._guided, self.dates_ahead = self._guide() if self._guide is not None else ((), 0)
        return self._guided

    @property
    def credentials(self) -> tuple[CredentialOutcome, ...]:
        """Every evaluated credential with every route and criterion."""
        if self._built is None:
            self._built = self._build()
        return self._built

    @property
    def eligible(self) -> list[str]:
        return [cid for cid, verdict in self.verdicts if verdict == Verdict.ELIGIBLE]
