"""The self-check form: its questions, how a posted form becomes applicant facts, and where errors go.

The questions mirror the rule set's applicant model (``engine.applicant``): one section per part of it,
repeatable sections (programs, jobs, degrees, certifications) as numbered rows. Field names are the
applicant's paths with ``-`` between parts (``programs-0-clock_hours``); the HTML id of a field is its name
prefixed with ``f-``. A row left blank is left out; a section left blank leaves its facts unknown, and the
"I have none" box says the applicant has none (an empty list, which the rules read as "not met").

Validation is the rule set's: the facts go through the same ``Applicant`` model as the API's, and each
pydantic error location is mapped back to the field it came from. Values are never logged, and error
messages never quote them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from engine import FieldPath

__all__ = [
    "FIELDS_BY_NAME",
    "SECTIONS",
    "Field",
    "FormState",
    "N_",
    "Section",
    "anchor",
    "parse_form",
]


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Marks a message for extraction (``pybabel extract``); it is translated where it is shown."""
    return message


Kind = Literal["date", "number", "count", "choice", "radio", "checkboxes", "yesno"]


@dataclass(frozen=True)
class Field:
    """One question. ``vocabulary`` names the rule-set vocabulary its options come from."""

    name: str
    kind: Kind
    label: str
    hint: str | None = None
    vocabulary: str | None = None
    required: str | None = None  # the message when a filled-in row lacks it
    options: tuple[str, ...] | None = None  # fixed options (not from a vocabulary), labeled by option_labels
    option_labels: tuple[str, ...] | None = None
    wide: bool = False


@dataclass(frozen=True)
class Section:
    """A part of the applicant: a record (``high_school``), a list of records (``programs``), or top-level facts."""

    key: str  # the applicant field, or "about" for top-level questions
    title: str
    intro: str | None
    fields: tuple[Field, ...]
    repeated: bool = False
    row_title: str | None = None  # "Program %(number)s"
    add_label: str | None = None
    remove_label: str | None = None
    none_label: str | None = None  # "I have no training program": an empty list
    max_rows: int = 1


_COUNT_HINT = N_("A whole number. Leave blank if you do not know.")
_HOURS_HINT = N_("Leave blank if you do not know.")

SECTIONS: tuple[Section, ...] = (
    Section(
        "about",
        N_("About you"),
        N_("Every question is optional. Answer what you know; the answer says what else would help."),
        (
            Field(
                "state",
                "choice",
                N_("State where you plan to work"),
                N_("We show that state's licensing rules, if it has any."),
                vocabulary="us_state",
            ),
            Field(
                "birth_date",
                "date",
                N_("Date of birth"),
                N_("Used only to check a minimum age. It is not stored."),
            ),
        ),
    ),
    Section(
        "high_school",
        N_("High school"),
        None,
        (
            Field(
                "credential",
                "radio",
                N_("Do you have a high-school diploma or equivalent?"),
                vocabulary="high_school_credential",
                required=N_("Choose what you have, or clear the date."),
            ),
            Field("date", "date", N_("Date you received it")),
        ),
    ),
    Section(
        "programs",
        N_("Training programs"),
        N_(
            "A school program, an apprenticeship or a military course that trained you for a healthcare job, "
            "finished or still in progress."
        ),
        (
            Field(
                "discipline",
                "choice",
                N_("What did the program train you for?"),
                vocabulary="discipline",
                required=N_("Choose what the program trained you for."),
                wide=True,
            ),
            Field(
                "status",
                "radio",
                N_("Have you finished it?"),
                vocabulary="program_status",
            ),
            Field("start_date", "date", N_("Date you started")),
            Field(
                "completion_date",
                "date",
                N_("Date you finished, or expect to finish"),
            ),
            Field(
                "accreditor",
                "choice",
                N_("Who accredits the program?"),
                N_(
                    "Accreditation means an outside agency checked the program itself. Your school's website or "
                    "catalog usually names the agency."
                ),
                vocabulary="accreditor",
                wide=True,
            ),
            Field(
                "accredited_from",
                "date",
                N_("Date the program's accreditation began"),
                N_("Only if the program became accredited after you started it. Otherwise leave blank."),
            ),
            Field(
                "institution_accreditation",
                "choice",
                N_("Is the school itself accredited?"),
                N_("This is about the whole school or college, not the program."),
                vocabulary="institution_accreditation",
                wide=True,
            ),
            Field(
                "approvals",
                "checkboxes",
                N_("Approvals the program holds"),
                N_("Check any that apply."),
                vocabulary="program_approval",
                wide=True,
            ),
            Field("award", "choice", N_("What does it award when you finish?"), vocabulary="program_award"),
            Field("military", "yesno", N_("Was it a training program of the US Armed Forces?")),
            Field("postsecondary", "yesno", N_("Is it offered after high school (postsecondary)?")),
            Field("clock_hours", "number", N_("Total hours of the program"), N_("Clock hours, externship included.")),
            Field("didactic_hours", "number", N_("Classroom hours"), N_("Without the externship or practicum.")),
            Field("clinical_hours", "number", N_("Externship or clinical hours"), _HOURS_HINT),
            Field("duration_weeks", "number", N_("Length of the program in weeks"), _HOURS_HINT),
            Field("venipunctures", "count", N_("Successful blood draws from a vein (venipunctures)"), _COUNT_HINT),
            Field("capillary_punctures", "count", N_("Successful finger or heel sticks (capillary)"), _COUNT_HINT),
            Field("ekgs", "count", N_("EKGs performed on people"), _COUNT_HINT),
            Field("injections", "count", N_("Successful injections"), _COUNT_HINT),
            Field("arterial_punctures", "count", N_("Arterial punctures"), _COUNT_HINT),
        ),
        repeated=True,
        row_title=N_("Program %(number)s"),
        add_label=N_("Add another program"),
        remove_label=N_("Remove program %(number)s"),
        none_label=N_("I have not taken any training program."),
        max_rows=6,
    ),
    Section(
        "work_experience",
        N_("Work history"),
        N_("Jobs in healthcare count most. List each job separately."),
        (
            Field(
                "role",
                "choice",
                N_("What was the job?"),
                vocabulary="experience_role",
                required=N_("Choose what the job was."),
                wide=True,
            ),
            Field("setting", "choice", N_("Where did you work?"), vocabulary="experience_setting", wide=True),
            Field(
                "start_date",
                "date",
                N_("First day of the job"),
                required=N_("Enter the date you started this job."),
            ),
            Field("end_date", "date", N_("Last day of the job"), N_("Leave blank if you still work there.")),
            Field("hours_per_week", "number", N_("Hours per week, on average"), _HOURS_HINT),
            Field(
                "total_hours",
                "number",
                N_("Total hours worked"),
                N_("Only if you do not know the hours per week."),
            ),
            Field(
                "supervised",
                "yesno",
                N_("Were you supervised by a licensed or certified professional?"),
            ),
            Field(
                "lab_areas",
                "checkboxes",
                N_("Laboratory areas you worked in"),
                N_("Only for laboratory jobs. Check any that apply."),
                vocabulary="lab_area",
                wide=True,
            ),
            Field("venipunctures", "count", N_("Documented blood draws from a vein"), _COUNT_HINT),
            Field("capillary_punctures", "count", N_("Documented finger or heel sticks"), _COUNT_HINT),
            Field("ekgs", "count", N_("Documented EKGs"), _COUNT_HINT),
            Field("arterial_punctures", "count", N_("Documented arterial punctures"), _COUNT_HINT),
        ),
        repeated=True,
        row_title=N_("Job %(number)s"),
        add_label=N_("Add another job"),
        remove_label=N_("Remove job %(number)s"),
        none_label=N_("I have not worked in a job yet."),
        max_rows=8,
    ),
    Section(
        "certifications",
        N_("Certifications you hold or held"),
        None,
        (
            Field(
                "credential",
                "choice",
                N_("Certification"),
                vocabulary="credential",
                required=N_("Choose the certification."),
                wide=True,
            ),
            Field("earned_date", "date", N_("Date you first earned it")),
            Field(
                "status",
                "radio",
                N_("Is it current?"),
                options=("active", "lapsed"),
                option_labels=(N_("Yes, it is current"), N_("No, it has lapsed")),
            ),
        ),
        repeated=True,
        row_title=N_("Certification %(number)s"),
        add_label=N_("Add another certification"),
        remove_label=N_("Remove certification %(number)s"),
        none_label=N_("I do not hold any certification."),
        max_rows=6,
    ),
    Section(
        "degrees",
        N_("College degrees"),
        N_("Mostly for laboratory credentials (MLT, MLS)."),
        (
            Field(
                "level",
                "choice",
                N_("Degree"),
                vocabulary="degree_level",
                required=N_("Choose the degree."),
            ),
            Field("field", "choice", N_("Major or field of study"), vocabulary="degree_field", wide=True),
            Field("conferred_date", "date", N_("Date the degree was awarded")),
            Field(
                "institution_accreditation",
                "choice",
                N_("Is the college accredited?"),
                vocabulary="institution_accreditation",
                wide=True,
            ),
        ),
        repeated=True,
        row_title=N_("Degree %(number)s"),
        add_label=N_("Add another degree"),
        remove_label=N_("Remove degree %(number)s"),
        none_label=N_("I do not have a college degree."),
        max_rows=4,
    ),
    Section(
        "semester_hours",
        N_("College credits"),
        N_("Semester hours earned, for laboratory credentials. Multiply quarter hours by 2/3."),
        (
            Field("total", "number", N_("All college credits")),
            Field("chemistry", "number", N_("Chemistry")),
            Field("biology", "number", N_("Biology")),
            Field("microbiology", "number", N_("Microbiology"), N_("Also count these in biology.")),
            Field(
                "organic_or_biochemistry",
                "number",
                N_("Organic chemistry or biochemistry"),
                N_("Also count these in chemistry."),
            ),
            Field("physics", "number", N_("Physics")),
            Field("math", "number", N_("Mathematics")),
        ),
    ),
)

SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}
# (section, name) -> its field, for labeling the inputs an answer asks for: ("programs", "clock_hours").
FIELDS_BY_NAME: dict[tuple[str, str], Field] = {(s.key, f.name): f for s in SECTIONS for f in s.fields}

YES_NO = ("yes", "no", "unknown")
_NUMBER = re.compile(r"^-?(\d{1,9}(\.\d{0,6})?|\.\d{1,6})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def field_name(section: Section, row: int | None, name: str) -> str:
    if section.key == "about":
        return name
    if row is None:
        return f"{section.key}-{name}"
    return f"{section.key}-{row}-{name}"


def anchor(path: str) -> str | None:
    """The form element an applicant path points at: ``programs[0].approvals`` -> ``f-programs-0-approvals``;
    a whole section (``work_experience``) -> ``sec-work_experience``. ``None`` when the form has no such field."""
    try:
        parts = FieldPath.parse_api(path).parts
    except ValueError:
        return None
    if len(parts) == 1 and ("about", parts[0]) in FIELDS_BY_NAME:
        return f"f-{parts[0]}"
    if not parts or not isinstance(parts[0], str) or parts[0] not in SECTIONS_BY_KEY:
        return None
    section = SECTIONS_BY_KEY[parts[0]]
    if len(parts) == 1:
        return f"sec-{section.key}"
    row = parts[1] if section.repeated and isinstance(parts[1], int) else None
    name = parts[-1]
    if (section.key, name) not in FIELDS_BY_NAME:
        return f"sec-{section.key}"
    if section.repeated and row is None:
        return f"sec-{section.key}"
    return "f-" + field_name(section, row, name)


@dataclass
class FormState:
    """A posted (or blank) form: the values to show again, its rows, and the errors by field name.

    ``values`` maps field names to what was sent (a list for checkboxes); ``rows`` is how many rows each
    repeated section shows; ``errors`` maps a field name (or ``sec-<key>`` for a whole section) to message ids
    with their parameters, translated when the page is rendered."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: {s.key: 1 for s in SECTIONS if s.repeated})
    errors: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    applicant: dict[str, Any] = field(default_factory=dict)
    state: str | None = None

    def error(self, name: str, message: str, **params: Any) -> None:
        self.errors.setdefault(name, []).append((message, params))

    def value(self, name: str) -> Any:
        return self.values.get(name)


def _blank(kind: Kind, raw: Any) -> bool:
    if kind == "checkboxes":
        return not raw
    return raw is None or raw == "" or (kind == "yesno" and raw == "unknown")


def _convert(form: FormState, name: str, kind: Kind, raw: Any) -> Any:
    """The fact a field's text stands for, or ``None`` (with an error recorded) when it stands for none."""
    if kind == "checkboxes":
        return list(raw)
    if kind == "yesno":
        if raw not in YES_NO:
            form.error(name, N_("Choose one of the options."))
            return None
        return raw == "yes"
    text = str(raw).strip()
    if kind in ("number", "count"):
        plain = text.replace(",", "")
        if not _NUMBER.match(plain):
            whole, number = N_("Enter a whole number, for example 30."), N_("Enter a number, for example 120.")
            form.error(name, whole if kind == "count" else number)
            return None
        number = float(plain)
        if kind == "count" and not number.is_integer():
            form.error(name, N_("Enter a whole number, for example 30."))
            return None
        return int(number) if number.is_integer() else number
    if kind == "date":
        us = _US_DATE.match(text)
        if us:  # what people type where the browser has no date picker: month/day/year
            text = f"{us.group(3)}-{int(us.group(1)):02d}-{int(us.group(2)):02d}"
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            form.error(name, N_("Enter a real date, for example 2024-05-31."))
            return None
        if len(text) != 10:
            form.error(name, N_("Enter a real date, for example 2024-05-31."))
            return None
        return text  # the model checks the range
    return text


def _read(form_data: Mapping[str, Any], name: str, kind: Kind) -> Any:
    if kind == "checkboxes":
        getlist = getattr(form_data, "getlist", None)
        values = getlist(name) if getlist else form_data.get(name) or []
        return [str(v) for v in values][:50]
    value = form_data.get(name)
    return None if value is None else str(value)[:200]


def _section_values(form: FormState, form_data: Mapping[str, Any], section: Section, row: int | None) -> dict:
    """Read one record's fields into ``form.values`` (under ``row``'s names) and return its facts."""
    facts: dict[str, Any] = {}
    for f in section.fields:
        name = field_name(section, row, f.name)
        raw = _read(form_data, name, f.kind)
        form.values[name] = raw
        if _blank(f.kind, raw):
            continue
        value = _convert(form, name, f.kind, raw)
        if value is not None:
            facts[f.name] = value
    return facts


def _row_is_blank(form_data: Mapping[str, Any], section: Section, row: int) -> bool:
    return all(_blank(f.kind, _read(form_data, field_name(section, row, f.name), f.kind)) for f in section.fields)


def _row_count(form_data: Mapping[str, Any], section: Section) -> int:
    try:
        count = int(str(form_data.get(f"{section.key}-rows", "1")))
    except ValueError:
        count = 1
    return max(1, min(count, section.max_rows))


def parse_form(
    form_data: Mapping[str, Any],
    applicant_model: Any,
    *,
    state_codes: list[str],
    add: str | None = None,
    remove: str | None = None,
) -> FormState:
    """Turn a posted form into applicant facts, validated by the rule set's model.

    Blank rows are dropped and the rest renumbered, so the rows shown again are the records of the
    applicant, in order (an answer's ``programs[1]`` is the form's program 2). ``add`` names a section to
    give one more blank row; ``remove`` is ``<section>-<row>``, a row to drop.
    """
    form = FormState()
    renumber: dict[str, list[int]] = {}  # section -> form row of each applicant record
    for section in SECTIONS:
        if section.key == "about":
            for f in section.fields:
                raw = _read(form_data, f.name, f.kind)
                form.values[f.name] = raw
                if _blank(f.kind, raw):
                    continue
                if f.name == "state":
                    if raw in state_codes:
                        form.state = raw
                    else:
                        form.error(f.name, N_("Choose one of the options."))
                    continue
                value = _convert(form, f.name, f.kind, raw)
                if value is not None:
                    form.applicant[f.name] = value
            continue
        if not section.repeated:
            facts = _section_values(form, form_data, section, None)
            if facts:
                form.applicant[section.key] = facts
            continue
        rows = _row_count(form_data, section)
        dropped = None
        if remove and remove.startswith(section.key + "-") and remove[len(section.key) + 1 :].isdigit():
            dropped = int(remove[len(section.key) + 1 :])
        kept = [r for r in range(rows) if r != dropped and not _row_is_blank(form_data, section, r)]
        records = []
        scratch = FormState()
        for new, old in enumerate(kept):
            facts = _section_values(scratch, form_data, section, old)
            for f in section.fields:  # shown again under the row's new number
                form.values[field_name(section, new, f.name)] = scratch.values[field_name(section, old, f.name)]
            for name, messages in scratch.errors.items():
                new_name = field_name(section, new, name.rsplit("-", 1)[1])
                form.errors.setdefault(new_name, []).extend(messages)
            scratch.values.clear()
            scratch.errors.clear()
            records.append(facts)
        renumber[section.key] = kept
        form.rows[section.key] = min(max(len(kept) + (add == section.key), 1), section.max_rows)
        none_name = f"{section.key}-none"
        has_none = form_data.get(none_name) == "yes"
        form.values[none_name] = "yes" if has_none else None
        if has_none and records:
            form.error(f"sec-{section.key}", N_("You checked that you have none, but also filled in a row below."))
        elif has_none:
            form.applicant[section.key] = []
        elif records:
            form.applicant[section.key] = records
    _validate(form, applicant_model)
    return form


def _message(error: Mapping[str, Any], f: Field | None) -> tuple[str, dict[str, Any]]:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return (f.required if f and f.required else N_("Answer this question.")), {}
    if kind in ("greater_than_equal", "greater_than"):
        return N_("Enter %(limit)s or more."), {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return N_("Enter %(limit)s or less."), {"limit": ctx.get("le", ctx.get("lt"))}
    if kind == "enum":
        return N_("Choose one of the options."), {}
    reason = ctx.get("reason") if kind == "value_error" else None  # the applicant model's, as data
    if reason == "date_range":
        return N_("Enter a date between 1900 and 2100."), {}
    if reason == "date_order" and ctx.get("field") == "completion_date":
        return N_("The date you finished is before the date you started."), {}
    if reason == "date_order" and ctx.get("field") == "end_date":
        return N_("The last day is before the first day."), {}
    return N_("Check this answer."), {}


def _validate(form: FormState, applicant_model: Any) -> None:
    """Validate the facts with the rule set's model; put each error next to the field it is about."""
    already = set(form.errors)
    try:
        applicant_model.model_validate(form.applicant)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            ctx = error.get("ctx") or {}
            out_of_order = ctx.get("field") if ctx.get("reason") == "date_order" else None
            name, f = _locate(FieldPath.from_loc(error.get("loc", ())), out_of_order)
            if name in already:  # a value that could not be read is reported once, as unreadable
                continue
            message, params = _message(error, f)
            form.error(name, message, **params)


def _locate(path: FieldPath, out_of_order: str | None) -> tuple[str, Field | None]:
    """The form field (name) a validation error's path points at, and its question."""
    loc = path.parts
    if not loc or loc[0] not in SECTIONS_BY_KEY:
        section = SECTIONS_BY_KEY["about"]
        name = str(loc[0]) if loc else ""
        f = next((x for x in section.fields if x.name == name), None)
        return (name if f else "form"), f
    section = SECTIONS_BY_KEY[str(loc[0])]
    rest = list(loc[1:])
    row = None
    if section.repeated:
        if not rest or not isinstance(rest[0], int):
            return f"sec-{section.key}", None
        row = rest.pop(0)
    names = [p for p in rest if isinstance(p, str) and p in {f.name for f in section.fields}]
    if not names:
        # a record-level check: the dates of a row are out of order
        target = out_of_order if out_of_order in ("end_date", "completion_date") else None
        if target is None:
            return (f"sec-{section.key}" if row is None else f"row-{section.key}-{row}"), None
        names = [target]
    f = next(x for x in section.fields if x.name == names[0])
    return field_name(section, row, f.name), f
