"""Batch files for registrars: note columns, values as people type them, readable CSV and XLSX results,
formula injection neutralised, the sample cohort in docs/, and the functions the upload page calls."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import batch_io
from api.batch_io import BatchFileError, neutralise, read_items, rule_set_text, write_results
from api.cli import main
from api.serialize import batch_item
from engine import evaluate_item as _evaluate_item
from tests.conftest import bundled_rulebook
from tests.helpers import REPO, batch_item_with_pid, without_pids


def evaluate_item(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """One batch result as the batch endpoint encodes it."""
    return _evaluate_item(*args, encode=batch_item, **kwargs)

AS_OF = "2026-11-23"
GOOD = {
    "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "completion_date": "2026-06-01"}],
    "certifications": [],
}
INJECTIONS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x.example","y")']
SECRET = "Zebediah"  # a value that must never appear in an error


def model() -> Any:
    return bundled_rulebook().models.Applicant


def read_csv_text(text: str, **kwargs: Any) -> batch_io.BatchInput:
    return read_items(text.encode(), model(), name="cohort.csv", **kwargs)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def run(tmp_path: Path, content: str, out: str = "out.csv", *args: str, name: str = "in.csv") -> Path:
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    target = tmp_path / out
    assert main(["batch", str(source), "-o", str(target), "--as-of", AS_OF, "--workers", "1", *args]) == 0
    return target


def title(cid: str) -> str:
    return f"{bundled_rulebook().rules.credentials[cid].designation} [{cid}]"


# ------------------------------------------------------------------------------------ formula injection


def test_csv_output_neutralises_formula_injection_in_ids(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "applicant": GOOD}) + "\n" for i in INJECTIONS))
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--credential", "aama.cma"]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert ids == ["'" + i for i in INJECTIONS]


@pytest.mark.parametrize("value", [*INJECTIONS, " =1+1", "  @x", "\uff1d1+1", "\uff20x", "\uff0b1", "\uff0d1"])
def test_neutralise_prefixes_every_formula_trigger(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Maria Alvarez", "S-1001", "1,200", "'=already quoted", "a=b", "2026-11-23"])
def test_neutralise_leaves_ordinary_text_alone(value: str) -> None:
    assert neutralise(value) == value


def test_note_cells_and_headers_are_neutralised_in_csv_and_never_formulas_in_xlsx(tmp_path: Path) -> None:
    header = "id,birth_date," + ",".join(f'"{i}"' if "," in i or '"' in i else i for i in ["=Notes", "@Who"])
    lines = [f'{i},1999-03-14,"{cell}",-x' for i, cell in enumerate(c.replace('"', '""') for c in INJECTIONS)]
    content = header + "\n" + "\n".join(lines) + "\n"
    csv_out = run(tmp_path, content, "out.csv", "--credential", "nha.ccma")
    xlsx_out = run(tmp_path, content, "out.xlsx", "--credential", "nha.ccma")
    with csv_out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["id", "'=Notes", "'@Who"]
    assert [row[1] for row in table[1:]] == ["'" + i for i in INJECTIONS]
    assert {row[2] for row in table[1:]} == {"'-x"}
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_out)["Results"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)  # strings, not formulas
    with zipfile.ZipFile(xlsx_out) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    assert [sheet.cell(1, c).value for c in (2, 3)] == ["'=Notes", "'@Who"]


# ------------------------------------------------------------------------------------ note columns


def test_note_columns_are_echoed_in_input_order_before_the_results(tmp_path: Path) -> None:
    content = (
        "Student name,programs.0.discipline,id,Cohort,note: Start date,programs.0.accreditor,"
        "programs.0.completion_date,Student number\n"
        "Maria Alvarez,medical-assisting,S1,Fall 2026,01/05/2026,CAAHEP,2026-06-01,0042\n"
        "José Núñez,,,Fall 2026,,,,0043\n"
    )
    rows = csv_rows(run(tmp_path, content, "out.csv", "--credential", "aama.cma"))
    assert list(rows[0])[:8] == [
        "id",
        "Student name",
        "Cohort",
        "note: Start date",
        "Student number",
        "ok",
        "error",
        "eligible",
    ]
    assert [(r["id"], r["Student name"], r["Student number"], r["note: Start date"]) for r in rows] == [
        ("S1", "Maria Alvarez", "0042", "01/05/2026"),
        ("3", "José Núñez", "0043", ""),  # no id: the row's line in the file
    ]
    assert rows[0][title("aama.cma")] == "eligible"


@pytest.mark.parametrize(
    "header",
    [
        "Student name",
        "Student number",
        "Student ID",
        "Cohort",
        "Email",
        "Advisor",
        "Notes",
        "Start term",
        "Graduation date",
        "Program name",
        "Student No.",
        "note: Start date",
        "NOTE: Date of birth",
    ],
)
def test_headers_that_look_like_no_field_are_notes(header: str) -> None:
    batch = read_csv_text(f"birth_date,{header}\n1999-03-14,x\n")
    assert batch.notes == (header,)
    assert batch.rows[0].applicant == {"birth_date": "1999-03-14"}
    assert batch.rows[0].notes == ("x",)


@pytest.mark.parametrize(
    ("header", "suggestion"),
    [
        ("progams.0.discipline", "programs.0.discipline"),
        ("programs.0.discpline", "programs.0.discipline"),
        ("programs.discipline", "programs.0.discipline"),
        ("birth date", "birth_date"),
        ("Birth_Date", "birth_date"),
        ("Date of birth", "birth_date"),
        ("Program 1 discipline", "programs.1.discipline"),
        ("clock hours", "programs.0.clock_hours"),
        ("dicipline", "programs.0.discipline"),
        ("Expected completion date", "programs.0.completion_date"),
        ("High school", "high_school.<field>"),
    ],
)
def test_a_likely_typo_stops_the_run_before_any_row_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, suggestion: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"id,Student name,{header}\nr1,{SECRET},x\n")
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "-o", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "no row was evaluated" in err
    assert f"`{header}`: " in err and f"did you mean `{suggestion}`" in err
    assert "`Student name`" not in err  # a note column is not a problem
    assert SECRET not in err
    assert not out.exists()


def test_every_field_written_as_words_is_caught_with_its_path_suggested() -> None:
    """Property over the whole applicant model: a field's path written with spaces and capitals is never
    silently taken for a note column."""
    vocab = batch_io._Vocabulary(model())
    leaves = [t for t, shown in vocab.templates.items() if not shown.endswith("<field>")]
    assert len(leaves) > 40
    for template in leaves:
        path = template.replace("#", "1")
        header = re.sub(r"[._]", " ", path).title()  # programs.1.clock_hours -> "Programs 1 Clock Hours"
        with pytest.raises(BatchFileError) as caught:
            read_csv_text(f"{header}\nx\n")
        assert any(p.startswith(f"`{header}`: ") and f"`{path}`" in p for p in caught.value.problems), header


def test_structural_mistakes_and_duplicates_are_named(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError) as caught:
        read_csv_text(
            "id,ID,birth_date, birth_date ,high_school,birth_date.0,high_school.0.credential\n1,2,x,y,z,w,v\n"
        )
    problems = caught.value.problems
    assert "`ID`: the id column appears twice" in problems
    assert "`birth_date` and `birth_date` name the same field" in problems
    assert any(p.startswith("`high_school`: `high_school` is a record") for p in problems)
    assert any(p.startswith("`birth_date.0`: `birth_date` has no parts") for p in problems)
    assert any(p.startswith("`high_school.0.credential`: `high_school` is not a list") for p in problems)
    assert problems[-1] == batch_io.NOTE_HINT.format(prefix=batch_io.NOTE_PREFIX)


def test_a_header_numbering_an_item_with_a_digit_that_is_no_number_is_named() -> None:
    # `²` is a digit to str.isdigit but no number to int(): it used to crash the reader (ValueError)
    with pytest.raises(BatchFileError) as caught:
        read_csv_text("programs.²,birth_date\nx,1999-01-01\n")
    assert any(p.startswith("`programs.²`: `programs` is a list: name one of its items") for p in caught.value.problems)
    assert read_csv_text("programs.٣.discipline\nekg\n").rows[0].applicant == {"programs": [{"discipline": "ekg"}]}


def test_a_file_with_no_field_column_is_refused() -> None:
    with pytest.raises(BatchFileError, match="no column names an applicant field"):
        read_csv_text("Student name,Cohort\nMaria,Fall\n")


def test_semicolon_or_tab_separated_files_are_read() -> None:
    for sep in (";", "\t"):
        batch = read_csv_text(
            f"Student name{sep}birth_date{sep}programs.0.approvals\nAna{sep}3/14/1999{sep}ncct-authorized\n"
        )
        assert batch.notes == ("Student name",)
        assert batch.rows[0].applicant == {"birth_date": "1999-03-14", "programs": [{"approvals": ["ncct-authorized"]}]}


# ------------------------------------------------------------------------------------ values


def _vocabulary_cases() -> list[tuple[str, str]]:
    """(column, value) for every enumerated field and every value of its vocabulary."""
    vocab = batch_io._Vocabulary(model())
    out = []
    for template, shown in vocab.templates.items():
        if shown.endswith("<field>"):
            continue
        resolved = batch_io._resolve(template.replace("#", "0"), model())
        assert not isinstance(resolved, str)
        kind = resolved[1].item if resolved[1].name == "list" else resolved[1]
        if kind is not None and kind.name == "enum":
            out += [(template.replace("#", "0"), value) for value in kind.allowed]
    return out


VOCABULARY = _vocabulary_cases()


@settings(max_examples=150, deadline=None)
@given(
    case=st.sampled_from(VOCABULARY),
    flips=st.lists(st.booleans(), min_size=40, max_size=40),
    sep=st.sampled_from([" ", "_", "-", "  "]),
)
def test_vocabulary_values_are_read_in_any_case_and_with_spaces(
    case: tuple[str, str], flips: list[bool], sep: str
) -> None:
    column, value = case
    typed = "".join(c.upper() if flip else c.lower() for c, flip in zip(value, flips * 2, strict=False))
    typed = typed.replace("-", sep)
    batch = read_csv_text(f"{column}\n {typed} \n")
    (row,) = batch.rows
    assert row.errors == ()
    node: Any = row.applicant
    for part in column.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert node == ([value] if isinstance(node, list) else value)


def test_vocabulary_examples_from_the_issue() -> None:
    batch = read_csv_text(
        "programs.0.discipline,programs.0.accreditor,programs.0.status\nMedical Assisting,caahep,In Progress\n"
    )
    assert batch.rows[0].applicant == {
        "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "status": "in-progress"}]
    }


@pytest.mark.parametrize(
    ("typed", "value"),
    [(t, True) for t in ("yes", "Y", "TRUE", "t", "1", " Yes ")] + [(f, False) for f in ("no", "N", "False", "f", "0")],
)
def test_yes_and_no_in_common_forms(typed: str, value: bool) -> None:
    batch = read_csv_text(f"programs.0.discipline,programs.0.military\nekg,{typed}\n")
    assert batch.rows[0].applicant["programs"][0]["military"] is value


@pytest.mark.parametrize(
    ("typed", "value"), [('"1,200"', 1200), ('"12,345.5"', 12345.5), ("900", 900), ("12.0", 12), (".5", 0.5)]
)
def test_numbers_with_thousands_separators(typed: str, value: float) -> None:
    batch = read_csv_text(f"programs.0.discipline,programs.0.clock_hours\nekg,{typed}\n")
    got = batch.rows[0].applicant["programs"][0]["clock_hours"]
    assert got == value and type(got) is type(value)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), pad=st.booleans())
def test_us_and_iso_dates_read_as_the_same_day(day: dt.date, pad: bool) -> None:
    us = f"{day.month:02d}/{day.day:02d}/{day.year}" if pad else f"{day.month}/{day.day}/{day.year}"
    batch = read_csv_text(f"birth_date\n{us}\n{day.isoformat()}\n")
    assert [r.applicant for r in batch.rows] == [{"birth_date": day.isoformat()}] * 2


def test_day_first_dates_make_swappable_slash_dates_of_the_file_ambiguous() -> None:
    batch = read_csv_text(
        "id,birth_date,programs.0.discipline,programs.0.completion_date\n"
        "a,03/04/1999,ekg,2026-04-03\n"  # 03/04 could be 3 April: ambiguous once the file has day-first dates
        "b,05/05/1999,ekg,06/13/2026\n"  # 05/05 reads the same both ways; 06/13 only as June 13
        "c,1999-03-04,ekg,25/03/2026\n"  # ISO is never ambiguous; 25/03 reads only day first
    )
    a, b, c = batch.rows
    assert a.applicant is None and [e["field"] for e in a.errors] == ["applicant.birth_date"]
    assert "ambiguous" in a.errors[0]["message"] and "line 4, `programs.0.completion_date`" in a.errors[0]["message"]
    assert b.applicant == {
        "birth_date": "1999-05-05",
        "programs": [{"discipline": "ekg", "completion_date": "2026-06-13"}],
    }
    assert c.applicant is None and "day first" in c.errors[0]["message"]
    (spanish, *_) = read_csv_text(
        "id,birth_date,programs.0.discipline,programs.0.completion_date\n"
        "a,03/04/1999,ekg,2026-04-03\nc,1999-03-04,ekg,25/03/2026\n",
        language="es",
    ).rows
    assert spanish.errors[0]["message"] == (
        "fecha ambigua: el archivo también tiene fechas con el día primero (línea 3, `programs.0.completion_date`);"
        " escríbala como AAAA-MM-DD"
    )
    # without a day-first date in the file, 03/04/1999 is March 4 (the documented US form)
    assert read_csv_text("birth_date\n03/04/1999\n").rows[0].applicant == {"birth_date": "1999-03-04"}


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("birth_date", f"{SECRET}", "expected a date as MM/DD/YYYY or YYYY-MM-DD"),
        ("birth_date", "3/14/99", "two-digit year is ambiguous"),
        ("birth_date", "02/30/2001", "not a calendar date"),
        ("programs.0.clock_hours", f"12 {SECRET}", "expected a number"),
        ("programs.0.clock_hours", "1,20", "expected a number"),
        ("programs.0.military", f"{SECRET}", "expected yes or no"),
        ("programs.0.accreditor", f"{SECRET}", "expected one of: CAAHEP, ABHES, NAACLS, other, none"),
        ("programs.0.accreditor", "CAAHEPP", "did you mean `CAAHEP`?"),
        ("programs.0.approvals", f"ncct-authorized; {SECRET}", "expected one of: ncct-authorized"),
    ],
)
def test_unreadable_values_fail_their_row_naming_line_and_column_as_written_never_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, cell: str, message: str
) -> None:
    written = f" {column} "  # spaces around a header are ignored; the column is named as the header reads
    content = f'id,Student name,programs.0.discipline,{written}\n\nok,Ana,ekg,\nbad,"Ben\nBenson",ekg,"{cell}"\n'
    out = run(tmp_path, content, "out.csv", "--credential", "nha.cet")
    good, bad = csv_rows(out)
    assert good["ok"] == "true" and good["Student name"] == "Ana"
    assert bad["ok"] == "false" and bad["Student name"] == "Ben\nBenson"
    # the row starts on line 4 (a blank line 2, row "ok" on line 3) and spans two lines
    assert bad["error"].startswith(f"line 4, `{column}`: ") and message in bad["error"]
    assert SECRET not in bad["error"] and SECRET not in capsys.readouterr().err
    # JSON Lines results name the field as the API does
    jsonl = run(tmp_path, content, "out.jsonl", "--credential", "nha.cet")
    problem = [json.loads(line) for line in jsonl.read_text().splitlines()][1]["problem"]
    api = "applicant." + re.sub(r"\.(\d+)", r"[\1]", column)
    assert [e["field"] for e in problem["errors"]] == [api]
    assert SECRET not in json.dumps(problem)


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("birth_date", f"{SECRET}", "se esperaba una fecha en formato MM/DD/AAAA o AAAA-MM-DD"),
        ("birth_date", "3/14/99", "un año de dos cifras es ambiguo: escriba el año completo (MM/DD/AAAA)"),
        ("birth_date", "02/30/2001", "no es una fecha válida (el mes o el día está fuera de rango)"),
        ("birth_date", "25/03/2001", "esta fecha solo tiene sentido con el día primero (DD/MM/AAAA): escríbala como"),
        ("programs.0.clock_hours", f"12 {SECRET}", "se esperaba un número (por ejemplo, 1,200 o 12.5)"),
        ("programs.0.military", f"{SECRET}", "se esperaba sí o no"),
        ("programs.0.accreditor", f"{SECRET}", "se esperaba uno de estos valores: CAAHEP, ABHES, NAACLS, other, none"),
        ("programs.0.accreditor", "CAAHEPP", "no es un valor válido para esta columna; ¿quiso decir `CAAHEP`?"),
    ],
)
def test_a_spanish_results_file_says_why_a_cell_is_unreadable_in_spanish_with_the_same_machine_fields(
    tmp_path: Path, column: str, cell: str, message: str
) -> None:
    content = f'id,programs.0.discipline,{column}\nbad,ekg,"{cell}"\n'
    (english,) = csv_rows(run(tmp_path, content, "en.csv", "--credential", "nha.cet"))
    (spanish,) = csv_rows(run(tmp_path, content, "es.csv", "--credential", "nha.cet", "--lang", "es"))
    assert english["error"].startswith(f"line 2, `{column}`: ")
    assert spanish["error"].startswith(f"línea 2, `{column}`: {message}")
    assert SECRET not in spanish["error"]

    def problem(lang: str) -> dict[str, Any]:
        out = run(tmp_path, content, f"{lang}.jsonl", "--credential", "nha.cet", "--lang", lang)
        return json.loads(out.read_text().splitlines()[0])["problem"]

    en, es = problem("en"), problem("es")
    machine = [{k: v for k, v in e.items() if k != "message"} for e in en["errors"]]
    assert machine == [{k: v for k, v in e.items() if k != "message"} for e in es["errors"]]
    assert [e["message"] for e in es["errors"]] != [e["message"] for e in en["errors"]]


def test_a_spanish_results_file_words_the_models_errors_in_spanish_with_their_values(tmp_path: Path) -> None:
    # Values a cell can hold that the applicant model refuses: a bound, a whole number, a date's range, an order.
    content = (
        "id,birth_date,programs.0.discipline,programs.0.clock_hours,programs.0.venipunctures,"
        "work_experience.0.role,work_experience.0.start_date,work_experience.0.end_date\n"
        "a,1850-01-01,ekg,-5,12.5,medical-assistant,2025-01-01,2024-01-01\n"
    )
    (english,) = csv_rows(run(tmp_path, content, "en.csv", "--credential", "nha.cet"))
    (spanish,) = csv_rows(run(tmp_path, content, "es.csv", "--credential", "nha.cet", "--lang", "es"))
    assert english["error"] == (
        "line 2, `birth_date`: date must be between 1900-01-01 and 2100-12-31; `programs.0.clock_hours`: Input"
        " should be greater than or equal to 0; `programs.0.venipunctures`: expected a whole number;"
        " `work_experience.0`: end_date is before start_date"
    )
    assert spanish["error"] == (
        "línea 2, `birth_date`: la fecha debe estar entre 1900-01-01 y 2100-12-31; `programs.0.clock_hours`: el"
        " valor debe ser mayor o igual que 0; `programs.0.venipunctures`: se esperaba un número entero;"
        " `work_experience.0`: end_date es anterior a start_date"
    )


def test_the_batch_commands_closing_summary_is_in_the_results_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = "id,programs.0.discipline,programs.0.clock_hours\na,ekg,-1\nb,ekg,x\nc,ekg,40\n"
    run(tmp_path, content, "en.csv", "--credential", "nha.cet")
    english = capsys.readouterr().err.splitlines()
    run(tmp_path, content, "es.csv", "--credential", "nha.cet", "--lang", "es")
    spanish = capsys.readouterr().err.splitlines()
    run_took = r"in \d+\.\d s \([\d,]+/s\)"
    assert re.fullmatch(rf"3 applicants {run_took}, 2 with errors, as of 2026-11-23, rules \S+: .*en\.csv", english[-3])
    took = run_took.replace("in", "en", 1)
    assert re.fullmatch(
        rf"3 solicitantes {took}, 2 con errores; fecha de evaluación: 2026-11-23; reglas: \S+: .*es\.csv", spanish[-3]
    )
    assert spanish[-2:] == [
        "  - línea 2, `programs.0.clock_hours`: el valor debe ser mayor o igual que 0",
        "  - línea 3, `programs.0.clock_hours`: se esperaba un número (por ejemplo, 1,200 o 12.5)",
    ]


def test_a_yes_or_no_column_reads_si_as_yes() -> None:
    batch = read_csv_text("programs.0.military\nsí\nSi\nno\n")
    assert [r.applicant for r in batch.rows] == [{"programs": [{"military": v}]} for v in (True, True, False)]


def test_engine_validation_errors_are_named_by_the_files_columns(tmp_path: Path) -> None:
    content = (
        "id,Program hours note,programs.2.discipline,programs.2.clock_hours,programs.5.clock_hours,"
        "programs.2.start_date,programs.2.completion_date\n"
        "r1,x,ekg,-5,10,,\n"
        "r2,x,ekg,,,2026-05-01,2026-01-01\n"
    )
    fields, record = csv_rows(run(tmp_path, content, "out.csv", "--credential", "nha.cet"))
    errors = fields["error"].removeprefix("line 2, ").split("; ")
    # programs.2 and programs.5 are the API's programs[0] and programs[1]
    assert errors == [
        "`programs.2.clock_hours`: Input should be greater than or equal to 0",
        "`programs.5.discipline`: Field required",  # no such column: the one that would hold it
    ]
    assert record["error"] == "line 3, `programs.2`: completion_date is before start_date"


def test_list_items_are_numbered_as_the_file_likes_and_inputs_needed_name_its_columns(tmp_path: Path) -> None:
    batch = read_csv_text(
        "programs.3.discipline,programs.1.discipline,programs.1.completion_date,work_experience.7.role\n"
        "phlebotomy,ekg,2026-01-05,\n"
    )
    assert batch.rows[0].applicant == {
        "programs": [{"discipline": "ekg", "completion_date": "2026-01-05"}, {"discipline": "phlebotomy"}]
    }
    assert batch.locate(batch.rows[0], "applicant.programs[1].discipline") == "programs.3.discipline"
    assert batch.locate(batch.rows[0], "applicant.programs[1].ekgs") == "programs.3.ekgs"
    assert batch.locate(batch.rows[0], "applicant.programs[0]") == "programs.1"
    assert batch.column(batch.rows[0], "work_experience") == "work_experience"


def test_a_row_with_more_cells_than_the_header_fails_alone(tmp_path: Path) -> None:
    content = "Student name,birth_date\nAlvarez, Maria,1999-03-14\nAna,1999-03-14,,\n"
    batch = read_csv_text(content)
    shifted, fine = batch.rows
    assert shifted.applicant is None and "more cells than the header" in shifted.errors[0]["message"]
    assert fine.applicant == {"birth_date": "1999-03-14"}  # empty extra cells are harmless
    shifted_row, _ = csv_rows(run(tmp_path, content, "out.csv", "--credential", "nha.cet"))
    assert shifted_row["error"] == (
        "line 2, more cells than the header has columns (quote a value with a comma); "
        "`birth_date`: expected a date as MM/DD/YYYY or YYYY-MM-DD"  # the shifted cell, not what it holds
    )


def test_windows_1252_files_are_read() -> None:
    data = "Student name,birth_date\nJosé Núñez,3/14/1999\n".encode("cp1252")
    batch = read_items(data, model(), name="cohort.csv")
    assert batch.rows[0].notes == ("José Núñez",) and batch.rows[0].applicant == {"birth_date": "1999-03-14"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"birth_date\n" + b"x" * 200_000 + b"\n", "line 2: not readable as CSV"),
        (b"", "no header row"),
        (b"birth_date\n" + b"1999-03-14\n" * 4, "more than 3 applicants"),
    ],
)
def test_files_that_cannot_be_read_raise_batch_file_error(data: bytes, message: str) -> None:
    with pytest.raises(BatchFileError, match=message):
        read_items(data, model(), name="cohort.csv", max_rows=3)


def test_max_rows_bounds_jsonl_too_and_names_are_required_with_bytes() -> None:
    with pytest.raises(BatchFileError, match="more than 1 applicants"):
        read_items(b"{}\n{}\n", model(), name="x.jsonl", max_rows=1)
    with pytest.raises(TypeError):
        read_items(b"{}\n", model())
    with pytest.raises(ValueError, match="expected a .jsonl or .csv file"):
        read_items(b"{}\n", model(), name="x.xlsx")


# ------------------------------------------------------------------------------------ output


def test_csv_results_are_grouped_per_credential_with_designations_and_missing_in_words(tmp_path: Path) -> None:
    content = (
        "id,Student name,programs.0.discipline,programs.0.accreditor,programs.0.completion_date\n"
        "a,Ana,medical-assisting,CAAHEP,2026-06-01\nb,Ben,phlebotomy,other,2026-10-01\n"
    )
    book = bundled_rulebook()
    rows = csv_rows(run(tmp_path, content))
    header = list(rows[0])
    expected = ["id", "Student name", "ok", "error", "eligible"]
    for cid in book.credential_ids:
        expected += [title(cid), f"{title(cid)} missing", f"{title(cid)} inputs needed", f"{title(cid)} eligible from"]
        expected.append(f"{title(cid)} next step")
    assert header == [*expected, "as_of", "rules"]
    assert "CCMA (NHA) [nha.ccma]" in header
    reasons_seen = set()
    results = [json.loads(line) for line in run(tmp_path, content, "out.jsonl").read_text().splitlines()]
    text = rule_set_text(book.rules)
    for row, result in zip(rows, results, strict=True):
        assert row["eligible"] == "; ".join(book.rules.credentials[c].designation for c in result["eligible"])
        for outcome in result["credentials"]:
            cid = outcome["id"]
            assert row[title(cid)] == outcome["status"]
            labels = [text("criterion", c) for c in outcome["missing_criteria"]]
            assert row[f"{title(cid)} missing"] == "; ".join(labels)
            assert all(label and "." not in label.split(" ")[0] for label in labels)  # words, not ids
            assert row[f"{title(cid)} eligible from"] == (outcome["eligible_from"] or "")
            step = outcome["next_steps"][0]  # every credential has one; a fact to give is named by its column
            assert row[f"{title(cid)} next step"] == re.sub(r"\[(\d+)\]", r".\1", step["text"])
            columns = [re.sub(r"\[(\d+)\]", r".\1", f) for f in outcome["inputs_needed"]]  # programs[0].x: programs.0.x
            reasons = [batch_io.REASONS[r] for r in outcome["undetermined_reasons"] if r != "missing-inputs"]
            assert row[f"{title(cid)} inputs needed"] == "; ".join(columns + reasons)
            reasons_seen.update(outcome["undetermined_reasons"])
        assert (row["as_of"], row["rules"]) == (AS_OF, book.version_id)
    assert {"missing-inputs", "unencoded-route"} <= reasons_seen  # the rows show both kinds


def test_a_spanish_results_file_has_spanish_words_and_the_same_machine_values(tmp_path: Path) -> None:
    """`credcheck batch --lang es`: headers, criterion labels, reasons and next steps in Spanish; ids,
    statuses, dates, provenance and the bracketed credential ids as in the English file."""
    content = (
        "id,Student name,programs.0.discipline,programs.0.accreditor,programs.0.completion_date\n"
        "a,Ana,medical-assisting,CAAHEP,2026-06-01\nb,Ben,phlebotomy,other,2026-10-01\n"
    )
    book = bundled_rulebook()
    english = csv_rows(run(tmp_path, content, "en.csv"))
    spanish = csv_rows(run(tmp_path, content, "es.csv", "--lang", "es"))
    es = rule_set_text(book.rules, "es")
    assert len(english) == len(spanish) == 2
    for en_row, es_row in zip(english, spanish, strict=True):
        for key in ("id", "Student name", "ok", "error", "eligible", "as_of", "rules"):
            assert es_row[key] == en_row[key], key
        for cid in book.credential_ids:
            assert es_row[title(cid)] == en_row[title(cid)]  # the status: a machine value
            assert es_row[f"{title(cid)} elegible a partir de"] == en_row[f"{title(cid)} eligible from"]
            en_missing, es_missing = en_row[f"{title(cid)} missing"], es_row[f"{title(cid)} lo que falta"]
            assert (en_missing == "") == (es_missing == "")
            assert es_row[f"{title(cid)} próximo paso"] != en_row[f"{title(cid)} next step"]
    en = rule_set_text(book.rules)
    results = [json.loads(line) for line in run(tmp_path, content, "es.jsonl", "--lang", "es").read_text().splitlines()]
    translated = 0
    for row, result in zip(spanish, results, strict=True):
        for outcome in result["credentials"]:
            missing = outcome["missing_criteria"]
            assert row[f"{title(outcome['id'])} lo que falta"] == "; ".join(es("criterion", c) for c in missing)
            translated += sum(es("criterion", c) != en("criterion", c) for c in missing)
    assert translated  # Spanish labels, not the English ones
    inputs = " ".join(row[f"{title(cid)} datos que faltan"] for row in spanish for cid in book.credential_ids)
    assert "sigue abierta una vía que este servicio no comprueba" in inputs
    assert batch_io.REASONS["unencoded-route"] not in inputs


def _write(batch: batch_io.BatchInput, evaluated: list[dict[str, Any]], fmt: str, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    write_results(buffer, batch, evaluated, rules=bundled_rulebook().rules, as_of=AS_OF, format=fmt, **kwargs)
    return buffer.getvalue()


def test_eligible_from_fills_in_when_the_result_gives_it() -> None:
    book = bundled_rulebook()
    batch = read_csv_text("id,programs.0.discipline\na,medical-assisting\nb,medical-assisting\n")
    evaluated = [
        evaluate_item(book, i, a, as_of=dt.date(2026, 11, 23), credentials=["nha.ccma"]) for i, a in batch.items
    ]
    evaluated[0]["credentials"][0]["eligible_from"] = "2027-01-15"  # what the guidance (issue 13) will add
    evaluated[1]["credentials"][0]["eligible_from"] = {"date": "2027-03-01", "assumes": "..."}
    data = _write(batch, evaluated, "csv", credentials=["nha.ccma"])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["CCMA (NHA) [nha.ccma] eligible from"] for r in rows] == ["2027-01-15", "2027-03-01"]


def test_the_words_come_from_one_function_that_can_be_re_pointed() -> None:
    book = bundled_rulebook()
    batch = read_csv_text("id,programs.0.discipline\na,phlebotomy\n")
    evaluated = [
        evaluate_item(book, i, a, as_of=dt.date(2026, 11, 23), credentials=["nha.cpt"]) for i, a in batch.items
    ]
    assert evaluated[0]["credentials"][0]["missing_criteria"]

    def shout(kind: str, key: str) -> str:
        return f"<{kind}:{key}>"

    data = _write(batch, evaluated, "csv", credentials=["nha.cpt"], text=shout)
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[4:8] == [
        "<credential:nha.cpt> [nha.cpt]",
        "<credential:nha.cpt> [nha.cpt] <phrase:missing>",
        "<credential:nha.cpt> [nha.cpt] <phrase:inputs needed>",
        "<credential:nha.cpt> [nha.cpt] <phrase:eligible from>",
    ]
    assert row[4] == f"<status:{evaluated[0]['credentials'][0]['status']}>"
    assert row[5] == "; ".join(f"<criterion:{c}>" for c in evaluated[0]["credentials"][0]["missing_criteria"])
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(_write(batch, evaluated, "xlsx", credentials=["nha.cpt"], text=shout)))
    assert workbook["Results"]["E1"].value == "<credential:nha.cpt> [nha.cpt]"
    about = [row for row in workbook["About"].iter_rows(values_only=True) if row[0]]
    assert about[0][0] == "<phrase:credcheck results>"
    assert about[-1] == ("<credential:nha.cpt> [nha.cpt]", "<name:nha.cpt>")
    assert all(key.startswith("<") for key, _ in about)  # every sentence of the workbook comes through it


def test_xlsx_has_the_csv_content_a_styled_frozen_header_widths_and_its_provenance(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    content = (REPO / "docs" / "sample-cohort.csv").read_text(encoding="utf-8")
    with (run(tmp_path, content, "out.csv")).open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    book = load_workbook(run(tmp_path, content, "out.xlsx"))
    assert book.sheetnames == ["Results", "About"]
    sheet = book["Results"]
    values = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values == table
    assert all(cell.font.bold for cell in sheet[1]) and all(not cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "D2"  # the header row, the id and two note columns stay in view
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(table[0])).column_letter}{len(table)}"
    status_columns = {i for i, h in enumerate(table[0], 1) if h.endswith("]")}  # "CCMA (NHA) [nha.ccma]"
    (formats,) = list(sheet.conditional_formatting)
    assert {r.formula[0] for r in formats.rules} == {'"eligible"', '"ineligible"', '"undetermined"'}
    coloured = {c for r in formats.sqref.ranges for c in range(r.min_col, r.max_col + 1)}
    assert coloured == status_columns and {r.max_row for r in formats.sqref.ranges} == {len(table)}
    widths = {sheet.column_dimensions[sheet.cell(1, c).column_letter].width for c in range(1, len(table[0]) + 1)}
    assert all(8 <= w <= 60 for w in widths) and len(widths) > 3
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    rules = bundled_rulebook()
    assert about["evaluated as of"] == AS_OF and about["rules"] == rules.version_id
    assert about["applicants"] == str(len(table) - 1)
    assert about[title("nha.ccma")] == rules.rules.credentials["nha.ccma"].name


def test_jsonl_results_are_the_batch_api_objects(tmp_path: Path) -> None:
    content = "id,Student name,birth_date,programs.0.discipline\na,Ana,1999-03-14,ekg\nb,Ben,14/14/1999,ekg\n"
    good, bad = (json.loads(line) for line in run(tmp_path, content, "out.jsonl").read_text().splitlines())
    book = bundled_rulebook()
    expected = evaluate_item(
        book,
        "a",
        {"birth_date": "1999-03-14", "programs": [{"discipline": "ekg"}]},
        as_of=dt.date(2026, 11, 23),
        credentials=None,
    )
    assert good == expected
    invalid = evaluate_item(book, "b", {"birth_date": "x"}, as_of=dt.date(2026, 11, 23), credentials=None)
    assert bad.keys() == invalid.keys() and bad["problem"].keys() == invalid["problem"].keys()
    assert bad["problem"]["errors"][0]["field"] == "applicant.birth_date" and "Ben" not in json.dumps(bad)


def test_a_large_file_is_evaluated_by_worker_processes_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--workers 2` and a file of PARALLEL_THRESHOLD rows: the rows are evaluated in worker processes (each
    result says which process encoded it), and the results are those of one process."""
    from engine import BATCH_PARALLEL_THRESHOLD as PARALLEL_THRESHOLD

    monkeypatch.setattr("api.serialize.batch_item", batch_item_with_pid)
    rows = "".join(f"s{n},199{n % 10}-03-14,ekg\n" for n in range(PARALLEL_THRESHOLD))
    source = tmp_path / "cohort.csv"
    source.write_text("id,birth_date,programs.0.discipline\n" + rows, encoding="utf-8")
    outputs = {}
    for workers in ("1", "2"):
        target = tmp_path / f"out-{workers}.jsonl"
        assert main(["batch", str(source), "-o", str(target), "--as-of", AS_OF, "--workers", workers]) == 0
        outputs[workers] = without_pids([json.loads(line) for line in target.read_text().splitlines()])
    (inline, inline_pids), (parallel, parallel_pids) = outputs["1"], outputs["2"]
    assert inline_pids == {os.getpid()} and parallel_pids and os.getpid() not in parallel_pids
    assert parallel == inline and [r["id"] for r in parallel] == [f"s{n}" for n in range(PARALLEL_THRESHOLD)]


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path) -> None:
    batch = read_csv_text("id,birth_date\na,1999-03-14\nb,1999-03-14\n")

    def evaluated() -> Any:
        yield evaluate_item(
            bundled_rulebook(), "a", {"birth_date": "1999-03-14"}, as_of=dt.date(2026, 11, 23), credentials=None
        )
        raise RuntimeError("worker died")

    from openpyxl.worksheet import _writer

    for name in ("out.xlsx", "out.csv"):
        with pytest.raises(RuntimeError):
            write_results(tmp_path / name, batch, evaluated(), rules=bundled_rulebook().rules, as_of=AS_OF)
    assert list(tmp_path.iterdir()) == []
    assert not [path for path in _writer.ALL_TEMP_FILES if Path(path).exists()]  # openpyxl's sheet buffers


def test_the_page_reads_uploaded_bytes_and_writes_to_a_stream(tmp_path: Path) -> None:
    """The interface the self-check page's upload mode uses: bytes and a name in, a stream out."""
    source = REPO / "docs" / "sample-cohort.csv"
    from_bytes = read_items(source.read_bytes(), model(), name="upload.CSV")
    from_path = read_items(source, model())
    assert from_bytes.rows == from_path.rows and from_bytes.notes == from_path.notes
    book = bundled_rulebook()
    evaluated = [evaluate_item(book, i, a, as_of=dt.date(2026, 11, 23), credentials=None) for i, a in from_bytes.items]
    data = _write(from_bytes, evaluated, "csv")
    assert data == run(tmp_path, source.read_text(encoding="utf-8")).read_bytes()
    assert batch_io.MEDIA_TYPES["xlsx"].endswith("spreadsheetml.sheet")
    with pytest.raises(ValueError, match="fewer results"):
        _write(from_bytes, evaluated[:-1], "csv")


# ------------------------------------------------------------------------------------ the sample in docs/

SAMPLE = REPO / "docs" / "sample-cohort.csv"
SAMPLE_AS_OF = "2026-11-23"
REGENERATE = (
    "regenerate with: .venv/bin/credcheck batch docs/sample-cohort.csv -o docs/sample-cohort-results.{ext} "
    f"--as-of {SAMPLE_AS_OF}"
)


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_the_sample_cohort_results_in_docs_are_what_the_cli_writes(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"results.{ext}"
    assert main(["batch", str(SAMPLE), "-o", str(out), "--as-of", SAMPLE_AS_OF, "--workers", "1"]) == 0
    committed = REPO / "docs" / f"sample-cohort-results.{ext}"
    if ext == "csv":
        assert out.read_bytes() == committed.read_bytes(), REGENERATE.format(ext=ext)
        return
    from openpyxl import load_workbook

    for name in ("Results", "About"):
        got = list(load_workbook(out)[name].iter_rows(values_only=True))
        want = list(load_workbook(committed)[name].iter_rows(values_only=True))
        assert got == want, REGENERATE.format(ext=ext)


def test_the_sample_cohort_shows_what_a_registrar_file_has() -> None:
    batch = read_items(SAMPLE, model())
    assert len(batch.notes) >= 3 and len(batch.rows) >= 5
    text = SAMPLE.read_text(encoding="utf-8")
    assert re.search(r",\d{1,2}/\d{1,2}/\d{4},", text) and "Medical Assisting" in text and "caahep" in text
    assert any(r.applicant is None for r in batch.rows)  # one row shows how an unreadable value is reported
    assert sum(r.applicant is not None for r in batch.rows) >= 4


def test_a_next_step_asking_for_a_fact_names_the_files_column(tmp_path: Path) -> None:
    """The file numbers its programs from 1: a step asking for the first program's approvals names the column
    `programs.1.approvals` (as `inputs needed` does), not the API's `programs[0].approvals`."""
    content = "id,programs.1.discipline,programs.1.completion_date\na,medical-assisting,2026-06-01\n"
    row = csv_rows(run(tmp_path, content))[0]
    result = json.loads(run(tmp_path, content, "out.jsonl").read_text().splitlines()[0])
    ncma = next(c for c in result["credentials"] if c["id"] == "ncct.ncma")
    give = [s for s in ncma["next_steps"] if s["action"] == "give"]
    assert give and "programs[0]." in give[0]["text"]  # the API's spelling in the JSON result
    first = ncma["next_steps"][0]["text"]
    cell = row[f"{title('ncct.ncma')} next step"]
    assert "programs[0]" not in cell and cell == first.replace("programs[0].", "programs.1.")
