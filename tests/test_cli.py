"""The credcheck command: rules validate, check (text and JSON), exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from api.cli import main
from tests.helpers import REPO, credential, make_rule_set

APPLICANT = {
    "certifications": [],
    "programs": [
        {
            "discipline": "medical-assisting",
            "accreditor": "CAAHEP",
            "completion_date": "2026-06-12",
            "clock_hours": 900,
            "clinical_hours": 180,
        }
    ],
}


def test_rules_validate_reports_the_bundled_rule_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", "--rules-dir", str(REPO / "rules")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rule set OK") and "credentials" in out and "+sha256." in out


def test_rules_validate_names_file_key_and_line_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = credential(
        "criteria:\n  x:\n    label: X\n    measure: program.clock_hours\n    test: {at_least: many}\n"
        "    cite: {source: doc}\nroutes:\n  - {id: r, label: R, criteria: [x]}\n"
    )
    assert main(["rules", "validate", "--rules-dir", str(make_rule_set(tmp_path, bad))]) == 1
    err = capsys.readouterr().err
    assert "credentials/test/cred.yaml:14: `criteria.x.test.at_least` `many` is not a number" in err


def test_check_explains_in_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "applicant.json"
    path.write_text(json.dumps(APPLICANT))
    assert main(["check", str(path), "--as-of", "2026-11-23", "--credential", "aama.cma", "--state", "WA"]) == 0
    out = capsys.readouterr().out
    assert "eligible for: aama.cma" in out
    assert "ELIGIBLE      CMA (AAMA)" in out
    assert "+ Met: The program is accredited by CAAHEP or ABHES (yours: CAAHEP)." in out
    assert "Washington (WA):" in out and "Medical Assistant-Certified" in out


def test_check_text_shows_alternatives_and_routes_it_cannot_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "applicant.json"
    path.write_text(json.dumps(APPLICANT))
    args = ["check", str(path), "--as-of", "2026-11-23", "--credential", "amt.rma", "--credential", "amt.mlt"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "        + one of: Accredited by CAAHEP or ABHES" in out  # a group, its members indented below
    assert "\n          + Met: The program is accredited by CAAHEP or ABHES" in out
    assert "UNDETERMINED  MLT(AMT)" in out
    assert "[?] Eligibility routes of MLT(AMT)  (confidence: low)" in out
    assert "        not encoded: " in out


def test_check_json_equals_the_api_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str], client: object) -> None:
    request = {"as_of": "2026-11-23", "state": "CA", "applicant": APPLICANT}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    assert main(["check", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == client.post("/v1/eligibility", json=request).json()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"programs": [{"discipline": "nope"}]}', [], "applicant.programs[0].discipline: Input should be"),
        ("[1, 2]", [], "expected a JSON object"),
        ("{not json", [], "cannot read"),
        ("{}", ["--credential", "x.y"], "unknown credential `x.y`"),
        ("{}", ["--as-of", "2026-02-30"], "as_of must be a YYYY-MM-DD date"),
    ],
)
def test_check_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, args: list[str], message: str
) -> None:
    path = tmp_path / "a.json"
    path.write_text(content)
    assert main(["check", str(path), *args]) == 2
    assert message in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_batch_progress_shows_count_rate_and_time_left_on_a_terminal() -> None:
    from api.cli import _Progress

    now = [100.0]
    out = _Terminal()
    progress = _Progress(1000, out)
    progress.clock = lambda: now[0]
    progress.start = progress.last = 100.0
    now[0] = 102.0  # 250 done in 2 s: 125/s, 750 left, 6 s
    progress.update(250)
    now[0] = 102.1  # too soon to redraw
    progress.update(260)
    now[0] = 108.0
    progress.update(1000, final=True)
    assert out.getvalue() == ("\r  250/1,000   25.0%  125/s  ETA 0:06   \r  1,000/1,000  100.0%  125/s  ETA 0:00   \n")
    quiet = io.StringIO()  # not a terminal (a pipe, a log file): nothing is drawn
    _Progress(10, quiet).update(10, final=True)
    assert quiet.getvalue() == ""


def test_check_text_speaks_the_language_asked_for_and_ends_with_the_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "applicant.json"
    path.write_text(json.dumps(APPLICANT))
    args = ["check", str(path), "--as-of", "2026-11-23", "--credential", "aama.cma"]
    assert main(args) == 0
    english = capsys.readouterr().out
    assert main([*args, "--lang", "es"]) == 0
    spanish = capsys.readouterr().out
    assert "(confidence: high)" in english and "(confianza: alta)" in spanish  # words, not the level's code
    assert "ELIGIBLE      CMA (AAMA)" in english and "ELEGIBLE      " in spanish
    assert english.rstrip().splitlines()[-1].startswith("  1. You meet “Category 1: ")
    assert spanish.rstrip().splitlines()[-1].startswith("  1. Cumple los requisitos de la vía “Categoría 1: ")
    # every verdict word is followed by a space, however long it is in the language
    assert main([*args[:-2], "--credential", "nha.ccma", "--lang", "es"]) == 0
    assert "SIN DETERMINAR  CCMA (NHA)" in capsys.readouterr().out


def test_batch_file_problems_are_said_in_the_language_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that cannot be read is explained in `--lang`'s language, as its results would be written."""
    source = tmp_path / "cohort.csv"
    source.write_text("id,progams.0.discipline,id\n1,x,2\n")
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "-o", str(out)]) == 2
    english = capsys.readouterr().err
    assert main(["batch", str(source), "-o", str(out), "--lang", "es"]) == 2
    spanish = capsys.readouterr().err
    assert "no row was evaluated" in english and "did you mean `programs.0.discipline`?" in english
    assert "cohort.csv: no se evaluó ninguna fila:" in spanish
    assert "`id`: la columna id aparece dos veces" in spanish and "¿quiso decir `programs.0.discipline`?" in spanish
    assert "did you mean" not in spanish and not out.exists()
