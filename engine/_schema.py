"""The shape of a rule file, as strict pydantic models.

These models check each file on its own: unknown keys, wrong types, bad ids, unordered date ranges.
Checks that need the whole rule set (does this citation's source exist? is this enum value in the
vocabulary? does this path name an applicant field?) live in ``_loader``.

See ``rules/README.md`` for the authoring guide; the field descriptions here are its reference.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from ._paths import RULE_PATH_PATTERN

__all__ = [
    "AnyGroup",
    "CatalogueFact",
    "Confidence",
    "FactTopic",
    "SourceKind",
    "StateNoteKind",
    "Citation",
    "Criterion",
    "CredentialFile",
    "DatedFact",
    "DatedThreshold",
    "Derivation",
    "DerivationsFile",
    "Duration",
    "Effective",
    "IndexFile",
    "Measure",
    "NotEvaluated",
    "Route",
    "Source",
    "StateFile",
    "StateNote",
    "Test",
    "UnencodedRoute",
    "Verification",
]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
CredentialId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
RulePath = Annotated[str, StringConstraints(pattern=RULE_PATH_PATTERN)]  # program.clock_hours: see engine._paths


class SourceKind(enum.StrEnum):
    """Official: the certifying body's or a state's own text. Secondary: anything else."""

    OFFICIAL = "official"
    SECONDARY = "secondary"


class Confidence(enum.StrEnum):
    """High: official and unambiguous. Medium: official but partial or dated, or agreeing secondary sources.
    Low: a single secondary source, or conflicting sources."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FactTopic(enum.StrEnum):
    """What a catalogue fact is about."""

    EXAM = "exam"
    FEE = "fee"
    RENEWAL = "renewal"
    CONTINUING_EDUCATION = "continuing-education"
    ATTEMPTS = "attempts"
    OTHER = "other"


class StateNoteKind(enum.StrEnum):
    """What a state requires of a credential family."""

    LICENSE = "license"
    CERTIFICATION = "certification"
    REGISTRATION = "registration"
    PERMIT = "permit"
    EXEMPT = "exempt"
    NO_STATE_REQUIREMENT = "no-state-requirement"
    INFORMATIONAL = "informational"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Verification(_Strict):
    """How firm a rule is: the kind of source it rests on and how confident the reference is.

    ``provisional`` marks a rule encoded from a source known to be superseded or partial (a pilot article,
    an analogue page) until the current text is retrieved."""

    source: SourceKind
    confidence: Confidence
    provisional: StrictBool = False
    note: Text | None = None


class Source(_Strict):
    """A document a rule cites. ``retrieved`` is when a maintainer last read it (here: an archived copy)."""

    title: Text
    url: Url
    kind: SourceKind
    retrieved: dt.date
    published: Text | None = None
    note: Text | None = None


class Citation(_Strict):
    source: Slug
    pinpoint: Text | None = None


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


Citations = Annotated[list[Citation], BeforeValidator(_one_or_many), Field(min_length=1)]


class Effective(_Strict):
    """Dates a rule is in effect, both inclusive. Either end may be open."""

    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError(f"`from` ({self.from_}) is after `to` ({self.to})")
        return self

    def contains(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.to is None or day <= self.to)


class Duration(_Strict):
    """A length of time in exactly one unit: ``{years: 4}``, ``{months: 12}`` or ``{days: 30}``."""

    years: Annotated[int, Field(ge=0, le=100)] | None = None
    months: Annotated[int, Field(ge=0, le=1200)] | None = None
    days: Annotated[int, Field(ge=0, le=36500)] | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        units = [u for u in ("years", "months", "days") if getattr(self, u) is not None]
        if len(units) != 1:
            raise ValueError("give exactly one of years, months, days")
        return self

    @property
    def unit(self) -> str:
        return next(u for u in ("years", "months", "days") if getattr(self, u) is not None)

    @property
    def amount(self) -> int:
        return int(getattr(self, self.unit))

    def __str__(self) -> str:
        n = self.amount
        word = self.unit[:-1] if n == 1 else self.unit
        return f"{n} {word}"


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a threshold cannot be true/false; use `is` for yes/no facts")
    return value


Scalar = Annotated[int | float | Duration | str, BeforeValidator(_no_bool)]
FactValue = StrictBool | int | float | str


class _DatedBase(_Strict):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _DatedBase:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError(f"`from` ({self.from_}) is after `to` ({self.to})")
        return self

    def contains(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.to is None or day <= self.to)


class DatedThreshold(_DatedBase):
    """One value of a threshold that changed over time (both dates inclusive)."""

    value: Scalar


class DatedFact(_DatedBase):
    """One value of a catalogue fact that changed over time (both dates inclusive)."""

    value: FactValue


def _check_dated_list(values: list[Any]) -> list[Any]:
    for earlier, later in zip(values, values[1:], strict=False):
        if earlier.to is None or later.from_ is None or later.from_ <= earlier.to:
            raise ValueError(
                "dated values must be listed oldest first, each closed (`to`) before the next one opens "
                "(`from`): they may not overlap"
            )
    return values


Threshold = Scalar | Annotated[list[DatedThreshold], Field(min_length=1)]

_ORDER_OPS = ("at_least", "more_than", "at_most", "less_than")
_SET_OPS = ("one_of", "includes_any", "includes_all")


class Test(_Strict):
    """What the measured value must satisfy. Several operators in one test must all hold.

    Thresholds of the ordering operators may be dated: a list of ``{value, from, to}``.
    """

    at_least: Threshold | None = None
    more_than: Threshold | None = None
    at_most: Threshold | None = None
    less_than: Threshold | None = None
    one_of: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(None, min_length=1)
    is_: StrictBool | None = Field(None, alias="is")
    includes_any: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(None, min_length=1)
    includes_all: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(None, min_length=1)
    unknown_for: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(
        None,
        min_length=1,
        description="With `one_of`: values the source does not decide; they leave the criterion unknown.",
    )

    @field_validator(*_ORDER_OPS)
    @classmethod
    def _dated_ok(cls, value: Any) -> Any:
        if isinstance(value, list):
            _check_dated_list(value)
        return value

    @model_validator(mode="after")
    def _some_operator(self) -> Test:
        used = self.operators()
        if not used:
            raise ValueError(
                "a test needs an operator: at_least, more_than, at_most, less_than, one_of, is, "
                "includes_any or includes_all"
            )
        kinds = {"order" if op in _ORDER_OPS else "set" if op in _SET_OPS else "is" for op in used}
        if len(kinds) > 1:
            raise ValueError(f"cannot combine {', '.join(sorted(used))} in one test")
        if self.unknown_for is not None:
            if self.one_of is None:
                raise ValueError("`unknown_for` goes with `one_of`")
            both = sorted(set(self.one_of) & set(self.unknown_for))
            if both:
                raise ValueError(f"`{both[0]}` is both in `one_of` and in `unknown_for`")
        return self

    def operators(self) -> list[str]:
        return [op for op in (*_ORDER_OPS, *_SET_OPS, "is_") if getattr(self, op) is not None]


# ---------------------------------------------------------------------------------------------- measures


class FieldMeasure(_Strict):
    """The value of one applicant field, e.g. ``program.clock_hours`` or ``high_school.credential``."""

    kind: Literal["field"]
    path: RulePath


class AgeMeasure(_Strict):
    """Age in whole years on the evaluation date."""

    kind: Literal["age"]


class TimeSinceMeasure(_Strict):
    """Time from a date to the evaluation date (negative when the date is still ahead)."""

    kind: Literal["time_since"]
    date: RulePath


class TimeUntilMeasure(_Strict):
    """Time from the evaluation date to a date (negative when the date has passed)."""

    kind: Literal["time_until"]
    date: RulePath


class TimeBetweenMeasure(_Strict):
    """Time from one date to another of the same record (negative when ``end`` comes first).

    ``end_absent: zero`` reads a missing ``end`` as equal to ``start``: for fields whose documented meaning
    is "leave out when not applicable", such as ``program.accredited_from``.
    """

    kind: Literal["time_between"]
    start: RulePath
    end: RulePath
    end_absent: Literal["unknown", "zero"] = "unknown"


class SumMeasure(_Strict):
    """The sum of several numeric fields of the same record."""

    kind: Literal["sum"]
    paths: list[RulePath] = Field(min_length=2)


ExperienceTotal = Literal[
    "years", "months", "hours", "venipunctures", "capillary_punctures", "ekgs", "arterial_punctures"
]


class ExperienceMeasure(_Strict):
    """Work experience in some roles, totalled over a window.

    The window is ``within`` (a duration ending on the evaluation date) or ``since`` (a date field of
    the same program record, e.g. experience after completing the program). Durations count calendar
    days of the union of matching jobs (overlaps once), 1 year = 365 days; hours use hours per week,
    or total hours spread evenly over the job's dates. ``only_lab_duties`` counts only the share of each
    job's hours spent on clinical laboratory duties (``lab_duties_percent``).
    """

    kind: Literal["experience"]
    roles: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)
    total: ExperienceTotal
    within: Duration | None = None
    since: RulePath | None = None
    supervised: StrictBool | None = None
    min_hours_per_week: Annotated[float, Field(gt=0, le=168)] | None = None
    settings: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(None, min_length=1)
    only_lab_duties: StrictBool = False

    @model_validator(mode="after")
    def _window(self) -> ExperienceMeasure:
        if self.within is not None and self.since is not None:
            raise ValueError("give `within` or `since`, not both")
        if self.only_lab_duties and self.total != "hours":
            raise ValueError("`only_lab_duties` counts hours: use it with `total: hours`")
        return self


class ExperienceAreasMeasure(_Strict):
    """The laboratory areas covered by work experience in some roles within a window."""

    kind: Literal["experience_areas"]
    roles: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)
    within: Duration | None = None


class CertificationsMeasure(_Strict):
    """The credential ids the applicant holds (``status: active`` keeps only current ones)."""

    kind: Literal["certifications"]
    status: Literal["any", "active"] = "any"
    earned_within: Duration | None = None


def _measure_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return {"kind": "age"} if value == "age" else {"kind": "field", "path": value}
    return value


Measure = Annotated[
    FieldMeasure
    | AgeMeasure
    | TimeSinceMeasure
    | TimeUntilMeasure
    | TimeBetweenMeasure
    | SumMeasure
    | ExperienceMeasure
    | ExperienceAreasMeasure
    | CertificationsMeasure,
    BeforeValidator(_measure_shorthand),
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------------------------------------- criteria


class Criterion(_Strict):
    """One requirement: a measure of the applicant's facts and a test it must pass."""

    label: Text
    measure: Measure
    test: Test
    cite: Citations
    verification: Verification | None = None
    note: Text | None = None
    effective: Effective | None = None
    incomplete: Text | None = Field(
        None,
        description=(
            "The criterion is only the known part of a requirement whose full terms the source does not state "
            "(say why): failing it is unmet, passing it is at best unknown."
        ),
    )


class AnyGroup(_Strict):
    """Alternatives: the group is met when any of its criteria is met."""

    id: Slug
    label: Text
    any: list[Slug] = Field(min_length=2)


RouteItem = Annotated[Slug | AnyGroup, Field(union_mode="left_to_right")]


class NotEvaluated(_Strict):
    """A condition of a route that the engine cannot evaluate from facts (stated, cited, not decided)."""

    text: Text
    cite: Citations


class Route(_Strict):
    """One pathway to the credential: every item must be met (an item may be a group of alternatives)."""

    id: Slug
    label: Text
    summary: Text | None = None
    criteria: list[RouteItem] = Field(min_length=1)
    cautions: list[Slug] = Field(default_factory=list)
    verification: Verification | None = None
    effective: Effective | None = None
    not_evaluated: list[NotEvaluated] = Field(default_factory=list)


class UnencodedRoute(_Strict):
    """A pathway the sources mention whose criteria the rule set cannot fully decide (not published or not
    retrieved). It is never met: unmet when an entry of its ``gate`` (what is known of who the route is
    for) is unmet, unknown otherwise; without a gate it is always unknown, so the credential is never
    ineligible while it remains."""

    id: Slug
    label: Text
    reason: Text
    gate: list[RouteItem] = Field(default_factory=list)
    cite: Citations
    verification: Verification


class CatalogueFact(_Strict):
    """A fact users compare (exam format, fee, renewal), with its citation and verification level."""

    topic: FactTopic
    label: Text
    value: FactValue | Annotated[list[DatedFact], Field(min_length=1)]
    unit: Text | None = None
    note: Text | None = None
    cite: Citations
    verification: Verification

    @field_validator("value")
    @classmethod
    def _dated(cls, value: Any) -> Any:
        if isinstance(value, list):
            _check_dated_list(value)
        return value


class Body(_Strict):
    id: Slug
    name: Text
    url: Url


class CredentialFile(_Strict):
    """``rules/credentials/<body>/<credential>.yaml``."""

    id: CredentialId
    name: Text
    designation: Text
    body: Body
    family: Slug
    summary: Text
    verification: Verification
    sources: dict[Slug, Source] = Field(min_length=1)
    common: list[RouteItem] = Field(default_factory=list)
    cautions: list[Slug] = Field(default_factory=list)
    criteria: dict[Slug, Criterion] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    unencoded_routes: list[UnencodedRoute] = Field(default_factory=list)
    facts: list[CatalogueFact] = Field(default_factory=list)
    uncertain: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_route(self) -> CredentialFile:
        if not self.routes and not self.unencoded_routes:
            raise ValueError("a credential needs routes, or at least unencoded_routes saying why it has none")
        return self





class StateNote(_Strict):
    """One licensing rule of a state that concerns one or more credential families."""

    id: Slug
    title: Text
    kind: StateNoteKind
    families: list[Slug] = Field(min_length=1)
    summary: Text
    accepts: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)
    cite: Citations
    verification: Verification
    effective: Effective | None = None


class StateFile(_Strict):
    """``rules/states/<st>.yaml``."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    name: Text
    summary: Text
    sources: dict[Slug, Source] = Field(default_factory=dict)
    notes: list[StateNote] = Field(default_factory=list)
    unconfirmed: list[Text] = Field(default_factory=list)


class FieldCondition(_Strict):
    """An enumerated applicant field and the values it takes (or may take)."""

    path: RulePath
    one_of: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1, max_length=8)


class Derivation(_Strict):
    """A fact that follows from another, as its source states: when ``when`` holds and the ``then`` field is
    not given, the ``then`` field is taken to be one of the listed values."""

    id: Slug
    label: Text
    when: FieldCondition
    then: FieldCondition
    cite: Citations
    verification: Verification


class DerivationsFile(_Strict):
    """``rules/derivations.yaml``: facts derived from other facts, each cited."""

    sources: dict[Slug, Source] = Field(default_factory=dict)
    derivations: list[Derivation] = Field(default_factory=list)


class IndexFile(_Strict):
    """``rules/index.yaml``: the rule set's name and semantic version."""

    name: Text
    version: SemVer
    description: Text
