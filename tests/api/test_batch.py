"""Batch evaluation over HTTP and from the command line."""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from api import batch_io, schemas
from api.cli import main
from benchmarks.population import applicant
from engine import BATCH_PARALLEL_THRESHOLD as PARALLEL_THRESHOLD
from engine import BatchRunner, Rulebook, load_rulebook
from tests.helpers import REPO, batch_item_with_pid, without_pids

AS_OF = "2026-11-23"
GOOD = {
    "programs": [{"discipline": "medical-assisting", "accreditor": "CAAHEP", "completion_date": "2026-06-01"}],
    "certifications": [],
}
BAD = {"programs": [{"discipline": "medical-assisting", "clock_hours": "many"}]}


def test_batch_keeps_order_and_isolates_bad_items(client: Any) -> None:
    items = [{"id": "a", "applicant": GOOD}, {"id": "b", "applicant": BAD}, {"id": "c", "applicant": {}}]
    r = client.post("/v1/eligibility/batch", json={"as_of": AS_OF, "state": "WA", "items": items})
    assert r.status_code == 200
    body = r.json()
    schemas.BatchResponse.model_validate(body)
    assert [i["id"] for i in body["items"]] == ["a", "b", "c"]
    assert (body["count"], body["succeeded"], body["failed"]) == (3, 2, 1)
    a, b, c = body["items"]
    assert a["ok"] and "aama.cma" in a["eligible"]
    assert not b["ok"] and b["problem"]["status"] == 422
    assert b["problem"]["type"].endswith("/invalid-applicant")
    assert [e["field"] for e in b["problem"]["errors"]] == ["applicant.programs[0].clock_hours"]
    assert c["ok"] and c["eligible"] == []
    assert body["state"]["code"] == "WA" and body["state"]["notes"]


def test_batch_summary_agrees_with_single_answers(client: Any) -> None:
    rng = random.Random(11)
    applicants = [applicant(rng) for _ in range(40)]
    items = [{"id": str(i), "applicant": a} for i, a in enumerate(applicants)]
    body = client.post("/v1/eligibility/batch", json={"as_of": AS_OF, "items": items}).json()
    for item, facts in zip(body["items"], applicants, strict=True):
        payload = {"as_of": AS_OF, "detail": "standard", "applicant": facts}
        single = client.post("/v1/eligibility", json=payload).json()
        assert item["eligible"] == single["eligible"]
        by_id = {c["id"]: c for c in single["credentials"]}
        for outcome in item["credentials"]:
            full = by_id[outcome["id"]]
            assert outcome["status"] == full["status"]
            assert outcome["eligible_routes"] == full["eligible_routes"]
            assert outcome["inputs_needed"] == full["inputs_needed"]
            assert outcome["undetermined_reasons"] == full["undetermined_reasons"]
            assert outcome["nearest_route"] == full["nearest_route"]
            for key in ("eligible_from", "eligible_until", "timeline", "next_steps", "shortfalls"):
                assert outcome[key] == full[key], key  # the batch's guidance is the single answer's
            possible = [r["id"] for r in full["routes"] if r["feasibility"] == "possible"]
            if outcome["status"] == "eligible" or not possible:
                assert outcome["nearest_route"] is None
            else:  # the nearest route is one that can still be met, and it says what it misses
                assert outcome["nearest_route"] in possible
                assert outcome["missing_criteria"], outcome


@pytest.mark.parametrize("detail", ["standard", "full"])
def test_batch_details_equal_the_single_answer(client: Any, detail: str) -> None:
    items = [{"id": "a", "applicant": GOOD}]
    body = client.post("/v1/eligibility/batch", json={"as_of": AS_OF, "detail": detail, "items": items}).json()
    schemas.BatchResponse.model_validate(body)
    single = client.post("/v1/eligibility", json={"as_of": AS_OF, "detail": detail, "applicant": GOOD}).json()
    item = body["items"][0]
    assert item["details"] == single["credentials"]
    for key in ("definitions", "sources", "verifications"):
        assert item[key] == single[key]


def test_batch_streams_ndjson_in_order(client: Any) -> None:
    items = [{"id": f"i{n}", "applicant": GOOD if n % 3 else BAD} for n in range(9)]
    payload = {"as_of": AS_OF, "items": items}
    r = client.post("/v1/eligibility/batch", json=payload, headers={"Accept": "application/x-ndjson"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert r.headers["x-as-of"] == AS_OF
    lines = [json.loads(line) for line in r.text.splitlines()]
    for line in lines:
        schemas.BatchItemResult.model_validate(line)
    assert lines == client.post("/v1/eligibility/batch", json=payload).json()["items"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"id": "a", "applicant": "not an object"}]}, "items[0].applicant"),
        ({"items": [{"id": "", "applicant": {}}]}, "items[0].id"),
        ({"items": [{"applicant": {}}]}, "items[0].id"),
        ({"items": [{"id": "a", "applicant": {}}], "detail": "everything"}, "detail"),
    ],
)
def test_batch_envelope_errors_fail_the_request(client: Any, payload: dict[str, Any], field: str) -> None:
    r = client.post("/v1/eligibility/batch", json=payload)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_batch_limit_is_configurable(rulebook: Rulebook) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    app = create_app(Settings(batch_limit=2, batch_workers=1), rulebook=rulebook)
    with TestClient(app) as c:
        items = [{"id": str(n), "applicant": {}} for n in range(3)]
        r = c.post("/v1/eligibility/batch", json={"items": items})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "at most 2 items" in r.json()["detail"]


def test_worker_processes_give_the_same_results_in_order(rulebook: Rulebook) -> None:
    import datetime as dt

    rng = random.Random(5)
    items = [(f"x{n}", applicant(rng)) for n in range(PARALLEL_THRESHOLD + 50)]
    items[17] = ("bad", BAD)
    parallel = BatchRunner(rulebook, REPO / "rules", processes=2)
    try:
        got, pids = without_pids(list(parallel.run(items, as_of=dt.date(2026, 11, 23), encode=batch_item_with_pid)))
    finally:
        parallel.close()
    # Evaluated in worker processes, not here: a threshold raised above the batch size (the mutation review
    # doubled it) would run this batch inline and still give the right answers.
    assert pids and os.getpid() not in pids
    inline_runner = BatchRunner(rulebook, REPO / "rules", processes=1)
    inline, inline_pids = without_pids(
        list(inline_runner.run(items, as_of=dt.date(2026, 11, 23), encode=batch_item_with_pid))
    )
    assert inline_pids == {os.getpid()}
    assert [r["id"] for r in got] == [i for i, _ in items]
    assert got == inline
    assert not got[17]["ok"]


def test_a_batch_below_the_threshold_runs_inline_and_one_at_it_on_the_workers(rulebook: Rulebook) -> None:
    import datetime as dt

    items = [(str(n), {"birth_date": "1990-01-01"}) for n in range(PARALLEL_THRESHOLD)]
    runner = BatchRunner(rulebook, REPO / "rules", processes=2)
    try:
        below = list(runner.run(items[:-1], as_of=dt.date(2026, 11, 23), encode=batch_item_with_pid))
        assert {r["pid"] for r in below} == {os.getpid()}  # no worker started for a small batch
        at = list(runner.run(items, as_of=dt.date(2026, 11, 23), encode=batch_item_with_pid))
        assert os.getpid() not in {r["pid"] for r in at}
    finally:
        runner.close()
    assert [r["id"] for r in at] == [i for i, _ in items]


def test_cli_batch_jsonl_to_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(json.dumps(line) for line in ({"id": "s1", "applicant": GOOD}, {"id": "s2", "applicant": BAD}, GOOD))
        + "\n"
    )
    out = tmp_path / "out.csv"
    code = main(["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--credential", "aama.cma", "--workers", "1"])
    assert code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["s1", "s2", "3"]
    assert rows[0]["CMA (AAMA) [aama.cma]"] == "eligible" and rows[0]["eligible"] == "CMA (AAMA)"
    assert rows[1]["ok"] == "false" and "line 2, `applicant.programs[0].clock_hours`" in rows[1]["error"]
    assert "3 applicants" in capsys.readouterr().err
    # every row says what produced it
    rules = load_rulebook().version_id
    assert {(r["as_of"], r["rules"]) for r in rows} == {(AS_OF, rules)}


def test_cli_batch_says_when_no_fact_can_decide_a_credential(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(GOOD) + "\n")
    out = tmp_path / "out.csv"
    args = ["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--credential", "amt.mlt", "--workers", "1"]
    assert main(args) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["MLT(AMT) [amt.mlt]"] == "undetermined"
    assert row["MLT(AMT) [amt.mlt] inputs needed"].startswith(batch_io.REASONS["unencoded-route"])


def test_cli_batch_refuses_unknown_columns_before_any_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,birth_date,programs.0.discpline,high_school,high_school.credential.kind,programs.discipline,"
        "birth_date.0,high_school.0.credential, programs.0.discipline ,\nr1,2000-01-01,ekg,x,y,ekg,z,w,ekg,\n"
    )
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "-o", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "no row was evaluated" in err
    assert "`programs.0.discpline`: `programs` has no field `discpline`" in err
    assert "`high_school`: `high_school` is a record" in err
    assert "`high_school.credential.kind`: `credential` has no parts" in err
    assert "`programs.discipline`: `programs` is a list: name one of its items" in err
    assert "`birth_date.0`: `birth_date` has no parts" in err
    assert "`high_school.0.credential`: `high_school` is not a list" in err
    assert "`birth_date`:" not in err and "` programs.0.discipline `" not in err  # both name fields
    assert err.count("`: ") == 6
    assert not out.exists()


def test_cli_batch_output_problems_exit_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(GOOD) + "\n")
    assert main(["batch", str(source), "-o", str(tmp_path / "missing" / "out.csv")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert main(["batch", str(source), "-o", str(source)]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert source.read_text() == json.dumps(GOOD) + "\n"  # untouched


def test_cli_batch_csv_columns_by_path(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,high_school.credential,programs.0.discipline,programs.0.accreditor,programs.0.completion_date,"
        "programs.0.clock_hours,programs.0.military,certifications.0.credential\n"
        'r1,diploma,medical-assisting,CAAHEP,2026-06-01,"1,200",false,\n'
        "r2,diploma,medical-assisting,CAAHEP,2026-02-30,900,yes,nha.ccma\n"
    )
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(source), "-o", str(out), "--as-of", AS_OF, "--workers", "1"]) == 0
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert first["ok"] and "aama.cma" in first["eligible"]
    assert not second["ok"]
    assert [e["field"] for e in second["problem"]["errors"]] == ["applicant.programs[0].completion_date"]


@pytest.mark.parametrize(
    ("name", "content", "message"), [("in.txt", "", "expected a .jsonl or .csv"), ("in.jsonl", "{bad\n", "not JSON")]
)
def test_cli_batch_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, message: str
) -> None:
    source = tmp_path / name
    source.write_text(content)
    assert main(["batch", str(source), "-o", str(tmp_path / "out.csv")]) == 2
    assert message in capsys.readouterr().err


def test_an_encoded_item_is_the_items_json_with_what_the_endpoint_counts() -> None:
    """Workers send `EncodedItem`s: their bytes must decode to the very result `batch_item` makes, and their
    statuses be the credentials' (the endpoint's metrics read them instead of the result)."""
    import datetime as dt

    import orjson

    from api.serialize import batch_item, encoded_item

    book = load_rulebook()
    as_of = dt.date.fromisoformat(AS_OF)
    for facts in (GOOD, {}, applicant(random.Random(5))):
        evaluation = book.evaluate(book.parse_applicant(facts), as_of=as_of)
        encoded = encoded_item(book, "x", evaluation, None, detail=schemas.Detail.SUMMARY, language="es")
        result = batch_item(book, "x", evaluation, None, detail=schemas.Detail.SUMMARY, language="es")
        assert encoded.ok and encoded.data() == result == orjson.loads(orjson.dumps(result))
        assert encoded.statuses == tuple((c["id"], c["status"]) for c in result["credentials"])
    bad = encoded_item(book, "y", None, [{"field": "applicant.birth_date", "message": "m", "type": "t"}])
    assert not bad.ok and bad.statuses == () and bad.data()["problem"]["status"] == 422
