"""Request and response models: the API contract and the source of ``openapi/openapi.json``.

Response bodies are produced by the engine as plain JSON (see ``engine._results``); these models describe
that JSON for the spec and generated SDKs, and the tests check that real responses conform to them.
Identifiers in responses (credential ids, families) are plain strings so that an older client keeps
working when the rule set grows; request fields that select from a closed set are enums built from the
rule set's vocabularies.
"""

import datetime as dt
import enum
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from engine import Rulebook
from engine._vocab import make_enum
from engine.applicant import IsoDate

from .problems import FieldError

MAX_BATCH = 10_000

__all__ = [
    "EXAMPLES_PATH",
    "MAX_BATCH",
    "CredentialDetail",
    "CredentialList",
    "EligibilityResponse",
    "Health",
    "RequestModels",
    "StateDetail",
    "build_request_models",
    "load_examples",
]


_API = ConfigDict(extra="forbid", populate_by_name=True)


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


class CriterionStatus(enum.StrEnum):
    """met / unmet, or unknown when the facts given do not decide it."""

    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"


class CredentialStatus(enum.StrEnum):
    """eligible: some route is met. ineligible: every route is unmet. undetermined: neither, yet."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


class StateNoteKind(enum.StrEnum):
    """What a state requires of a credential family."""

    LICENSE = "license"
    CERTIFICATION = "certification"
    REGISTRATION = "registration"
    PERMIT = "permit"
    EXEMPT = "exempt"
    NO_STATE_REQUIREMENT = "no-state-requirement"
    INFORMATIONAL = "informational"


class FactTopic(enum.StrEnum):
    """What a catalogue fact is about."""

    EXAM = "exam"
    FEE = "fee"
    RENEWAL = "renewal"
    CONTINUING_EDUCATION = "continuing-education"
    ATTEMPTS = "attempts"
    OTHER = "other"


class CriterionScope(enum.StrEnum):
    """applicant: decided once per applicant; program/degree: decided per record, all on the same record."""

    APPLICANT = "applicant"
    PROGRAM = "program"
    DEGREE = "degree"


class BatchDetail(enum.StrEnum):
    """`summary`: each credential in brief; `full`: also every route and criterion."""

    SUMMARY = "summary"
    FULL = "full"


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


class RouteCoverage(enum.StrEnum):
    """`full`: the route is encoded from its source. `gate`: only who the route is for is encoded (its other
    criteria were not published or not retrieved); `none`: nothing of it is. A route that is not `full` is never
    met: it is unmet when its gate fails, otherwise unknown, so a credential with such a route is never
    ineligible."""

    FULL = "full"
    GATE = "gate"
    NONE = "none"


class Verification(BaseModel):
    """How firm a rule is."""

    model_config = _API
    source: SourceKind = Field(description="Kind of source the rule rests on.")
    confidence: Confidence = Field(description="How confident the rule set's reference is in it.")
    provisional: bool = Field(
        description="True when the rule rests on a source known to be superseded or partial, until the current text is "
        "retrieved."
    )
    note: str | None = Field(description="What is uncertain, if anything.")


class Citation(BaseModel):
    """Where a rule comes from."""

    model_config = _API
    title: str = Field(description="Title of the cited document.")
    url: str = Field(description="Address of the cited document.")
    pinpoint: str | None = Field(description="Section, category or passage within the document.")
    source_kind: SourceKind = Field(description="Official or secondary source.")
    retrieved: dt.date = Field(description="When the maintainers last read the document.")


class CertifyingBody(BaseModel):
    """The organization that awards a credential."""

    model_config = _API
    id: str = Field(description="Body id, e.g. `aama`.")
    name: str = Field(description="Name of the certifying body.")
    url: str = Field(description="Web site.")


class CriterionResult(BaseModel):
    """One criterion of one route, evaluated."""

    model_config = _API
    id: str = Field(description="Stable criterion id, e.g. `aama.cma.accredited-caahep-abhes`.")
    label: str = Field(description="What the criterion requires, in plain English.")
    status: CriterionStatus = Field(description="met, unmet or unknown.")
    required: str = Field(description="The required value, e.g. `at least 720` or `one of CAAHEP, ABHES`.")
    actual: str | None = Field(description="The applicant's value, when known.")
    item: str | None = Field(description="The record it was evaluated on, e.g. `programs[0]`.")
    group: str | None = Field(description="Id of the group of alternatives this criterion belongs to, if any.")
    missing_inputs: list[str] = Field(description="Inputs that would decide an unknown criterion.")
    message: str = Field(description="Plain-English explanation.")
    citations: list[Citation] = Field(description="Sources of the criterion.")
    verification: Verification = Field(description="How firm the criterion is.")


class GroupResult(BaseModel):
    """A group of alternatives within a route: met when any member is met."""

    model_config = _API
    id: str = Field(description="Stable group id.")
    label: str = Field(description="What the group requires.")
    status: CriterionStatus = Field(description="Status of the group.")


class NotEvaluated(BaseModel):
    """A condition of the route that the service states but does not decide."""

    model_config = _API
    text: str = Field(description="The condition.")
    citations: list[Citation] = Field(description="Its sources.")


class RouteResult(BaseModel):
    """One route (pathway) to a credential, evaluated: met only when every entry is met."""

    model_config = _API
    id: str = Field(description="Stable route id, e.g. `aama.cma.category-1`.")
    label: str = Field(description="Name of the route.")
    status: CriterionStatus = Field(description="met, unmet or unknown.")
    coverage: RouteCoverage = Field(description="How much of the route the rule set encodes.")
    reason: str | None = Field(description="For a route not fully encoded: why.")
    verification: Verification = Field(description="How firm the route is.")
    criteria: list[CriterionResult] = Field(description="Every criterion of the route, in order.")
    groups: list[GroupResult] = Field(description="Groups of alternatives in the route.")
    cautions: list[CriterionResult] = Field(
        description="Requirements only secondary sources state: shown with their source, never deciding the route."
    )
    not_evaluated: list[NotEvaluated] = Field(description="Conditions stated but not decided by the service.")
    citations: list[Citation] = Field(description="Sources of a route not fully encoded (its criteria cite theirs).")


class UndeterminedReason(enum.StrEnum):
    """Why an undetermined credential is not decided: `missing-inputs` (facts not given; see `inputs_needed`),
    `unencoded-route` (a route the rule set cannot decide remains open), `requirement-not-stated` (the source
    does not state a requirement's full terms), `source-undecided` (the source does not say whether a value
    given counts)."""

    MISSING_INPUTS = "missing-inputs"
    UNENCODED_ROUTE = "unencoded-route"
    REQUIREMENT_NOT_STATED = "requirement-not-stated"
    SOURCE_UNDECIDED = "source-undecided"


class CredentialResult(BaseModel):
    """One credential, evaluated."""

    model_config = _API
    id: str = Field(description="Credential id, e.g. `aama.cma`.")
    name: str = Field(description="Name of the credential.")
    designation: str = Field(description="Post-nominal designation, e.g. `CMA (AAMA)`.")
    body: CertifyingBody = Field(description="Certifying body.")
    family: str = Field(description="Credential family, e.g. `medical-assistant`.")
    status: CredentialStatus = Field(description="eligible, ineligible or undetermined.")
    eligible_routes: list[str] = Field(description="Ids of the routes that are met.")
    inputs_needed: list[str] = Field(description="Inputs that could still decide an undetermined credential.")
    undetermined_reasons: list[UndeterminedReason] = Field(description="Why an undetermined credential is open.")
    verification: Verification = Field(description="How firm the credential's rules are overall.")
    routes: list[RouteResult] = Field(
        description="Every route in effect on `as_of`, with every criterion: encoded routes, then routes the rule set "
        "cannot fully decide (`coverage`)."
    )


class Effective(BaseModel):
    """Dates something is in effect, both inclusive; null means open-ended."""

    model_config = _API
    from_: dt.date | None = Field(alias="from", description="First day in effect.")
    to: dt.date | None = Field(description="Last day in effect.")


class StateNote(BaseModel):
    """A state licensing rule concerning some credential families."""

    model_config = _API
    id: str = Field(description="Stable note id, e.g. `state.wa.ma-certified`.")
    title: str = Field(description="Short title.")
    kind: Literal[
        "license",
        "certification",
        "registration",
        "permit",
        "exempt",
        "no-state-requirement",
        "informational",
    ] = Field(description="What the state requires.")
    families: list[str] = Field(description="Credential families the note concerns.")
    summary: str = Field(description="What the rule says.")
    accepts: list[str] = Field(description="National credentials the state accepts as a pathway.")
    citations: list[Citation] = Field(description="Sources.")
    verification: Verification = Field(description="How firm the note is.")
    effective: Effective | None = Field(description="When the rule is in effect, if limited.")


class StateResult(BaseModel):
    """Licensing notes of the requested state that concern the credentials evaluated."""

    model_config = _API
    code: str = Field(description="USPS code.")
    name: str = Field(description="Name of the state or territory.")
    researched: bool = Field(description="False when the rule set has no file for this state yet.")
    summary: str | None = Field(description="Overview of the state's rules.")
    notes: list[StateNote] = Field(description="Notes concerning the evaluated credentials' families.")


class RulesInfo(BaseModel):
    """Which rule set produced the answer: pin it to reproduce a result."""

    model_config = _API
    name: str = Field(description="Name of the rule set.")
    version: str = Field(description="Semantic version of the rule set.")
    digest: str = Field(description="SHA-256 of the rule files, `sha256:<hex>`.")
    id: str = Field(description="Version with the digest as build metadata; also the `X-Rules-Version` header.")


class EligibilityResponse(BaseModel):
    """Every credential evaluated, with the reasons."""

    model_config = _API
    as_of: dt.date = Field(description="The evaluation date used.")
    rules: RulesInfo = Field(description="The rule set used.")
    eligible: list[str] = Field(description="Ids of the credentials the applicant is eligible for.")
    credentials: list[CredentialResult] = Field(description="Each evaluated credential, in catalogue order.")
    state: StateResult | None = Field(description="Licensing notes for the requested state, if a state was given.")


# ------------------------------------------------------------------------------------------- catalogue


class RouteRef(BaseModel):
    """A route, by id and name."""

    model_config = _API
    id: str = Field(description="Route id.")
    label: str = Field(description="Route name.")


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
    rules: RulesInfo = Field(description="The rule set.")
    credentials: list[CredentialSummary] = Field(description="Every credential.")


class RequirementVersion(BaseModel):
    """What a criterion requires during a period (both days inclusive; null: open-ended)."""

    model_config = _API
    required: str = Field(description="The requirement in this period.")
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


class RouteDefinition(BaseModel):
    """A route as defined in the rule set."""

    model_config = _API
    id: str = Field(description="Route id.")
    label: str = Field(description="Route name.")
    summary: str | None = Field(description="Who the route is for.")
    coverage: RouteCoverage = Field(description="How much of the route the rule set encodes.")
    reason: str | None = Field(description="For a route not fully encoded: why.")
    effective: Effective | None = Field(description="When the route is in effect, if limited.")
    verification: Verification = Field(description="How firm it is.")
    criteria: list[CriterionDefinition] = Field(
        description="Its criteria, in order (for a route not fully encoded, its gate)."
    )
    groups: list[GroupRef] = Field(description="Its groups of alternatives.")
    cautions: list[CriterionDefinition] = Field(description="Requirements shown with their source that never decide.")
    not_evaluated: list[NotEvaluated] = Field(description="Conditions stated but not decided by the service.")
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
    routes: list[RouteDefinition] = Field(description="Every route, encoded ones first.")
    facts: list[CatalogueFact] = Field(description="Exam, fee and renewal facts.")
    uncertain: list[str] = Field(description="What the rule set could not confirm.")
    sources: list[SourceRef] = Field(description="Every source the file cites.")


class StateDetail(BaseModel):
    """A state's licensing notes."""

    model_config = _API
    code: str = Field(description="USPS code.")
    name: str = Field(description="Name.")
    researched: bool = Field(description="False when the rule set has no file for this state yet.")
    summary: str | None = Field(description="Overview.")
    notes: list[StateNote] = Field(description="Every note.")
    unconfirmed: list[str] = Field(description="What could not be confirmed for this state.")


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
        state_code = self.StateCode
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
            detail: BatchDetail = Field(
                BatchDetail.SUMMARY,
                description="`summary`: each credential in brief; `full`: also every route and criterion.",
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


class CredentialOutcome(BaseModel):
    """One credential for one batch item, in brief."""

    model_config = _API
    id: str = Field(description="Credential id.")
    status: CredentialStatus = Field(description="eligible, ineligible or undetermined.")
    eligible_routes: list[str] = Field(description="Ids of the routes met.")
    inputs_needed: list[str] = Field(description="Inputs that could still decide an undetermined credential.")
    undetermined_reasons: list[UndeterminedReason] = Field(description="Why an undetermined credential is open.")
    nearest_route: str | None = Field(
        description="When not eligible: the route with the fewest entries not met (ties: the closest status)."
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
    credentials: list[CredentialOutcome] | None = Field(description="Each credential, in brief (null if not ok).")
    details: list[CredentialResult] | None = Field(
        description="With `detail: full`: every route and criterion, as in the single-applicant answer; else null."
    )
    problem: ItemProblem | None = Field(description="Why the item could not be evaluated (null if ok).")


class BatchResponse(BaseModel):
    """Results in input order."""

    model_config = _API
    as_of: dt.date = Field(description="The evaluation date used for every item.")
    rules: RulesInfo = Field(description="The rule set used.")
    count: int = Field(description="Items received.")
    succeeded: int = Field(description="Items evaluated.")
    failed: int = Field(description="Items with a problem.")
    state: StateResult | None = Field(description="Licensing notes for the requested state, if any.")
    items: list[BatchItemResult] = Field(description="One result per item, in input order.")
