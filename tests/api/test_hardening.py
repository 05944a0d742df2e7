"""Limits, API keys, CORS, rate limits, security headers, request ids, logs, metrics, readiness, reload."""

from __future__ import annotations

import hmac
import io
import json
import logging
import shutil
import time
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


class StillClock:
    """The rate limiter's clock (``api.middleware`` reads ``time.monotonic``): it stands still unless a test moves
    it, so what the limits answer never depends on how fast the machine runs the requests. The rates are slow
    as well (tokens an hour), so the client table's real-time expiry (a bucket's refill time) never comes."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StillClock:
    still = StillClock()
    monkeypatch.setattr("api.middleware.time", still)
    return still


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


def test_rate_limit(rulebook: Rulebook, clock: StillClock) -> None:
    with client_for(rulebook, rate_limit=1 / 3600, rate_burst=2) as c:  # a token an hour, 2 at once
        assert c.get("/v1/credentials").status_code == 200
        assert c.get("/v1/credentials").status_code == 200
        r = c.get("/v1/credentials")
        assert r.status_code == 429 and r.headers["retry-after"] == "3600"
        assert r.headers["content-type"] == "application/problem+json"
        assert c.get("/healthz").status_code == 200  # probes are never limited
        clock.now += 3599  # a second short of a token
        r = c.get("/v1/credentials")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        clock.now += 1
        assert c.get("/v1/credentials").status_code == 200  # refilled: one token, taken
        assert c.get("/v1/credentials").status_code == 429


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


# ------------------------------------------------------------------------------ issue 10: authentication


def test_rotating_fake_keys_do_not_bypass_the_rate_limit(rulebook: Rulebook, clock: StillClock) -> None:
    # No keys configured: a presented key is no identity, the address is (it once made a bucket per key).
    with client_for(rulebook, rate_limit=1 / 3600, rate_burst=2) as c:
        codes = [c.get("/v1/credentials", headers={"X-API-Key": f"fake-{i}"}).status_code for i in range(8)]
    assert codes[:2] == [200, 200] and set(codes[2:]) == {429}


def test_verified_keys_have_their_own_buckets(rulebook: Rulebook, clock: StillClock) -> None:
    with client_for(rulebook, api_keys="key-one,key-two", rate_limit=1 / 3600, rate_burst=2) as c:
        one = [c.get("/v1/credentials", headers={"X-API-Key": "key-one"}).status_code for _ in range(3)]
        two = [c.get("/v1/credentials", headers={"X-API-Key": "key-two"}).status_code for _ in range(2)]
    assert one == [200, 200, 429] and two == [200, 200]


def test_failed_authentication_is_throttled_per_address(rulebook: Rulebook, clock: StillClock) -> None:
    with client_for(rulebook, api_keys="the-key", auth_failure_limit=5) as c:
        codes = [c.get("/v1/credentials", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(10)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        throttled = c.get("/v1/credentials", headers={"X-API-Key": "guess-x"})
        assert throttled.headers["content-type"] == "application/problem+json"
        assert int(throttled.headers["retry-after"]) >= 1
        # While throttled, the right key gets 429 too: a guesser cannot tell a hit from a miss.
        assert c.get("/v1/credentials", headers={"X-API-Key": "the-key"}).status_code == 429
        assert c.get("/healthz").status_code == 200  # probes stay open
        clock.now += 12  # 5 failures a minute: one more guess 12 seconds later
        assert c.get("/v1/credentials", headers={"X-API-Key": "the-key"}).status_code == 200


def test_a_key_list_without_a_key_refuses_to_start(rulebook: Rulebook) -> None:
    for value in (",", " , ", "  "):
        with pytest.raises(ValueError, match="holds no key"):
            create_app(Settings(api_keys=value, batch_workers=1), rulebook=rulebook)


def test_open_routes_are_exact_and_metrics_can_be_protected(rulebook: Rulebook) -> None:
    with client_for(rulebook, api_keys="the-key", auth_failure_limit=100) as c:
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/redoc", "/metrics"):
            assert c.get(path).status_code == 200, path
        for path in ("/healthzz", "/metrics/x", "/docsx", "/openapi.json.bak"):
            assert c.get(path).status_code == 401, path  # once open by prefix
    with client_for(rulebook, api_keys="the-key", protect_metrics=True) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"X-API-Key": "the-key"}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_trailing_slashes_never_redirect_to_the_host_header(client: TestClient) -> None:
    evil = {"Host": "evil.example"}
    r = client.post("/v1/eligibility/", json={"applicant": {}}, headers=evil, follow_redirects=False)
    assert r.status_code == 404 and "location" not in r.headers
    assert r.headers["content-type"] == "application/problem+json"
    assert "/v1/eligibility?" in r.json()["detail"]  # it names the path meant
    r = client.get("/v1/credentials/?page=1", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/v1/credentials?page=1"
    # A raw path of `//host/` (not a protocol-relative URL, which httpx would send to that host).
    assert client.get("http://testserver//evil.example/", follow_redirects=False).status_code == 404
    # The shortest path with a slash too many, `//`, is the page's `/`: the only one-character path there is.
    r = client.get("http://testserver//", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/"


# ------------------------------------------------------------------------------ issue 10: HTTP details


def test_head_on_every_get_route(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/credentials", "/v1/states/wa"):
        get, head = client.get(path), client.head(path)
        # (/readyz of the shared app may be 503: another test's client may have ended its lifespan)
        assert head.status_code == get.status_code == (get.status_code if path == "/readyz" else 200), path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/v1/credentials/aama.cma").headers["content-length"] == str(
        len(client.get("/v1/credentials/aama.cma").content)
    )
    assert client.head("/v1/eligibility").status_code == 405


def test_catalogue_answers_carry_an_etag_and_answer_304(rulebook: Rulebook) -> None:
    with client_for(rulebook) as c:
        for path in ("/v1/credentials", "/v1/credentials/aama.cma", "/v1/states/WA"):
            first = c.get(path)
            etag = first.headers["etag"]
            assert first.headers["cache-control"] == "public, max-age=300"
            again = c.get(path, headers={"If-None-Match": f'W/{etag}, "other"'})
            assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
            assert c.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
        assert c.get("/v1/credentials/nope", headers={"If-None-Match": "*"}).status_code == 404
    with client_for(rulebook, api_keys="the-key") as c:
        r = c.get("/v1/states/wa", headers={"X-API-Key": "the-key"})
        assert r.headers["cache-control"] == "private, max-age=300"  # answered to a key: no shared caches


def test_the_etag_follows_the_rule_set(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(REPO / "rules", root)
    app = create_app(Settings(batch_workers=1), rulebook=load_rulebook(root))
    with TestClient(app) as c:
        before = c.get("/v1/credentials/aama.cma").headers["etag"]
        cma = root / "credentials" / "aama" / "cma.yaml"
        cma.write_text(cma.read_text().replace("The program is a medical assisting program", "An MA program"))
        assert app.state.service.try_reload() == "reloaded"
        r = c.get("/v1/credentials/aama.cma", headers={"If-None-Match": before})
        assert r.status_code == 200 and r.headers["etag"] != before


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"9" * 400])
def test_numbers_beyond_a_double_name_the_field(client: TestClient, number: bytes) -> None:
    body = b'{"applicant": {"programs": [{"discipline": "ekg", "clock_hours": ' + number + b"}]}}"
    r = client.post("/v1/eligibility", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["applicant.programs[0].clock_hours"]
    # still 400 when the body is not JSON at all, whatever number it starts with
    r = client.post("/v1/eligibility", content=b'{"applicant": ' + number, headers={"content-type": "application/json"})
    assert r.status_code == 400


def test_state_codes_in_any_case_in_request_bodies(client: TestClient) -> None:
    single = client.post("/v1/eligibility", json={"as_of": "2026-11-23", "state": "wa", "applicant": {}})
    assert single.status_code == 200 and single.json()["state"]["code"] == "WA"
    batch = client.post("/v1/eligibility/batch", json={"state": "nY", "items": [{"id": "a", "applicant": {}}]})
    assert batch.status_code == 200 and batch.json()["state"]["code"] == "NY"
    spec = client.get("/openapi.json").json()
    assert "WA" in spec["components"]["schemas"]["StateCode"]["enum"]  # the spec keeps the upper-case enum


def test_readiness_says_loaded_again_once_the_broken_file_is_restored(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(REPO / "rules", root)
    app = create_app(Settings(batch_workers=1), rulebook=load_rulebook(root))
    with TestClient(app) as c:
        cma = root / "credentials" / "aama" / "cma.yaml"
        good = cma.read_text()
        cma.write_text(good.replace("test: {at_least: 560}", "test: {at_least: lots}"))
        assert app.state.service.try_reload() == "invalid"
        assert c.get("/readyz").json()["rules_on_disk"] == "invalid"
        cma.write_text(good)
        assert app.state.service.try_reload() == "unchanged"
        assert c.get("/readyz").json()["rules_on_disk"] == "loaded"


def test_metrics_label_the_docs_and_the_spec_by_their_path(client: TestClient) -> None:
    client.get("/docs")
    client.get("/openapi.json")
    client.get("/no/such/page")
    text = client.get("/metrics").text
    assert 'route="/docs",status="200"' in text and 'route="/openapi.json",status="200"' in text
    assert 'route="unmatched",status="404"' in text
