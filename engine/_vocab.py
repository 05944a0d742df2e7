"""Closed vocabularies (``rules/vocabulary.yaml``).

Every enumerated value an applicant can send (accreditors, disciplines, roles, states…) is declared once
in the rule set. The applicant models, the OpenAPI enums and the loader's reference checks all derive
from here, so adding an accreditor is a data change.
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator

__all__ = [
    "PROGRAM_COMPLETED",
    "PROGRAM_IN_PROGRESS",
    "REQUIRED_VALUES",
    "REQUIRED_VOCABULARIES",
    "Vocabulary",
    "VocabularyFile",
    "make_enum",
]

ValueId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)]

# Vocabularies the applicant model is built from. The loader rejects a vocabulary file that lacks one
# of these or adds one nobody uses, so a typo in a vocabulary name cannot go unnoticed.
REQUIRED_VOCABULARIES: dict[str, str] = {
    "high_school_credential": "HighSchoolCredential",
    "degree_level": "DegreeLevel",
    "degree_field": "DegreeField",
    "institution_accreditation": "InstitutionAccreditation",
    "accreditor": "Accreditor",
    "discipline": "Discipline",
    "program_status": "ProgramStatus",
    "program_award": "ProgramAward",
    "program_approval": "ProgramApproval",
    "experience_role": "ExperienceRole",
    "experience_setting": "ExperienceSetting",
    "lab_area": "LabArea",
    "credential_family": "CredentialFamily",
    "other_credential": "OtherCredential",
    "us_state": "UsState",
}


# Values the engine itself gives a meaning to (see ``_measures``): removing or renaming one would silently
# change answers, so the loader refuses a vocabulary file without them.
PROGRAM_IN_PROGRESS, PROGRAM_COMPLETED = "in-progress", "completed"
REQUIRED_VALUES: dict[str, tuple[str, ...]] = {"program_status": (PROGRAM_IN_PROGRESS, PROGRAM_COMPLETED)}


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    ordered: StrictBool = False
    values: dict[ValueId, str] = Field(min_length=1)

    def rank(self, value: str) -> int:
        """Position of ``value`` in an ordered vocabulary (0-based)."""
        return list(self.values).index(value)


class VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vocabularies: dict[str, Vocabulary]

    @field_validator("vocabularies")
    @classmethod
    def _exactly_the_required_ones(cls, value: dict[str, Vocabulary]) -> dict[str, Vocabulary]:
        missing = sorted(set(REQUIRED_VOCABULARIES) - set(value))
        extra = sorted(set(value) - set(REQUIRED_VOCABULARIES))
        problems = []
        if missing:
            problems.append(f"missing vocabularies: {', '.join(missing)}")
        if extra:
            problems.append(f"unknown vocabularies (not used by the applicant model): {', '.join(extra)}")
        for name, needed in REQUIRED_VALUES.items():
            lacking = [v for v in needed if name in value and v not in value[name].values]
            if lacking:
                problems.append(f"`{name}` must keep the values the engine relies on: {', '.join(lacking)}")
        if problems:
            raise ValueError("; ".join(problems))
        return value


def make_enum(class_name: str, values: list[str], description: str | None = None) -> type[enum.Enum]:
    """A ``str`` Enum whose member names are readable in generated SDKs (its docstring is its description)."""
    members = {}
    for value in values:
        name = value.upper().replace(".", "_").replace("-", "_")
        if name[0].isdigit():
            name = f"V_{name}"
        members[name] = value
    cls = enum.Enum(class_name, members, type=str)  # type: ignore[call-overload]
    if description:
        cls.__doc__ = description.strip()
    return cls  # type: ignore[no-any-return]
