"""Batch files for registrars: note columns, values as people type them, readable CSV and XLSX results,
formula injection neutralised, the sample cohort in docs/."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from api.cli import main

AS_OF = "2026-11-23"
GOOD = {
    "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "completion_date": "2026-06-01"}],
    "certifications": [],
}
INJECTIONS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x.example","y")']


def test_csv_output_neutralises_formula_injection_in_ids(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "applicant": GOOD}) + "\n" for i in INJECTIONS))
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--credential", "aama.cma"]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert ids == ["'" + i for i in INJECTIONS]
