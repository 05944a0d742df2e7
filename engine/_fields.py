"""Which applicant fields a rule may measure, with their scope and type.

Built by reading the applicant models, so the catalogue cannot drift from what the API accepts.

Paths:

* ``birth_date``, ``high_school.<field>``, ``semester_hours.<field>``: scope ``applicant``;
* ``program.<field>``: scope ``program``, one value per entry of ``programs``;
* ``degree.<field>``: scope ``degree``, one value per entry of ``degrees``.

Work experience and certifications are read by their own measure kinds, not by paths.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from ._paths import SECTIONS, FieldPath, Scope
from .applicant import ApplicantModels
from .outcome import Unit

__all__ = ["FieldSpec", "Scope", "ValueType", "field_catalogue"]

ValueType = Literal["number", "bool", "date", "enum", "enum_list"]


@dataclass(frozen=True)
class FieldSpec:
    path: str  # as written in rules: program.clock_hours
    field: FieldPath  # where it is on the applicant, in any record of its list: programs[].clock_hours
    scope: Scope
    section_attr: str | None  # attribute on Applicant holding the record(s); None for top-level fields
    attr: str  # attribute on the record
    type: ValueType
    vocabulary: str | None  # for enum and enum_list
    ordered: bool = False  # enum from an ordered vocabulary: compared by rank
    unit: Unit | None = None  # what a number counts

    def input_path(self, index: int | None) -> str:
        """How the API names this input: ``programs[0].clock_hours``, ``programs[].clock_hours``."""
        return self.field.at(index).api()


def _classify(annotation: object, enum_vocab: dict[type[enum.Enum], str]) -> tuple[ValueType, str | None] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _classify(typing.get_args(annotation)[0], enum_vocab)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _classify(inner[0], enum_vocab) if len(inner) == 1 else None
    if origin is list:
        item = _classify(args[0], enum_vocab)
        return ("enum_list", item[1]) if item and item[0] == "enum" else None
    if annotation is bool:
        return ("bool", None)
    if annotation in (int, float):
        return ("number", None)
    if annotation is dt.date:
        return ("date", None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        vocab = enum_vocab.get(annotation)
        return ("enum", vocab) if vocab else None
    return None


# What a numeric field counts, by its name (the applicant model's field docs say the same in words).
UNITS: dict[str, Unit] = {
    "clock_hours": Unit.HOURS,
    "didactic_hours": Unit.HOURS,
    "clinical_hours": Unit.HOURS,
    "total_hours": Unit.HOURS,
    "hours_per_week": Unit.HOURS,
    "duration_weeks": Unit.WEEKS,
    "venipunctures": Unit.VENIPUNCTURES,
    "capillary_punctures": Unit.CAPILLARY_PUNCTURES,
    "ekgs": Unit.EKGS,
    "injections": Unit.INJECTIONS,
    "arterial_punctures": Unit.ARTERIAL_PUNCTURES,
    "lab_duties_percent": Unit.PERCENT,
}


def field_catalogue(models: ApplicantModels, ordered_vocabularies: set[str]) -> dict[str, FieldSpec]:
    """Map every measurable path to its spec."""
    enum_vocab = {cls: name for name, cls in models.enums.items()}
    catalogue: dict[str, FieldSpec] = {}

    def add(model: type[BaseModel], scope: Scope, record: FieldPath, section_attr: str | None) -> None:
        for attr, info in model.model_fields.items():
            kind = _classify(info.annotation, enum_vocab)
            if kind is None:
                continue
            field = record / attr
            path = field.rule()
            unit = Unit.SEMESTER_HOURS if section_attr == "semester_hours" else UNITS.get(attr)
            catalogue[path] = FieldSpec(
                path=path,
                field=field,
                scope=scope,
                section_attr=section_attr,
                attr=attr,
                type=kind[0],
                vocabulary=kind[1],
                ordered=kind[1] in ordered_vocabularies if kind[1] else False,
                unit=unit if kind[0] == "number" else None,
            )

    add(models.Applicant, "applicant", FieldPath(), None)
    records = {
        "high_school": models.HighSchool,
        "semester_hours": models.SemesterHours,
        "programs": models.TrainingProgram,
        "degrees": models.Degree,
    }
    for scope, _, attr, is_list in SECTIONS:
        add(records[attr], scope, FieldPath.of(attr, FieldPath.ANY) if is_list else FieldPath.of(attr), attr)
    return catalogue
