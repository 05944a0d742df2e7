"""The applicant's facts: the typed input of every evaluation.

The classes are built by :func:`build_models` from the rule set's vocabularies, so every enumerated field
is a closed set declared in ``rules/vocabulary.yaml``. Every field is optional: pre-screening often knows
little, and a missing fact makes the criteria that need it ``unknown`` rather than ``unmet``.

An absent list and an empty list mean different things: ``programs`` left out means "not asked", so
program criteria are ``unknown``; ``programs: []`` means "has none", so they are ``unmet``.

Validation is strict where JSON allows ambiguity (the traps durable-rules and pydantic's lax mode share):
dates must be ``YYYY-MM-DD`` strings, numbers must be JSON numbers (not ``"5"`` nor ``true``), booleans
must be ``true``/``false``, and unknown keys are rejected.
"""

import datetime as dt
import enum
import math
from dataclasses import dataclass
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._paths import FieldPath
from ._vocab import REQUIRED_VOCABULARIES, Vocabulary, make_enum

__all__ = [
    "ApplicantModels",
    "field_errors",
    "Count",
    "Hours",
    "IsoDate",
    "build_models",
]

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def invalid(reason: str, message: str, **values: str) -> PydanticCustomError:
    """A value the model refuses, with why as data: the error's type stays pydantic's ``value_error``, its
    context holds ``reason`` (one of :data:`REASONS`) and the values the message names; ``message`` (English,
    ``{value}`` fields from the context) is for tools and logs. The API words it from ``reason`` and the
    values in the reader's language, never from this text."""
    return PydanticCustomError("value_error", message, {"reason": reason, **values})


# Why a value is refused (``ctx["reason"]`` of a ``value_error``), beyond pydantic's own error types.
REASONS = (
    "date_time",  # a date-time where a date is expected
    "date_format",  # not a YYYY-MM-DD string
    "calendar_date",  # month or day out of range
    "date_range",  # outside MIN_DATE..MAX_DATE (values: low, high)
    "json_number",  # not a JSON number
    "finite_number",  # NaN or infinite
    "whole_number",  # a fraction where a count is expected
    "date_order",  # a record ends before it starts (values: field, start)
)


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise invalid("date_time", "expected a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise invalid("calendar_date", "not a calendar date (month or day out of range)") from None
    raise invalid("date_format", "expected a date as a YYYY-MM-DD string")


def _date_bounds(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        low, high = MIN_DATE.isoformat(), MAX_DATE.isoformat()
        raise invalid("date_range", "date must be between {low} and {high}", low=low, high=high)
    return value


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("json_number", "expected a JSON number")
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid("finite_number", "expected a finite number")
    return value


def _json_integer(value: Any) -> Any:
    value = _json_number(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise invalid("whole_number", "expected a whole number")
        return int(value)
    return value


def _date_order(field: str) -> PydanticCustomError:
    return invalid("date_order", "{field} is before {start}", field=field, start="start_date")


# The BeforeValidator must come after Field(...): nested the other way round, pydantic emits bogus
# "ge"/"le" keywords in the JSON schema instead of minimum/maximum.
# The pattern states the 1900-2100 bounds in the spec, so clients (and fuzzers) know them up front.
DATE_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
IsoDate = Annotated[
    dt.date,
    Field(json_schema_extra={"format": "date", "pattern": DATE_PATTERN}),
    BeforeValidator(_iso_date),
    AfterValidator(_date_bounds),
]
Hours = Annotated[float, Field(ge=0, le=100_000), BeforeValidator(_json_number)]
# A job's hours over its whole period: a century of every hour is 876,600. Guidance projects a job still going
# (its total so far grows at its average), and the tests evaluate that projected applicant again.
WorkHours = Annotated[float, Field(ge=0, le=1_000_000), BeforeValidator(_json_number)]
Count = Annotated[int, Field(ge=0, le=1_000_000), BeforeValidator(_json_integer)]
CreditHours = Annotated[float, Field(ge=0, le=1_000), BeforeValidator(_json_number)]
WeeklyHours = Annotated[float, Field(ge=0, le=168), BeforeValidator(_json_number)]
Weeks = Annotated[float, Field(ge=0, le=1_000), BeforeValidator(_json_number)]
Percent = Annotated[float, Field(ge=0, le=100), BeforeValidator(_json_number)]


class CertificationStatus(enum.StrEnum):
    """Whether a certification held is current."""

    ACTIVE = "active"
    LAPSED = "lapsed"


MAX_DEGREES = 20
MAX_PROGRAMS = 20
MAX_EXPERIENCE = 50
MAX_CERTIFICATIONS = 50


@dataclass(frozen=True)
class ApplicantModels:
    """The pydantic classes built for one rule set."""

    Applicant: type[BaseModel]
    HighSchool: type[BaseModel]
    Degree: type[BaseModel]
    SemesterHours: type[BaseModel]
    TrainingProgram: type[BaseModel]
    WorkExperience: type[BaseModel]
    CertificationHeld: type[BaseModel]
    enums: dict[str, type[enum.Enum]]
    CredentialRef: type[enum.Enum]


def build_models(vocabularies: dict[str, Vocabulary], credential_ids: list[str]) -> ApplicantModels:
    """Build the applicant classes for a rule set.

    Args:
        vocabularies: the validated vocabularies of ``rules/vocabulary.yaml``.
        credential_ids: ids of the credentials the rule set defines; together with the
            ``other_credential`` vocabulary they are what ``certifications[].credential`` accepts.
    """
    enums = {
        name: make_enum(class_name, list(vocabularies[name].values), vocabularies[name].description)
        for name, class_name in REQUIRED_VOCABULARIES.items()
    }
    HighSchoolCredential = enums["high_school_credential"]  # noqa: N806 - a class
    DegreeLevel = enums["degree_level"]  # noqa: N806 - a class
    DegreeField = enums["degree_field"]  # noqa: N806 - a class
    InstitutionAccreditation = enums["institution_accreditation"]  # noqa: N806 - a class
    Accreditor = enums["accreditor"]  # noqa: N806 - a class
    Discipline = enums["discipline"]  # noqa: N806 - a class
    ProgramStatus = enums["program_status"]  # noqa: N806 - a class
    ProgramAward = enums["program_award"]  # noqa: N806 - a class
    ProgramApproval = enums["program_approval"]  # noqa: N806 - a class
    ExperienceRole = enums["experience_role"]  # noqa: N806 - a class
    ExperienceSetting = enums["experience_setting"]  # noqa: N806 - a class
    LabArea = enums["lab_area"]  # noqa: N806 - a class
    credential_ref = make_enum(
        "CredentialRef",
        sorted(credential_ids) + sorted(vocabularies["other_credential"].values),
        "Any credential an applicant may hold: a credential this rule set evaluates (see CredentialId) or another "
        "known credential (the other_credential vocabulary).",
    )
    strict = ConfigDict(extra="forbid", use_enum_values=False, validate_default=False)

    class HighSchool(BaseModel):
        """High-school completion."""

        model_config = strict
        credential: HighSchoolCredential = Field(
            description="What the applicant holds: a diploma, a GED or state equivalency, or none."
        )
        date: IsoDate | None = Field(None, description="Date the diploma or equivalent was awarded.")

    class Degree(BaseModel):
        """A college degree."""

        model_config = strict
        level: DegreeLevel = Field(description="Degree level.")
        field: DegreeField | None = Field(None, description="Major or field of study, in the rule set's categories.")
        conferred_date: IsoDate | None = Field(None, description="Date the degree was conferred.")
        institution_accreditation: InstitutionAccreditation | None = Field(
            None, description="Institutional accreditation of the awarding college or university."
        )

    class SemesterHours(BaseModel):
        """College credit earned, in semester hours (multiply quarter hours by 2/3)."""

        model_config = strict
        total: CreditHours | None = Field(None, description="All college semester hours.")
        chemistry: CreditHours | None = Field(None, description="Semester hours of chemistry.")
        biology: CreditHours | None = Field(None, description="Semester hours of biology.")
        microbiology: CreditHours | None = Field(
            None, description="Semester hours of microbiology (also counted in biology)."
        )
        organic_or_biochemistry: CreditHours | None = Field(
            None,
            description="Semester hours of organic chemistry or biochemistry (also counted in chemistry).",
        )
        physics: CreditHours | None = Field(None, description="Semester hours of physics.")
        math: CreditHours | None = Field(None, description="Semester hours of mathematics.")

    class TrainingProgram(BaseModel):
        """A training or education program: a school program, an apprenticeship or a military course."""

        model_config = strict
        discipline: Discipline = Field(description="What the program trains for.")
        status: ProgramStatus | None = Field(
            None,
            description=(
                "Whether the program is completed or still in progress. Criteria read `completion_date` (the "
                "expected date while in progress); a status that contradicts it on the evaluation date (in "
                "progress with the date passed, completed with the date ahead) leaves them unknown."
            ),
        )
        start_date: IsoDate | None = Field(None, description="Date the applicant enrolled.")
        completion_date: IsoDate | None = Field(
            None,
            description="Date completed, or the expected completion date while in progress; not before start_date.",
        )
        accreditor: Accreditor | None = Field(
            None,
            description="Programmatic accreditor of the program (e.g. CAAHEP, ABHES, NAACLS), or `none`.",
        )
        accredited_from: IsoDate | None = Field(
            None,
            description=(
                "Give this only when the program's accreditation began after the applicant enrolled: the "
                "date accreditation began. Left out, the program counts as accredited throughout enrollment."
            ),
        )
        institution_accreditation: InstitutionAccreditation | None = Field(
            None,
            description="Accreditation of the school that offers the program (USDE/CHEA-recognized or not).",
        )
        approvals: list[ProgramApproval] | None = Field(
            None, max_length=20, description="Approvals the program holds from certifying bodies or states."
        )
        military: StrictBool | None = Field(
            None, description="True for a formal medical training program of the US Armed Forces."
        )
        postsecondary: StrictBool | None = Field(
            None, description="True when the program is offered at the postsecondary level."
        )
        award: ProgramAward | None = Field(None, description="What the program awards on completion.")
        clock_hours: Hours | None = Field(None, description="Total clock hours, externship included.")
        didactic_hours: Hours | None = Field(
            None, description="Classroom (academic contact) hours, practicum/externship excluded."
        )
        clinical_hours: Hours | None = Field(None, description="Externship, practicum or clinical hours.")
        duration_weeks: Weeks | None = Field(None, description="Length of the program in weeks.")
        venipunctures: Count | None = Field(None, description="Successful venipunctures performed in training.")
        capillary_punctures: Count | None = Field(
            None, description="Successful capillary (skin or finger) punctures performed in training."
        )
        ekgs: Count | None = Field(None, description="EKGs performed on live individuals in training.")
        injections: Count | None = Field(
            None, description="Successful injections (IM, ID or SC) performed in training."
        )
        arterial_punctures: Count | None = Field(None, description="Arterial punctures performed in training.")

        @model_validator(mode="after")
        def _dates(self) -> Self:
            if self.start_date and self.completion_date and self.completion_date < self.start_date:
                raise _date_order("completion_date")
            return self

    class WorkExperience(BaseModel):
        """A period of employment."""

        model_config = strict
        role: ExperienceRole = Field(description="What the applicant worked as.")
        start_date: IsoDate = Field(description="First day of the job.")
        end_date: IsoDate | None = Field(
            None, description="Last day of the job, not before start_date; leave out while ongoing."
        )
        hours_per_week: WeeklyHours | None = Field(None, description="Average hours worked per week.")
        total_hours: WorkHours | None = Field(
            None, description="Total hours worked in the period, when hours per week are not known."
        )
        supervised: StrictBool | None = Field(
            None, description="True when the work was supervised by a licensed or certified professional."
        )
        setting: ExperienceSetting | None = Field(None, description="Where the work was done.")
        lab_areas: list[LabArea] | None = Field(None, max_length=20, description="Clinical laboratory areas worked in.")
        lab_duties_percent: Percent | None = Field(
            None, description="Share of the job's hours spent on clinical laboratory duties, in percent (0-100)."
        )
        venipunctures: Count | None = Field(None, description="Documented successful venipunctures on the job.")
        capillary_punctures: Count | None = Field(
            None, description="Documented successful capillary (skin) punctures on the job."
        )
        ekgs: Count | None = Field(None, description="Documented EKGs performed on the job.")
        arterial_punctures: Count | None = Field(None, description="Documented arterial punctures on the job.")

        @model_validator(mode="after")
        def _dates(self) -> Self:
            if self.end_date and self.end_date < self.start_date:
                raise _date_order("end_date")
            return self

    class CertificationHeld(BaseModel):
        """A certification the applicant holds or held."""

        model_config = strict
        credential: credential_ref = Field(description="Credential id, e.g. `ascp.mlt`.")
        earned_date: IsoDate | None = Field(None, description="Date the credential was first earned.")
        status: CertificationStatus | None = Field(
            None, description="Whether the credential is current (`active`) or has lapsed."
        )

    class Applicant(BaseModel):
        """What is known about the applicant. Every field is optional."""

        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [
                    {
                        "birth_date": "2001-04-09",
                        "high_school": {"credential": "diploma", "date": "2019-06-14"},
                        "programs": [
                            {
                                "discipline": "medical-assisting",
                                "status": "completed",
                                "completion_date": "2026-05-15",
                                "accreditor": "CAAHEP",
                                "clock_hours": 900,
                                "clinical_hours": 180,
                            }
                        ],
                    }
                ]
            },
        )
        birth_date: IsoDate | None = Field(None, description="Date of birth (used only to compute age).")
        high_school: HighSchool | None = Field(None, description="High-school diploma or equivalent.")
        degrees: list[Degree] | None = Field(None, max_length=MAX_DEGREES, description="College degrees.")
        semester_hours: SemesterHours | None = Field(None, description="College credit by subject.")
        programs: list[TrainingProgram] | None = Field(
            None, max_length=MAX_PROGRAMS, description="Training programs, completed or in progress."
        )
        work_experience: list[WorkExperience] | None = Field(
            None, max_length=MAX_EXPERIENCE, description="Employment history."
        )
        certifications: list[CertificationHeld] | None = Field(
            None, max_length=MAX_CERTIFICATIONS, description="Certifications held now or in the past."
        )

    for model in (
        HighSchool,
        Degree,
        SemesterHours,
        TrainingProgram,
        WorkExperience,
        CertificationHeld,
        Applicant,
    ):
        model.__module__ = __name__

    return ApplicantModels(
        Applicant=Applicant,
        HighSchool=HighSchool,
        Degree=Degree,
        SemesterHours=SemesterHours,
        TrainingProgram=TrainingProgram,
        WorkExperience=WorkExperience,
        CertificationHeld=CertificationHeld,
        enums=enums,
        CredentialRef=credential_ref,
    )


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """Field errors of a validation failure, without the input values (they are personal data), each field
    named as the API names it (under ``prefix``): ``applicant.programs[0].clock_hours``.

    Each is ``{"field", "type", "ctx", "message"}``: pydantic's error type, its context (the limits and
    reasons, never the input: only numbers and strings are kept), and its English message for tools; the API
    words the error from ``type`` and ``ctx`` in the reader's language."""
    under = FieldPath.of(prefix) if prefix else FieldPath()
    errors = []
    for error in exc.errors(include_url=False, include_input=False):
        field = (under / FieldPath.from_loc(error.get("loc", ()))).api() or "body"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
        errors.append({"field": field, "type": str(error.get("type", "invalid")), "ctx": ctx, "message": message})
    return errors
