"""Batch files for ``credcheck batch``: JSON Lines or CSV in, JSON Lines or CSV out.

Input
-----
* ``.jsonl``: one JSON object per line, either ``{"id": "...", "applicant": {...}}`` or a bare applicant
  (its id is then the line number). Blank lines are skipped.
* ``.csv``: one row per applicant. Column ``id`` (optional; default the row number) and one column per
  applicant field, named by its path: ``birth_date``, ``high_school.credential``, ``semester_hours.chemistry``,
  ``programs.0.discipline``, ``programs.0.completion_date``, ``programs.1.discipline``,
  ``work_experience.0.role``, ``work_experience.0.start_date``, ``certifications.0.credential``… Dates are
  ``YYYY-MM-DD``; yes/no fields take ``true``/``false``; list fields (``programs.0.approvals``,
  ``work_experience.0.lab_areas``) take values separated by ``;``. An empty cell leaves the field out.

Output
------
* ``.jsonl``: one result object per line, as the batch API returns them.
* ``.csv``: one row per applicant with columns ``id``, ``ok``, ``error`` (why the row could not be evaluated),
  ``eligible`` (credential ids, ``;``-separated), then for each credential ``<id>`` (eligible / ineligible /
  undetermined), ``<id> missing`` (for a credential not eligible: the criteria of its nearest route that are
  not met) and ``<id> inputs needed`` (for an undetermined credential: the facts that could decide it, or a
  note that no fact can because its routes are not encoded), then ``as_of`` and ``rules`` (the evaluation
  date and the rule set's version with its digest, the same on every row).

A CSV column that names no applicant field stops the run before any row is evaluated.
"""

from __future__ import annotations

import csv
import json
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

__all__ = ["read_items", "write_results"]


def _leaf_kind(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaf_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _leaf_kind(inner[0]) if len(inner) == 1 else "str"
    if origin is list:
        return "list"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    return "str"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for arg in (annotation, *typing.get_args(annotation)):
        for inner in (arg, *typing.get_args(arg)):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _convert(kind: str, text: str) -> Any:
    if kind == "list":
        return [part.strip() for part in text.split(";") if part.strip()]
    if kind == "bool":
        lowered = text.strip().lower()
        return {"true": True, "yes": True, "false": False, "no": False}.get(lowered, text)
    if kind in ("int", "float"):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text  # left as text: validation names the field
        return int(number) if number.is_integer() else number
    return text.strip()


def _set(target: dict[str, Any], parts: list[str], value: Any) -> None:
    key = parts[0]
    if len(parts) == 1:
        target[key] = value
        return
    if parts[1].isdigit():
        records = target.setdefault(key, [])
        index = int(parts[1])
        while len(records) <= index:
            records.append({})
        if len(parts) == 2:
            records[index] = value
        else:
            _set(records[index], parts[2:], value)
    else:
        _set(target.setdefault(key, {}), parts[1:], value)


_Column = tuple[list[str], str]  # a CSV column's path parts and the kind of value its cells hold


def _column(column: str, applicant_model: type[BaseModel]) -> _Column | str:
    """Resolve a CSV column to its path and value kind, or say why it names no applicant field:
    ``programs.0.discipline`` names one; ``programs.discipline`` (which program?), ``birth_date.0`` and
    ``high_school`` (a record) do not."""
    parts = column.strip().split(".")
    model: type[BaseModel] | None = applicant_model
    where, kind, i = "the applicant", "record", 0
    while i < len(parts):
        part = parts[i]
        if model is None:
            return f"{where} has no parts"
        field = model.model_fields.get(part)
        if field is None:
            return f"{where} is not a list" if part.isdigit() else f"{where} has no field `{part}`"
        nested = _model_of(field.annotation)
        i += 1
        if nested is not None and _leaf_kind(field.annotation) == "list":
            if i == len(parts) or not parts[i].isdigit():
                return f"`{part}` is a list: name one of its items, e.g. `{part}.0.<field>`"
            i += 1
        where, model = f"`{part}`", nested
        kind = "record" if nested is not None else _leaf_kind(field.annotation)
    if kind == "record":
        return f"{where} is a record: name one of its fields (e.g. `{column.strip()}.<field>`)"
    return parts, kind


def _row_to_applicant(row: dict[str, str], columns: dict[str, _Column]) -> dict[str, Any]:
    applicant: dict[str, Any] = {}
    for column, cell in row.items():
        if column not in columns or cell is None or cell.strip() == "":
            continue
        parts, kind = columns[column]
        _set(applicant, parts, _convert(kind, cell))
    # fill list gaps left by sparse columns (programs.1.* without programs.0.*) with nothing
    for key, value in list(applicant.items()):
        if isinstance(value, list):
            applicant[key] = [v for v in value if v != {}]
    return applicant


def read_items(path: Path, applicant_model: type[BaseModel]) -> list[tuple[str, Any]]:
    """The (id, applicant) pairs of a .jsonl or .csv file."""
    suffix = path.suffix.lower()
    items: list[tuple[str, Any]] = []
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
                if isinstance(data, dict) and "applicant" in data:
                    items.append((str(data.get("id", number)), data["applicant"]))
                else:
                    items.append((str(number), data))
    elif suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns: dict[str, _Column] = {}
            problems = []
            for column in reader.fieldnames or ():
                if not column or column.strip() in ("", "id"):
                    continue
                resolved = _column(column, applicant_model)
                if isinstance(resolved, str):
                    problems.append(f"`{column}`: {resolved}")
                else:
                    columns[column] = resolved
            if problems:
                raise ValueError(f"{path}: unknown columns (no row was evaluated): " + "; ".join(problems))
            for number, row in enumerate(reader, 1):
                ids = [cell for column, cell in row.items() if column is not None and column.strip() == "id"]
                item_id = (ids[0] if ids else "").strip() or str(number)
                items.append((item_id, _row_to_applicant(row, columns)))
    else:
        raise ValueError(f"{path}: expected a .jsonl or .csv file")
    return items


# An undetermined credential with nothing to ask for: its routes could not be encoded from the sources.
NOT_ENCODED = "no facts decide it: its routes are not encoded (see the catalogue)"


def _csv_row(result: dict[str, Any], credential_ids: list[str], provenance: list[str]) -> list[str]:
    if not result["ok"]:
        problem = result["problem"]
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in problem["errors"])
        return [result["id"], "false", fields, "", *([""] * (3 * len(credential_ids))), *provenance]
    by_id = {c["id"]: c for c in result["credentials"]}
    row = [result["id"], "true", "", ";".join(result["eligible"])]
    for cid in credential_ids:
        outcome = by_id.get(cid)
        if outcome is None:
            row += ["", "", ""]
            continue
        needed = ";".join(outcome["inputs_needed"])
        if outcome["status"] == "undetermined" and not needed and not outcome["missing_criteria"]:
            needed = NOT_ENCODED
        row += [outcome["status"], ";".join(outcome["missing_criteria"]), needed]
    return [*row, *provenance]


def write_results(
    path: Path,
    results: Iterator[dict[str, Any]],
    credential_ids: list[str],
    *,
    as_of: str,
    rules: str,
) -> Iterator[dict[str, Any]]:
    """Write results as they come (yielding each one back, for progress reporting).

    CSV rows end with the evaluation date and the rule set's version, so a saved spreadsheet says what
    produced it."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise ValueError(f"{path}: expected a .jsonl or .csv file")
    with path.open("w", encoding="utf-8", newline="") as handle:
        if suffix == ".jsonl":
            for result in results:
                handle.write(json.dumps(result, separators=(",", ":")) + "\n")
                yield result
        else:
            writer = csv.writer(handle)
            header = ["id", "ok", "error", "eligible"]
            for cid in credential_ids:
                header += [cid, f"{cid} missing", f"{cid} inputs needed"]
            writer.writerow([*header, "as_of", "rules"])
            for result in results:
                writer.writerow(_csv_row(result, credential_ids, [as_of, rules]))
                yield result
