"""The registrar's upload: a cohort file in, the results file out, with the batch endpoint's limits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from engine import Rulebook

COHORT = (
    "id,birth_date,high_school.credential,programs.0.discipline,programs.0.status,programs.0.completion_date,"
    "programs.0.accreditor,programs.0.clock_hours\n"
    "s-001,2001-04-09,diploma,medical-assisting,completed,2024-06-12,CAAHEP,900\n"
    "s-002,1999-01-31,ged,phlebotomy,completed,2023-05-01,none,120\n"
    "s-003,1999-02-30,diploma,,,,,\n"
)


def upload(client: TestClient, name: str, data: bytes, output: str = "same", language: str = "en") -> object:
    return client.post(
        f"/{language}/registrar", files={"cohort": (name, data, "text/csv")}, data={"output": output}
    )


def test_a_csv_cohort_gets_a_csv_of_results(client: TestClient, rulebook: Rulebook) -> None:
    r = upload(client, "cohort.csv", COHORT.encode())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    today = dt.datetime.now(dt.UTC).date()
    assert r.headers["content-disposition"] == f'attachment; filename="credcheck-results-{today}.csv"'
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))  # with a BOM, for spreadsheets
    assert [row["id"] for row in rows] == ["s-001", "s-002", "s-003"]
    assert r.headers["x-applicants"] == "3" and r.headers["x-applicants-failed"] == "1"
    first = rulebook.evaluate(
        {
            "birth_date": "2001-04-09",
            "high_school": {"credential": "diploma"},
            "programs": [
                {
                    "discipline": "medical-assisting",
                    "status": "completed",
                    "completion_date": "2024-06-12",
                    "accreditor": "CAAHEP",
                    "clock_hours": 900,
                }
            ],
        },
        as_of=today,
    )
    designations = {c: rulebook.rules.credentials[c].designation for c in rulebook.credential_ids}
    assert rows[0]["eligible"].split("; ") == [designations[c] for c in first.eligible]
    for credential, verdict in first.verdicts:
        assert rows[0][f"{designations[credential]} [{credential}]"] == verdict
    assert rows[2]["ok"] == "false" and "birth_date" in rows[2]["error"]
    assert {row["rules"] for row in rows} == {rulebook.version_id}


def test_a_jsonl_cohort_and_either_output(client: TestClient) -> None:
    lines = [
        {"id": "a", "applicant": {"programs": [{"discipline": "ekg", "ekgs": 12}]}},
        {"high_school": {"credential": "diploma"}},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    r = upload(client, "cohort.jsonl", data)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    results = [json.loads(line) for line in r.text.splitlines()]
    assert [x["id"] for x in results] == ["a", "2"] and all(x["ok"] for x in results)
    as_csv = upload(client, "cohort.jsonl", data, output=".csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.decode("utf-8-sig").startswith("id,ok,error,eligible")


def test_a_file_that_cannot_be_checked_is_explained_next_to_the_upload(client: TestClient) -> None:
    cases = [
        ("cohort.xlsx", b"PK\x03\x04", "The file must be a .csv or a .jsonl file."),
        ("cohort.csv", b"id,progams.0.discipline\n1,x\n", "did you mean"),
        ("cohort.csv", b"id,student_name\n1,x\n", "no column names an applicant field"),
        ("cohort.jsonl", b'{"id": 1}\n{oops\n', "line 2: not JSON"),
        ("cohort.csv", b"id,birth_date\n", "no applicants"),
    ]
    for name, data, message in cases:
        r = upload(client, name, data)
        assert r.status_code == 422, name
        assert message in r.text, (name, r.text[-2000:])
        assert 'id="f-cohort-error"' in r.text and 'aria-invalid="true"' in r.text
    missing = client.post("/en/registrar", data={"output": "same"})
    assert missing.status_code == 422 and "Choose a file to upload." in missing.text
    spanish = upload(client, "cohort.txt", b"x", language="es")
    assert "El archivo debe ser .csv o .jsonl." in spanish.text
    # what is wrong with the file's content is said in the page's language too (it was English on /es/)
    spanish_cases = [
        (b"id,progams.0.discipline\n1,x\n", "¿quiso decir `programs.0.discipline`?"),
        (b"id,student_name\n1,x\n", "ninguna columna corresponde a un campo del solicitante"),
        (b"id,programs.discipline\n1,x\n", "`programs` es una lista: indique uno de sus elementos"),
        (b"id,birth_date\n", "el archivo no contiene solicitantes"),
    ]
    for data, message in spanish_cases:
        r = upload(client, "cohort.csv", data, language="es")
        assert r.status_code == 422 and message in r.text, r.text[-2000:]
        assert 'lang="en"' not in r.text.split('id="f-cohort-error"', 1)[1][:400]  # marked as Spanish


def client_page(rulebook: Rulebook) -> str:
    with TestClient(create_app(Settings(batch_workers=1), rulebook=rulebook)) as c:
        return c.get("/es/registrar").text


def test_the_batch_limits_apply(rulebook: Rulebook) -> None:
    settings = Settings(batch_workers=1, batch_limit=2, body_limit=1024, batch_body_limit=256 * 1024)
    with TestClient(create_app(settings, rulebook=rulebook)) as c:
        too_many = upload(c, "cohort.csv", b"id,birth_date\n" + b"".join(b"%d,2001-01-01\n" % i for i in range(3)))
        assert too_many.status_code == 422 and "more than 2 applicants" in too_many.text
        page = c.get("/en/registrar").text
        assert "At most 2 applicants and 256 KB per file." in page  # the limits shown are the service's
        assert "Como máximo, 10,000 solicitantes y 32 MB" in client_page(rulebook)
        # Larger than the page's body limit, within the batch's: accepted; larger than the batch's: 413.
        padded = b"id,birth_date\n1,2001-01-01\n" + b"\n" * 4096
        assert upload(c, "cohort.csv", padded).status_code == 200
        assert upload(c, "cohort.csv", b"\n" * (300 * 1024)).status_code == 413
        assert c.post("/en/", data={"birth_date": "x" * 2048}).status_code == 413
