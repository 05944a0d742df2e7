"""Limits, API keys, CORS, rate limits, security headers, request ids, logs, metrics, readiness, reload."""

from __future__ import annotations

import hmac
import io
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.observability import JsonFormatter
from api.settings import Settings
from engine import Rulebook, load_rulebook
from tests.helpers import REPO

APPLICANT = {
    "birth_date": "1987-03-14",
    "high_school": {"credential": "diploma", "date": "2005-06-17"},
    "programs": [
        {
            "discipline": "medical-assisting",
            "accreditor": "CAAHEP",
            "completion_date": "2026-06-01",
            "clock_hours": 913.5,
            "clinical_hours": 177,
        }
    ],
    "work_experience": [{"role": "medical-assistant", "start_date": "2019-08-26", "hours_per_week": 37.25}],
}


def client_for(rulebook: Rulebook, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(batch_workers=1, **settings), rulebook=rulebook))


def test_oversized_bodies_get_413_before_parsing(rulebook: Rulebook) -> None:
    with client_for(rulebook, body_limit=2048, batch_body_limit=4096) as c:
        big = {"applicant": {"programs": [{"discipline": "ekg"}] * 100}, "as_of": "2026-11-23"}
        assert len(json.dumps(big)) > 2048
        r = c.post("/v1/eligibility", json=big)
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert "2,048 bytes" in r.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"applicant": {"programs": ['
            for _ in range(100):
                yield b'{"discipline": "ekg"},'
            yield b'{"discipline": "ekg"}]}}'

        r = c.post("/v1/eligibility", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        small = {"items": [{"id": "a", "applicant": {}}]}
        assert c.post("/v1/eligibility/batch", json=small).status_code == 200
        batch = {"items": [{"id": str(i), "applicant": {}} for i in range(200)]}
        assert c.post("/v1/eligibility/batch", json=batch).status_code == 413


def test_deeply_nested_bodies_are_refused_naming_the_reason(rulebook: Rulebook) -> None:
    with client_for(rulebook) as c:
        # Deeper than the JSON parser allows: 400, saying so (not "not JSON").
        deep = b'{"applicant": {"programs": ' + b"[" * 1100 + b"]" * 1100 + b"}}"
        r = c.post("/v1/eligibility", content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "The request body is nested more than 1,024 levels deep."
        # Valid JSON nested deeper than the model: 422 naming where the nesting starts.
        nested: Any = {"discipline": "ekg"}
        for _ in range(500):
            nested = [nested]
        r = c.post("/v1/eligibility", json={"applicant": {"programs": [nested]}})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == ["applicant.programs[0]"]
        r = c.post("/v1/eligibility", content=b'{"applicant": ', headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["detail"] == "The request body is not valid JSON."


def test_api_keys(rulebook: Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    with client_for(rulebook, api_keys="key-one, key-two") as c:
        r = c.get("/v1/credentials")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert c.get("/v1/credentials", headers={"X-API-Key": "key-three"}).status_code == 401
        calls.clear()
        assert c.get("/v1/credentials", headers={"X-API-Key": "key-one"}).status_code == 200
        assert calls == [b"key-one", b"key-two"]  # every key compared, in constant time, even after a match
        assert c.get("/v1/credentials", headers={"Authorization": "Bearer key-two"}).status_code == 200
        for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert c.get(open_path).status_code == 200, open_path


def test_cors_only_for_configured_origins(rulebook: Rulebook) -> None:
    with client_for(rulebook, cors_origins="https://registrar.example.edu") as c:
        preflight = {
            "Origin": "https://registrar.example.edu",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        }
        r = c.options("/v1/eligibility", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://registrar.example.edu"
        r = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    with client_for(rulebook) as c:  # off by default
        r = c.get("/healthz", headers={"Origin": "https://registrar.example.edu"})
        assert "access-control-allow-origin" not in r.headers


def test_rate_limit(rulebook: Rulebook) -> None:
    with client_for(rulebook, rate_limit=0.5, rate_burst=2) as c:
        assert c.get("/v1/credentials").status_code == 200
        assert c.get("/v1/credentials").status_code == 200
        r = c.get("/v1/credentials")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        assert c.get("/healthz").status_code == 200  # probes are never limited


def test_security_headers(client: TestClient) -> None:
    r = client.post("/v1/eligibility", json={"applicant": {}})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert client.get("/v1/credentials").headers["cache-control"].startswith("public")
    assert "script-src 'self';" in client.get("/docs").headers["content-security-policy"]  # local assets only


def test_request_ids(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "enrol-2026-0042"})
    assert given.headers["x-request-id"] == "enrol-2026-0042"
    made = client.get("/healthz", headers={"X-Request-ID": "spaces and / slashes"})
    assert len(made.headers["x-request-id"]) == 32 and "/" not in made.headers["x-request-id"]
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_logs_never_contain_applicant_data(rulebook: Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # The service's loggers, and the root logger for anything a library logs on its own.
    loggers = [logging.getLogger(name) for name in ("credcheck", "uvicorn", "uvicorn.error", "")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        app = create_app(Settings(batch_workers=1), rulebook=rulebook)
        with TestClient(app, raise_server_exceptions=False) as c:
            c.post(
                "/v1/eligibility", json={"as_of": "2026-11-23", "applicant": APPLICANT}, headers={"X-Request-ID": "t-1"}
            )
            c.post("/v1/eligibility", json={"applicant": {**APPLICANT, "birth_date": "1987-02-30"}})
            items = [{"id": "s1", "applicant": APPLICANT}, {"id": "s2", "applicant": {"birth_date": "1987-03-14x"}}]
            c.post("/v1/eligibility/batch", json={"items": items})
            monkeypatch.setattr(app.state.service.book, "evaluate", _explode)
            assert c.post("/v1/eligibility", json={"applicant": APPLICANT}).status_code == 500
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line.get("request_id") == "t-1" and line.get("status") == 200 for line in lines)
    assert any(line["level"] == "error" and "RuntimeError" in line["message"] for line in lines)
    secrets = {"1987-02-30", "1987-03-14x", *_leaf_values(APPLICANT)}
    assert {"diploma", "medical-assistant", "913.5", "2026-06-01"} <= secrets  # the walk found the values
    for secret in secrets:
        assert secret not in text, secret


def _leaf_values(value: Any) -> set[str]:
    """Every value in an applicant, as text. Short numbers ("177") are left out: they can occur by chance
    in a random request id or a duration, and would make the test flaky without telling anything."""
    if isinstance(value, dict):
        return set().union(*(_leaf_values(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_leaf_values(v) for v in value))
    if isinstance(value, bool):
        return set()
    if isinstance(value, int | float):
        return {str(value)} if len(str(value)) >= 4 else set()
    return {str(value)}


def _explode(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("applicant born 1987-03-14")


def test_metrics(client: TestClient) -> None:
    client.post("/v1/eligibility", json={"as_of": "2026-11-23", "applicant": APPLICANT})
    client.get("/v1/credentials/aama.cma")
    text = client.get("/metrics").text
    assert 'credcheck_http_requests_total{method="POST",route="/v1/eligibility",status="200"}' in text
    assert 'route="/v1/credentials/{credential_id}"' in text  # templates, not raw paths
    assert 'credcheck_evaluations_total{credential="aama.cma",status="eligible"}' in text
    assert "credcheck_http_request_duration_seconds_bucket" in text
    assert "credcheck_rules_info{" in text


def test_readiness_follows_the_lifespan(rulebook: Rulebook) -> None:
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)
    outside = TestClient(app)  # lifespan not started
    assert outside.get("/readyz").status_code == 503
    assert outside.get("/healthz").status_code == 200  # alive, not ready
    with TestClient(app) as c:
        body = c.get("/readyz").json()
        assert body["status"] == "ready" and body["rules_on_disk"] == "loaded"
    assert outside.get("/readyz").json()["status"] == "unavailable"  # after shutdown


def test_reload_only_replaces_a_working_rule_set_with_a_valid_compatible_one(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(REPO / "rules", root)
    app = create_app(Settings(batch_workers=1), rulebook=load_rulebook(root))
    state = app.state.service
    with TestClient(app) as c:
        first = c.get("/healthz").headers["x-rules-version"]
        assert state.try_reload() == "unchanged"

        cma = root / "credentials" / "aama" / "cma.yaml"
        cma.write_text(
            cma.read_text().replace("The program is a medical assisting program", "A medical assisting program")
        )
        assert state.try_reload() == "reloaded"
        second = c.get("/healthz").headers["x-rules-version"]
        assert second != first
        label = c.get("/v1/credentials/aama.cma").json()["routes"][0]["criteria"][0]["label"]
        assert label == "A medical assisting program"

        cma.write_text(cma.read_text().replace("test: {at_least: 560}", "test: {at_least: lots}"))
        assert state.try_reload() == "invalid"
        assert c.get("/healthz").headers["x-rules-version"] == second  # still serving the working set
        assert c.get("/readyz").json()["rules_on_disk"] == "invalid"
        assert c.post("/v1/eligibility", json={"applicant": {}}).status_code == 200

        cma.write_text(cma.read_text().replace("test: {at_least: lots}", "test: {at_least: 560}"))
        vocabulary = root / "vocabulary.yaml"
        vocabulary.write_text(
            vocabulary.read_text().replace("      NAACLS:", "      COAMLS: A new accreditor\n      NAACLS:")
        )
        assert state.try_reload() == "incompatible"
        assert c.get("/healthz").headers["x-rules-version"] == second
