"""Request and response models: the API contract and the source of ``openapi/openapi.json``.

The response models are the one description of the JSON ``api.serialize`` writes; tests validate real answers
against them. Enums are the engine's own (one per concept). Identifiers in responses (credential ids,
families) are plain strings so that an older client keeps working when the rule set grows; request fields
that select from a closed set are enums built from the rule set's vocabularies.
"""

import datetime as dt
import enum
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from engine import (
    Action,
    Assumption,
    Cause,
    Confidence,
    Coverage,
    Effort,
    FactTopic,
    Feasibility,
    IsoDate,
    Need,
    Op,
    Reason,
    Rulebook,
    SourceKind,
    StateNoteKind,
    Status,
    Unit,
    Verdict,
    Why,
    make_enum,
)

from .i18n import LANGUAGES
from .problems import FieldError

MAX_BATCH = 10_000

__all__ = [
    "EXAMPLES_PATH",
    "MAX_BATCH",
    "BatchResponse",
    "CredentialDetail",
    "CredentialList",
    "Detail",
    "EligibilityResponse",
    "Health",
    "Language",
    "Readiness",
    "RequestModels",
    "StateDetail",
    "load_examples",
]


_API = ConfigDict(extra="forbid", populate_by_name=True)


class Detail(enum.StrEnum):
    """How much an answer explains: `summary` (each credential in brief), `standard` (every route and criterion,
    typed, with a sentence each), `full` (also labels and the requirement and value as text), `trace` (also,
    per criterion, the facts read, the dated version of the test and the durable-rules rule that decided it)."""

    SUMMARY = "summary"
    STANDARD = "standard"
    FULL = "full"
    TRACE = "trace"


Language = enum.StrEnum("Language", {code.upper(): code for code in LANGUAGES})  # type: ignore[misc]
Language.__doc__ = "Language of the answer's text (machine fields never change with it)."


class CriterionScope(enum.StrEnum):
    """applicant: decided once per applicant; program/degree: decided per record, all on the same record."""

    APPLICANT = "applicant"
    PROGRAM = "program"
    DEGREE = "degree"


class ReadinessStatus(enum.StrEnum):
    """Whether to send traffic."""

    READY = "ready"
    UNAVAILABLE = "unavailable"


class RulesOnDisk(enum.StrEnum):
    """`loaded`: the files on disk are what is served; `invalid`: they changed and fail validation (the previous
    rule set is still served); `incompatible`: they changed ids or vocabularies (restart to apply)."""

    LOADED = "loaded"
    INVALID = "invalid"
    INCOMPATIBLE = "incompatible"


# ------------------------------------------------------------------------------------------- shared


class Verification(BaseModel):
    """How firm a rule is."""

    model_config = _API
    source: SourceKind = Field(description="Kind of source the rule rests on.")
    confidence: Confidence = Field(description="How confident the rule set's reference is in it.")
    provisional: bool = Field(
        description="True when the rule rests on a source known to be superseded or partial, until the current "
        "text is retrieved."
    )
    note: str | None = Field(description="What is uncertain, if anything.")


class Source(BaseModel):
    """A document rules cite."""

    model_config = _API
    title: str = Field(description="Title of the document.")
    url: str = Field(description="Address of the document.")
    source_kind: SourceKind = Field(description="Official or secondary source.")
    retrieved: dt.date = Field(description="When the maintainers last read the document.")


class CiteRef(BaseModel):
    """A citation by reference: the key of a source listed in the answer's `sources`, and where in it."""

    model_config = _API
    source: str = Field(description="Key in `sources`, e.g. `aama.cma/aama-eligibility`.")
    pinpoint: str | None = Field(description="Section, category or passage within the document.")


class Citation(Source):
    """Where a rule comes from (the source itself, with the passage)."""

    pinpoint: str | None = Field(description="Section, category or passage within the document.")


class CertifyingBody(BaseModel):
    """The organization that awards a credential."""

    model_config = _API
    id: str = Field(description="Body id, e.g. `aama`.")
    name: str = Field(description="Name of the certifying body.")
    url: str = Field(description="Web site.")


class RulesInfo(BaseModel):
    """Which rule set produced the answer: pin it to reproduce a result."""

    model_config = _API
    name: str = Field(description="Name of the rule set.")
    version: str = Field(description="Semantic version of the rule set.")
    digest: str = Field(description="SHA-256 of the rule files, `sha256:<hex>`.")
    id: str = Field(description="Version with the digest as build metadata; also the `X-Rules-Version` header.")


class Effective(BaseModel):
    """Dates something is in effect, both inclusive; null means open-ended."""

    model_config = _API
    from_: dt.date | None = Field(alias="from", description="First day in effect.")
    to: dt.date | None = Field(description="Last day in effect.")


Scalar = str | int | float | bool


class Window(BaseModel):
    """The dates a field must fall in for the requirement to hold on `as_of`, both inclusive (null: open)."""

    model_config = _API
    field: str = Field(description="The date field (`programs[].completion_date`), or `work_experience`.")
    from_: dt.date | None = Field(alias="from", description="First day that counts.")
    to: dt.date | None = Field(description="Last day that counts.")


class SecondBound(BaseModel):
    """The other bound of a requirement with two (`at_least 2` and `less_than 5`)."""

    model_config = _API
    op: Op = Field(description="An ordering operator.")
    value: Scalar = Field(description="Its threshold.")


class Requirement(BaseModel):
    """What a criterion requires on `as_of`, as data: an operator with a threshold (a number in `unit`, a level of
    an ordered `vocabulary`, or a flag), or a set of allowed `values`, and for dates the window they imply."""

    model_config = _API
    op: Op = Field(description="How the applicant's value is compared.")
    value: Scalar | None = Field(None, description="Threshold of an ordering operator, or the flag of `is`.")
    values: list[str] | None = Field(None, description="Allowed values (`one_of`, `includes_any`, `includes_all`).")
    unit: Unit | None = Field(None, description="What the threshold counts.")
    vocabulary: str | None = Field(None, description="The vocabulary `values` (or a level) come from.")
    unknown_for: list[str] | None = Field(None, description="Values the source does not decide (unknown).")
    also: SecondBound | None = Field(None, description="A second ordering bound.")
    window: Window | None = Field(None, description="For time requirements: the dates that satisfy it on `as_of`.")


class Measured(BaseModel):
    """The applicant's value: `value` when known exactly; `low` (certain) and `high` (at most; null: no upper
    bound) when only partly known; `alternatives` when a derived fact allows several. Durations are ISO 8601
    (`P3Y2M5D`, negative `-P20D` when the date is still ahead)."""

    model_config = _API
    value: Scalar | list[str] | None = Field(None, description="The value, when known exactly.")
    low: Scalar | list[str] | None = Field(None, description="What certainly counts.")
    high: Scalar | list[str] | None = Field(None, description="What might count at most (null: unbounded).")
    alternatives: list[Scalar] | None = Field(None, description="The values a derived fact allows.")
    derived_by: str | None = Field(None, description="Id of the derived fact (`rules/derivations.yaml`).")
    unit: Unit | None = Field(None, description="What the value counts.")
    vocabulary: str | None = Field(None, description="The vocabulary of a code value.")


class TraceInput(BaseModel):
    """A fact the criterion read."""

    model_config = _API
    field: str = Field(description="Where it is in the applicant, e.g. `programs[0].clock_hours`.")
    value: Any = Field(description="Its value as given (a record as an object).")


class TraceVersion(BaseModel):
    """The dated version of the criterion's test that applied on `as_of` (both days inclusive; null: open)."""

    model_config = _API
    from_: dt.date | None = Field(alias="from", description="First day of the version.")
    to: dt.date | None = Field(description="Last day of the version.")


class CriterionTrace(BaseModel):
    """How a criterion was decided (`detail: trace`)."""

    model_config = _API
    inputs: list[TraceInput] = Field(description="The facts read, on the record decided.")
    version: TraceVersion = Field(description="The version of the test that applied.")
    engine_rule: str = Field(description="The durable-rules rule that tests it.")
    fired: list[int] = Field(
        description="Candidates the rule fired for: 0 the value (or its low bound), 1 the high bound, 0..n-1 the "
        "values of a derived fact."
    )
    undecided_rule: str | None = Field(description="The rule of the values the source does not decide, if any.")


# ------------------------------------------------------------------------------------------- eligibility


class CriterionResult(BaseModel):
    """One criterion of one route, evaluated on one record. What it requires, its sources and its verification
    level are in the answer's `definitions.criteria` under its id; fields that do not apply are left out."""

    model_config = _API
    id: str = Field(description="Stable criterion id, e.g. `aama.cma.accredited-caahep-abhes`.")
    status: Status = Field(description="met, unmet or unknown.")
    record: str | None = Field(None, description="The record it was decided on, e.g. `programs[0]`.")
    group: str | None = Field(None, description="Id of the group of alternatives it belongs to, if any.")
    measured: Measured | None = Field(None, description="The applicant's value, when any fact was given.")
    missing_inputs: list[str] | None = Field(None, description="Inputs that would decide an unknown criterion.")
    why: Why | None = Field(None, description="What decided it, when its status alone does not say.")
    message: str = Field(description="The explanation, in the answer's language.")
    required_text: str | None = Field(None, description="The requirement in words (`detail: full`).")
    measured_text: str | None = Field(None, description="The applicant's value in words (`detail: full`).")
    trace: CriterionTrace | None = Field(None, description="How it was decided (`detail: trace`).")


class GroupResult(BaseModel):
    """A group of alternatives within a route: met when any member is met (label in `definitions.groups`)."""

    model_config = _API
    id: str = Field(description="Stable group id.")
    status: Status = Field(description="Status of the group.")


class Shortfall(BaseModel):
    """What one criterion not met still needs, as data; fields that do not apply are left out."""

    model_config = _API
    criterion: str = Field(description="The criterion's id.")
    need: Need = Field(description="What it asks for (see the values).")
    effort: Effort = Field(
        description="What settling it takes, least first: wait, input, experience, practice, "
        "coursework, credential, program."
    )
    record: str | None = Field(None, description="The record it is about, e.g. `programs[0]`.")
    group: str | None = Field(None, description="The group of alternatives it stands for (its easiest member).")
    amount: float | None = Field(None, description="`more`: how much more (`less`: how much over), in `unit`.")
    unit: Unit | None = Field(None, description="Unit of `amount`.")
    strict: bool | None = Field(None, description="More (or less) than `amount` is needed, not just `amount`.")
    values: list[str | bool] | None = Field(
        None, description="`one-of`: values that would do; `all-of`: values still missing; `flag`: the value needed."
    )
    vocabulary: str | None = Field(None, description="Vocabulary of `values`.")
    inputs: list[str] | None = Field(None, description="`inputs`: the facts that would decide it.")
    on: dt.date | None = Field(None, description="The day time alone meets it (waiting, a job going on).")
    cause: Cause | None = Field(None, description="Why it cannot be made up; its route is then precluded.")
    text: str = Field(description="The criterion and what it needs, in the answer's language.")


class TimelineChange(BaseModel):
    """A day ahead on which the credential's verdict changes, the facts staying as given."""

    model_config = _API
    on: dt.date = Field(description="The day of the change.")
    status: Verdict = Field(description="The verdict from that day.")
    routes: list[str] = Field(description="The routes met from that day.")
    assumptions: list[Assumption] = Field(description="What the date rests on (a program ending as expected...).")


class NextStep(BaseModel):
    """One thing to do, in order, with the criteria it settles (their citations are in `definitions`)."""

    model_config = _API
    action: Action = Field(description="apply, wait, give, confirm, add, meet, check or none.")
    route: str | None = Field(description="The route the step is on.")
    criteria: list[str] = Field(
        description="The criteria it settles; their quantities are their entries in the credential's `shortfalls`."
    )
    on: dt.date | None = Field(
        description="The date to wait until, to apply by, or (a `check` step) to ask the body from."
    )
    text: str = Field(description="The step in the answer's language.")
    assumptions: list[Assumption] | None = Field(None, description="What a date rests on.")


class GuidanceFields(BaseModel):
    """What to do and from when (`eligible_from`, `eligible_until`, the timeline and next steps)."""

    model_config = _API
    eligible_from: dt.date | None = Field(
        description="When not eligible: the first day the credential is, if time alone gets there (see `timeline`)."
    )
    eligible_until: dt.date | None = Field(
        description="The last day of the eligibility now (or from `eligible_from`), when it will end."
    )
    after_until: str | None = Field(description="The nearest route from the day after `eligible_until`.")
    timeline: list[TimelineChange] = Field(
        description="Each day ahead (ten years) on which the verdict changes, the facts staying as given."
    )
    next_steps: list[NextStep] = Field(description="What to do, in order.")
    shortfalls: list[Shortfall] = Field(description="What the nearest route still needs.")


class RouteResult(BaseModel):
    """One route (pathway) to a credential, evaluated: met only when every entry is met. Its label, sources and
    verification level are in the answer's `definitions.routes` under its id."""

    model_config = _API
    id: str = Field(description="Stable route id, e.g. `aama.cma.category-1`.")
    status: Status = Field(description="met, unmet or unknown.")
    coverage: Coverage = Field(description="How much of the route the rule set encodes.")
    criteria: list[CriterionResult] = Field(description="Every criterion of the route, in order.")
    groups: list[GroupResult] = Field(description="Groups of alternatives in the route.")
    cautions: list[CriterionResult] = Field(
        description="Requirements only secondary sources state: shown with their source, never deciding the route."
    )
    feasibility: Feasibility | None = Field(
        description="For an encoded route not met: possible, or precluded (a shortfall says why). Null otherwise."
    )
    effort: Effort | None = Field(description="The greatest effort among its shortfalls.")
    shortfalls: list[Shortfall] | None = Field(description="For an encoded route not met: what it still needs.")


class NotEvaluated(BaseModel):
    """A condition of the route that the service states but does not decide."""

    model_config = _API
    text: str = Field(description="The condition.")
    cite: list[CiteRef] = Field(description="Its sources.")


class CriterionInfo(BaseModel):
    """What an answer says once about a criterion it lists."""

    model_config = _API
    label: str = Field(description="What it requires, in words.")
    required: Requirement = Field(description="What it requires on `as_of`, as data.")
    cite: list[CiteRef] = Field(description="Its sources, by key in `sources`.")
    verification: str = Field(description="Key of its verification level in `verifications`.")


class RouteInfo(BaseModel):
    """What an answer says once about a route it lists."""

    model_config = _API
    label: str = Field(description="Name of the route.")
    verification: str = Field(description="Key of its verification level in `verifications`.")
    reason: str | None = Field(None, description="For a route not fully encoded: why.")
    cite: list[CiteRef] | None = Field(None, description="Sources of a route not fully encoded.")
    not_evaluated: list[NotEvaluated] | None = Field(None, description="Conditions stated but not decided.")


class GroupInfo(BaseModel):
    """What an answer says once about a group of alternatives."""

    model_config = _API
    label: str = Field(description="What the group requires.")


class DerivationInfo(BaseModel):
    """What an answer says once about a derived fact (`rules/derivations.yaml`) that decided a criterion."""

    model_config = _API
    label: str = Field(description="What follows from what, in words.")
    cite: list[CiteRef] = Field(description="Its sources, by key in `sources`.")
    verification: str = Field(description="Key of its verification level in `verifications`.")


class Definitions(BaseModel):
    """The criteria, routes, groups and derived facts an answer lists, each described once, by id."""

    model_config = _API
    criteria: dict[str, CriterionInfo] = Field(description="By criterion id.")
    routes: dict[str, RouteInfo] = Field(description="By route id.")
    groups: dict[str, GroupInfo] = Field(description="By group id.")
    derivations: dict[str, DerivationInfo] = Field(
        default_factory=dict,
        description="By derivation id: each derived fact a criterion's `measured.derived_by` names, with its sources.",
    )


class CredentialResult(GuidanceFields):
    """One credential, evaluated, with what to do and from when."""

    model_config = _API
    id: str = Field(description="Credential id, e.g. `aama.cma`.")
    name: str = Field(description="Name of the credential.")
    designation: str = Field(description="Post-nominal designation, e.g. `CMA (AAMA)`.")
    status: Verdict = Field(description="eligible, ineligible or undetermined.")
    eligible_routes: list[str] = Field(description="Ids of the routes that are met.")
    inputs_needed: list[str] = Field(description="Inputs that could still decide an undetermined credential.")
    undetermined_reasons: list[Reason] = Field(description="Why an undetermined credential is open.")
    nearest_route: str | None = Field(
        description="When not eligible: the possible route that takes least (by effort, then facts not given, then "
        "fewest shortfalls, then file order); never a precluded route."
    )
    missing_criteria: list[str] = Field(description="Criteria (or groups) of the nearest route that are not met.")
    verification: str = Field(description="Key of the credential's overall verification level in `verifications`.")
    routes: list[RouteResult] | None = Field(
        description="Every route in effect on `as_of`: encoded routes, then routes the rule set cannot fully decide "
        "(`coverage`). Null with `detail: summary`."
    )
    body: CertifyingBody | None = Field(None, description="Certifying body (`detail: full`).")
    family: str | None = Field(None, description="Credential family, e.g. `medical-assistant` (`detail: full`).")
    summary: str | None = Field(None, description="What the credential is (`detail: full`).")


class StateNote(BaseModel):
    """A state licensing rule concerning some credential families."""

    model_config = _API
    id: str = Field(description="Stable note id, e.g. `state.wa.ma-certified`.")
    title: str = Field(description="Short title.")
    kind: StateNoteKind = Field(description="What the state requires.")
    families: list[str] = Field(description="Credential families the note concerns.")
    summary: str = Field(description="What the rule says.")
    accepts: list[str] = Field(description="National credentials the state accepts as a pathway.")
    cite: list[CiteRef] = Field(description="Sources, by key in `sources`.")
    verification: str = Field(description="Key of its verification level in `verifications`.")
    effective: Effective | None = Field(description="When the rule is in effect, if limited.")


class StateResult(BaseModel):
    """Licensing notes of the requested state that concern the credentials evaluated."""

    model_config = _API
    code: str = Field(description="USPS code.")
    name: str = Field(description="Name of the state or territory.")
    researched: bool = Field(description="False when the rule set has no file for this state yet.")
    summary: str | None = Field(description="Overview of the state's rules.")
    notes: list[StateNote] = Field(description="Notes concerning the evaluated credentials' families.")


class EligibilityResponse(BaseModel):
    """Every credential evaluated, with the reasons. Sources and verification levels are listed once and
    referenced by key from criteria, routes and notes."""

    model_config = _API
    as_of: dt.date = Field(description="The evaluation date used.")
    language: Language = Field(description="The language of the text fields (also `Content-Language`).")
    detail: Detail = Field(description="How much the answer explains.")
    rules: RulesInfo = Field(description="The rule set used.")
    eligible: list[str] = Field(description="Ids of the credentials the applicant is eligible for.")
    credentials: list[CredentialResult] = Field(description="Each evaluated credential, in catalogue order.")
    state: StateResult | None = Field(description="Licensing notes for the requested state, if a state was given.")
    definitions: Definitions = Field(description="The criteria, routes and groups listed, each described once.")
    sources: dict[str, Source] = Field(description="Every source the answer cites, by key.")
    verifications: dict[str, Verification] = Field(description="Every verification level the answer uses, by key.")


# ------------------------------------------------------------------------------------------- catalogue


class RouteRef(BaseModel):
    """A route, by id and name."""

    model_config = _API
    id: str = Field(description="Route id.")
    label: str = Field(description="Route name.")
    coverage: Coverage = Field(description="How much of the route the rule set encodes.")


class CredentialSummary(BaseModel):
    """A credential in the catalogue."""

    model_config = _API
    id: str = Field(description="Credential id.")
    name: str = Field(description="Name.")
    designation: str = Field(description="Post-nominal designation.")
    body: CertifyingBody = Field(description="Certifying body.")
    family: str = Field(description="Credential family.")
    summary: str = Field(description="What the credential is and who it is for.")
    routes: list[RouteRef] = Field(description="Its routes.")
    verification: Verification = Field(description="How firm its rules are overall.")


class CredentialList(BaseModel):
    """The catalogue."""

    model_config = _API
    language: Language = Field(description="The language of the text fields.")
    rules: RulesInfo = Field(description="The rule set.")
    credentials: list[CredentialSummary] = Field(description="Every credential.")


class RequirementVersion(BaseModel):
    """What a criterion requires during a period (both days inclusive; null: open-ended)."""

    model_config = _API
    required: Requirement = Field(description="The requirement in this period, as data (no date window).")
    required_text: str = Field(description="The requirement in words.")
    from_: dt.date | None = Field(alias="from", description="First day in effect.")
    to: dt.date | None = Field(description="Last day in effect.")


class CriterionDefinition(BaseModel):
    """A criterion as defined in the rule set."""

    model_config = _API
    id: str = Field(description="Stable criterion id.")
    label: str = Field(description="What it requires.")
    scope: CriterionScope = Field(description="Whether the criterion reads the applicant or one of their records.")
    inputs: list[str] = Field(description="Applicant inputs it reads.")
    group: str | None = Field(description="Group of alternatives it belongs to in this route.")
    versions: list[RequirementVersion] = Field(description="The requirement over time.")
    note: str | None = Field(description="Notes on interpretation.")
    incomplete: str | None = Field(
        description="When the criterion is only the known part of a requirement whose full terms are not stated: why."
    )
    effective: Effective | None = Field(description="When the criterion is in effect, if limited.")
    citations: list[Citation] = Field(description="Sources.")
    verification: Verification = Field(description="How firm it is.")


class GroupRef(BaseModel):
    """A group of alternatives within a route, by id and label."""

    model_config = _API
    id: str = Field(description="Group id.")
    label: str = Field(description="What the group requires.")


class CatalogueNotEvaluated(BaseModel):
    """A condition of a route that the service states but does not decide."""

    model_config = _API
    text: str = Field(description="The condition.")
    citations: list[Citation] = Field(description="Its sources.")


class RouteDefinition(BaseModel):
    """A route as defined in the rule set."""

    model_config = _API
    id: str = Field(description="Route id.")
    label: str = Field(description="Route name.")
    summary: str | None = Field(description="Who the route is for.")
    coverage: Coverage = Field(description="How much of the route the rule set encodes.")
    reason: str | None = Field(description="For a route not fully encoded: why.")
    effective: Effective | None = Field(description="When the route is in effect, if limited.")
    verification: Verification = Field(description="How firm it is.")
    criteria: list[CriterionDefinition] = Field(
        description="Its criteria, in order (for a route not fully encoded, its gate)."
    )
    groups: list[GroupRef] = Field(description="Its groups of alternatives.")
    cautions: list[CriterionDefinition] = Field(description="Requirements shown with their source that never decide.")
    not_evaluated: list[CatalogueNotEvaluated] = Field(description="Conditions stated but not decided by the service.")
    citations: list[Citation] = Field(description="Sources of a route not fully encoded.")


class DatedValue(BaseModel):
    """A fact's value during a period (both days inclusive; null: open-ended)."""

    model_config = _API
    value: str | int | float | bool = Field(description="The value in this period.")
    from_: dt.date | None = Field(alias="from", description="First day in effect.")
    to: dt.date | None = Field(description="Last day in effect.")


class CatalogueFact(BaseModel):
    """A fact users compare (exam, fees, renewal), cited."""

    model_config = _API
    topic: FactTopic = Field(description="What the fact is about.")
    label: str = Field(description="What the value is.")
    value: str | int | float | bool | list[DatedValue] = Field(description="The value, or its values over time.")
    unit: str | None = Field(description="Unit of the value.")
    note: str | None = Field(description="Qualifications.")
    citations: list[Citation] = Field(description="Sources.")
    verification: Verification = Field(description="How firm it is.")


class SourceRef(BaseModel):
    """A document a credential's rules cite."""

    model_config = _API
    id: str = Field(description="Source id within the credential's rule file.")
    title: str = Field(description="Title.")
    url: str = Field(description="Address.")
    source_kind: SourceKind = Field(description="Official or secondary.")
    retrieved: dt.date = Field(description="When the maintainers last read it.")


class CredentialDetail(BaseModel):
    """A credential with every route, criterion, citation and catalogue fact."""

    model_config = _API
    id: str = Field(description="Credential id.")
    name: str = Field(description="Name.")
    designation: str = Field(description="Post-nominal designation.")
    body: CertifyingBody = Field(description="Certifying body.")
    family: str = Field(description="Credential family.")
    summary: str = Field(description="What the credential is and who it is for.")
    verification: Verification = Field(description="How firm its rules are overall.")
    language: Language = Field(description="The language of the text fields.")
    rules: RulesInfo = Field(description="The rule set.")
    routes: list[RouteDefinition] = Field(description="Every route, encoded ones first.")
    facts: list[CatalogueFact] = Field(description="Exam, fee and renewal facts.")
    uncertain: list[str] = Field(description="What the rule set could not confirm.")
    sources: list[SourceRef] = Field(description="Every source the file cites.")


class CatalogueStateNote(BaseModel):
    """A state licensing rule, with its citations and verification level."""

    model_config = _API
    id: str = Field(description="Stable note id, e.g. `state.wa.ma-certified`.")
    title: str = Field(description="Short title.")
    kind: StateNoteKind = Field(description="What the state requires.")
    families: list[str] = Field(description="Credential families the note concerns.")
    summary: str = Field(description="What the rule says.")
    accepts: list[str] = Field(description="National credentials the state accepts as a pathway.")
    citations: list[Citation] = Field(description="Sources.")
    verification: Verification = Field(description="How firm the note is.")
    effective: Effective | None = Field(description="When the rule is in effect, if limited.")


class StateDetail(BaseModel):
    """A state's licensing notes."""

    model_config = _API
    code: str = Field(description="USPS code.")
    name: str = Field(description="Name.")
    researched: bool = Field(description="False when the rule set has no file for this state yet.")
    summary: str | None = Field(description="Overview.")
    notes: list[CatalogueStateNote] = Field(description="Every note.")
    unconfirmed: list[str] = Field(description="What could not be confirmed for this state.")
    language: Language = Field(description="The language of the text fields.")
    rules: RulesInfo = Field(description="The rule set.")


class Health(BaseModel):
    """Liveness."""

    model_config = _API
    status: Literal["ok"] = Field(description="Always `ok` when the process answers.")
    rules: RulesInfo = Field(description="The loaded rule set.")


class Readiness(BaseModel):
    """Whether the service should receive traffic."""

    model_config = _API
    status: ReadinessStatus = Field(description="`unavailable` while starting or shutting down.")
    rules: RulesInfo = Field(description="The rule set being served.")
    rules_on_disk: RulesOnDisk = Field(description="Whether the rule files on disk are the ones served.")


# ------------------------------------------------------------------------------------------- requests


EXAMPLES_PATH = Path(__file__).resolve().parent.parent / "openapi" / "examples.json"


def load_examples(book: Rulebook) -> dict[str, Any] | None:
    """The spec's request examples (cases of the bundled rule fixtures, copied there by ``python -m api.spec``),
    or ``None`` when they do not fit the rule set being served (another rule set's credentials or vocabulary)."""
    try:
        examples = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
        requests = [examples["eligibility"]["value"], examples["batch"]["value"]]
        if any(cid not in book.credential_ids for r in requests for cid in r.get("credentials", ())):
            return None
        applicants = [requests[0]["applicant"], *(item["applicant"] for item in requests[1]["items"])]
        for applicant in applicants:
            book.parse_applicant(applicant)
    except (OSError, ValueError, KeyError, TypeError):  # pydantic's ValidationError is a ValueError
        return None
    return examples


class RequestModels:
    """Request models built for one rule set (their enums come from its files)."""

    def __init__(self, book: Rulebook) -> None:
        self.CredentialId = make_enum(
            "CredentialId", book.credential_ids, "A credential this rule set evaluates (its catalogue id)."
        )
        self.StateCode = make_enum(
            "StateCode", book.state_codes, "USPS code of a US state, the District of Columbia or a territory."
        )
        applicant_model = book.models.Applicant
        credential_id = self.CredentialId
        # `wa` is `WA`, as in GET /v1/states/{code}; the spec keeps the upper-case enum.
        state_code = Annotated[self.StateCode, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]
        examples = load_examples(book)
        single_examples = {"examples": [examples["eligibility"]["value"]]} if examples else None
        batch_examples = {"examples": [examples["batch"]["value"]]} if examples else None

        class EligibilityRequest(BaseModel):
            """What to evaluate: the applicant's facts, on which date, for which credentials."""

            model_config = ConfigDict(extra="forbid", json_schema_extra=single_examples)
            as_of: IsoDate | None = Field(
                None,
                description="Evaluation date (YYYY-MM-DD). Default: today in UTC. Time windows end on it.",
            )
            state: state_code | None = Field(  # type: ignore[valid-type]
                None, description="USPS code of a state, DC or territory, for its licensing notes."
            )
            credentials: Annotated[list[credential_id], Field(min_length=1, max_length=100)] | None = Field(  # type: ignore[valid-type]
                None, description="Evaluate only these credentials (default: all)."
            )
            detail: Detail = Field(
                Detail.SUMMARY,
                description="How much the answer explains: `summary` (default: each credential in brief, with its "
                "nearest route and what is missing), `standard` (every route and criterion), `full` or `trace`.",
            )
            lang: Language | None = Field(  # type: ignore[valid-type]
                None, description="Language of the text fields; overrides `Accept-Language` (default English)."
            )
            applicant: applicant_model = Field(description="The applicant's facts; every field is optional.")  # type: ignore[valid-type]

        EligibilityRequest.__module__ = __name__
        self.EligibilityRequest = EligibilityRequest

        item_applicant = Annotated[
            dict[str, Any],
            WithJsonSchema(
                {
                    "anyOf": [{"$ref": "#/components/schemas/Applicant"}, {"type": "object"}],
                    "description": (
                        "The applicant's facts, as in `Applicant`. An item whose facts are invalid gets its own "
                        "`problem` in the results; it does not fail the batch."
                    ),
                }
            ),
        ]

        class BatchItem(BaseModel):
            """One applicant of a batch."""

            model_config = ConfigDict(extra="forbid")
            id: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
                description=(
                    "Your identifier for the item, echoed in its result. Results come back in input order; keep "
                    "ids unique if you match results by id."
                )
            )
            applicant: item_applicant = Field(description="The applicant's facts.")

        class BatchRequest(BaseModel):
            """Many applicants evaluated on one date against the same credentials."""

            model_config = ConfigDict(
                extra="forbid",
                json_schema_extra=batch_examples,
            )
            as_of: IsoDate | None = Field(None, description="Evaluation date for every item (default: today, UTC).")
            state: state_code | None = Field(  # type: ignore[valid-type]
                None, description="USPS code of a state for its licensing notes (reported once)."
            )
            credentials: Annotated[list[credential_id], Field(min_length=1, max_length=100)] | None = Field(  # type: ignore[valid-type]
                None, description="Evaluate only these credentials (default: all)."
            )
            detail: Detail = Field(
                Detail.SUMMARY,
                description="`summary` (default): each credential in brief; `standard`, `full`, `trace`: also every "
                "route and criterion, as in the single-applicant answer (bounded: see the service's limits).",
            )
            lang: Language | None = Field(  # type: ignore[valid-type]
                None, description="Language of the text fields; overrides `Accept-Language` (default English)."
            )
            items: Annotated[list[BatchItem], Field(min_length=1, max_length=MAX_BATCH)] = Field(
                description=f"The applicants, at most {MAX_BATCH:,} (the service may be configured lower)."
            )

        BatchItem.__module__ = __name__
        BatchRequest.__module__ = __name__
        self.BatchRequest = BatchRequest


def build_request_models(book: Rulebook) -> RequestModels:
    return RequestModels(book)


# ------------------------------------------------------------------------------------------- batch


class CredentialBrief(GuidanceFields):
    """One credential for one batch item, in brief, with what to do and from when."""

    model_config = _API
    id: str = Field(description="Credential id.")
    status: Verdict = Field(description="eligible, ineligible or undetermined.")
    eligible_routes: list[str] = Field(description="Ids of the routes met.")
    inputs_needed: list[str] = Field(description="Inputs that could still decide an undetermined credential.")
    undetermined_reasons: list[Reason] = Field(description="Why an undetermined credential is open.")
    nearest_route: str | None = Field(
        description="When not eligible: the possible route that takes least (see the single answer)."
    )
    missing_criteria: list[str] = Field(
        description="Criteria (or groups of alternatives) of the nearest route that are not met."
    )


class ItemProblem(BaseModel):
    """Why one batch item could not be evaluated (the other items are unaffected)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="URI identifying the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The status this item alone would have had (422).")
    detail: str = Field(description="Which fields are invalid.")
    errors: list[FieldError] = Field(description="Each invalid field, named from the item: `applicant.programs[0]...`.")


class BatchItemResult(BaseModel):
    """The result for one batch item: `ok` with its outcomes, or a problem."""

    model_config = _API
    id: str = Field(description="The item's id, as sent.")
    ok: bool = Field(description="False when the item's facts were invalid; see `problem`.")
    eligible: list[str] | None = Field(description="Credentials the applicant is eligible for (null if not ok).")
    credentials: list[CredentialBrief] | None = Field(description="Each credential, in brief (null if not ok).")
    details: list[CredentialResult] | None = Field(
        description="Beyond `detail: summary`: every route and criterion, as in the single-applicant answer; else null."
    )
    definitions: Definitions | None = Field(description="With `details`: the criteria, routes and groups listed.")
    sources: dict[str, Source] | None = Field(description="With `details`: the sources they cite, by key.")
    verifications: dict[str, Verification] | None = Field(
        description="With `details`: the verification levels they use, by key."
    )
    problem: ItemProblem | None = Field(description="Why the item could not be evaluated (null if ok).")


class BatchState(StateResult):
    """The requested state's notes, with the sources and levels they reference."""

    sources: dict[str, Source] = Field(description="The sources the notes cite, by key.")
    verifications: dict[str, Verification] = Field(description="The verification levels of the notes, by key.")


class BatchResponse(BaseModel):
    """Results in input order."""

    model_config = _API
    as_of: dt.date = Field(description="The evaluation date used for every item.")
    language: Language = Field(description="The language of the text fields.")
    detail: Detail = Field(description="How much each item explains.")
    rules: RulesInfo = Field(description="The rule set used.")
    count: int = Field(description="Items received.")
    succeeded: int = Field(description="Items evaluated.")
    failed: int = Field(description="Items with a problem.")
    state: BatchState | None = Field(description="Licensing notes for the requested state, if any.")
    items: list[BatchItemResult] = Field(description="One result per item, in input order.")
