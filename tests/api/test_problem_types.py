"""Every problem type of the closed set (``api.problems.PROBLEM_TYPES``) is produced for real and asserted.

Clients switch on ``type``, so each kind is checked where the service produces it: status, media type,
``type`` URI, ``title``, ``instance`` and the headers that go with it (``Allow``, ``Retry-After``,
``WWW-Authenticate``). The real app produces every kind but two: nothing in it answers 406 or raises a 503
problem (``/readyz`` answers 503 with its own body), so ``not-acceptable`` and ``unavailable`` are checked
through the handler on a test-only route, as is ``internal-error`` (a route that raises); ``request-timeout``
is driven at the ASGI level, since test clients always send whole bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from api.main import create_app
from api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES
from api.settings import Settings
from engine import Rulebook

BASE = "https://credcheck.dev/problems/"


def client_for(rulebook: Rulebook, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(batch_workers=1, **settings), rulebook=rulebook))


def assert_problem(r: httpx.Response, status: int, kind: str, path: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = r.json()
    assert (body["type"], body["title"], body["status"], body["instance"]) == (
        BASE + kind,
        PROBLEM_TYPES[kind],
        status,
        path,
    ), body
    return body


@pytest.fixture(scope="module")
def test_only_client(rulebook: Rulebook) -> Iterator[TestClient]:
    """The real app plus routes that fail on purpose (never part of the service)."""
    app = create_app(Settings(batch_workers=1), rulebook=rulebook)

    @app.get("/_test/raise")
    async def boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    @app.get("/_test/http/{status}")
    async def http_error(status: int) -> None:
        raise HTTPException(status, detail=f"test-only {status}")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# ------------------------------------------------------------------------------------------ each type


def malformed_request(client: TestClient, rulebook: Rulebook) -> None:
    r = client.post("/v1/eligibility", content=b"{not json", headers={"content-type": "application/json"})
    assert (
        assert_problem(r, 400, "malformed-request", "/v1/eligibility")["detail"]
        == "The request body is not valid JSON."
    )


def invalid_request(client: TestClient, rulebook: Rulebook) -> None:
    r = client.post("/v1/eligibility", json={"applicant": {"birth_date": "yesterday"}})
    body = assert_problem(r, 422, "invalid-request", "/v1/eligibility")
    assert [e["field"] for e in body["errors"]] == ["applicant.birth_date"]
    # A path parameter that fails validation is an invalid request, not a resource that is not there.
    path = "/v1/credentials/" + "x" * 101
    body = assert_problem(client.get(path), 422, "invalid-request", path)
    assert [e["field"] for e in body["errors"]] == ["credential_id"]


def invalid_applicant(client: TestClient, rulebook: Rulebook) -> None:
    items = [{"id": "good", "applicant": {}}, {"id": "bad", "applicant": {"programs": [{"clock_hours": -1}]}}]
    r = client.post("/v1/eligibility/batch", json={"as_of": "2026-11-23", "items": items})
    assert r.status_code == 200, r.text  # one bad item never fails the batch
    good, bad = r.json()["items"]
    assert good["ok"] and not bad["ok"]
    problem = bad["problem"]
    assert (problem["type"], problem["title"], problem["status"]) == (
        BASE + "invalid-applicant",
        PROBLEM_TYPES["invalid-applicant"],
        422,
    )
    assert "applicant.programs[0].clock_hours" in [e["field"] for e in problem["errors"]]


def unauthorized(client: TestClient, rulebook: Rulebook) -> None:
    with client_for(rulebook, api_keys="right-key") as c:
        r = c.get("/v1/credentials", headers={"X-API-Key": "wrong-key"})
        assert_problem(r, 401, "unauthorized", "/v1/credentials")
        assert r.headers["www-authenticate"] == 'Bearer realm="credcheck"'


def not_found(client: TestClient, rulebook: Rulebook) -> None:
    assert_problem(client.get("/nowhere"), 404, "not-found", "/nowhere")
    # The unknown-credential and unknown-state kinds: not found, naming what is unknown.
    body = assert_problem(client.get("/v1/credentials/nope.none"), 404, "not-found", "/v1/credentials/nope.none")
    assert body["detail"] == "unknown credential `nope.none`"
    body = assert_problem(client.get("/v1/states/XX"), 404, "not-found", "/v1/states/XX")
    assert body["detail"].startswith("`XX` is not the USPS code")


def method_not_allowed(client: TestClient, rulebook: Rulebook) -> None:
    for method, path, allow in (
        ("DELETE", "/v1/eligibility", "POST"),
        ("PUT", "/v1/credentials", "GET"),
        ("POST", "/v1/credentials/aama.cma", "GET"),
    ):
        r = client.request(method, path)
        body = assert_problem(r, 405, "method-not-allowed", path)
        assert r.headers["allow"] == allow, (method, path)
        assert body["detail"] == f"{method} is not allowed here."


def not_acceptable(client: TestClient, rulebook: Rulebook) -> None:
    # Not produced by the service itself (it answers JSON whatever the Accept header): the handler's mapping.
    r = client.get("/v1/credentials", headers={"accept": "application/xml"})
    assert r.status_code == 200
    assert_problem(client.get("/_test/http/406"), 406, "not-acceptable", "/_test/http/406")


def payload_too_large(client: TestClient, rulebook: Rulebook) -> None:
    with client_for(rulebook, body_limit=1024, batch_limit=1) as c:
        big = {"applicant": {"programs": [{"discipline": "ekg"}] * 60}}
        body = assert_problem(c.post("/v1/eligibility", json=big), 413, "payload-too-large", "/v1/eligibility")
        assert body["detail"] == "request body larger than 1,024 bytes"
        batch = {"items": [{"id": "a", "applicant": {}}, {"id": "b", "applicant": {}}]}
        r = c.post("/v1/eligibility/batch", json=batch)
        body = assert_problem(r, 413, "payload-too-large", "/v1/eligibility/batch")
        assert body["detail"] == "this service accepts at most 1 items per batch"


def unsupported_media_type(client: TestClient, rulebook: Rulebook) -> None:
    r = client.post("/v1/eligibility", content=b'{"applicant": {}}', headers={"content-type": "text/plain"})
    assert_problem(r, 415, "unsupported-media-type", "/v1/eligibility")


def too_many_requests(client: TestClient, rulebook: Rulebook) -> None:
    # One request a day after a burst of one: the second request is over the limit whatever the clock does.
    with client_for(rulebook, rate_limit=1 / 86400, rate_burst=1) as c:
        assert c.get("/v1/credentials").status_code == 200
        r = c.get("/v1/credentials")
        assert_problem(r, 429, "too-many-requests", "/v1/credentials")
        assert int(r.headers["retry-after"]) >= 1


def request_timeout(client: TestClient, rulebook: Rulebook) -> None:
    """A body that stops arriving: driven at the ASGI level, since test clients send whole bodies."""
    app = create_app(Settings(batch_workers=1, body_timeout=0.05), rulebook=rulebook)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not sent and not getattr(receive, "started", False):
            receive.started = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b'{"applicant": ', "more_body": True}
        await asyncio.sleep(60)  # the client stalls
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = "/v1/eligibility"
    headers = [(b"content-type", b"application/json"), (b"host", b"testserver")]
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "http_version": "1.1",
        "scheme": "http",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "root_path": "",
        "asgi": {"version": "3.0"},
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response = httpx.Response(start["status"], headers=start["headers"], content=body)
    assert_problem(response, 408, "request-timeout", path)
    assert response.headers["connection"] == "close"


def internal_error(client: TestClient, rulebook: Rulebook) -> None:
    r = client.get("/_test/raise")
    body = assert_problem(r, 500, "internal-error", "/_test/raise")
    assert body["detail"] == "An unexpected error occurred." and "internal detail" not in r.text


def unavailable(client: TestClient, rulebook: Rulebook) -> None:
    # Not produced by the service itself (readiness answers 503 with its own body): the handler's mapping.
    assert_problem(client.get("/_test/http/503"), 503, "unavailable", "/_test/http/503")


PRODUCERS: dict[str, Callable[[TestClient, Rulebook], None]] = {
    "malformed-request": malformed_request,
    "invalid-request": invalid_request,
    "invalid-applicant": invalid_applicant,
    "unauthorized": unauthorized,
    "not-found": not_found,
    "method-not-allowed": method_not_allowed,
    "not-acceptable": not_acceptable,
    "payload-too-large": payload_too_large,
    "unsupported-media-type": unsupported_media_type,
    "too-many-requests": too_many_requests,
    "request-timeout": request_timeout,
    "internal-error": internal_error,
    "unavailable": unavailable,
}


def test_every_problem_type_has_a_producer() -> None:
    assert sorted(PRODUCERS) == sorted(PROBLEM_TYPES)


@pytest.mark.parametrize("kind", sorted(PRODUCERS))
def test_problem_type(kind: str, test_only_client: TestClient, rulebook: Rulebook) -> None:
    PRODUCERS[kind](test_only_client, rulebook)


def test_readiness_503_is_not_a_problem(rulebook: Rulebook) -> None:
    """Outside the lifespan the service is not ready: 503 with the readiness body, which probes read."""
    r = TestClient(create_app(Settings(batch_workers=1), rulebook=rulebook)).get("/readyz")
    assert r.status_code == 503 and r.headers["content-type"] == "application/json"
    assert r.json()["status"] == "unavailable"


@pytest.mark.parametrize("status", [402, 409, 418])
def test_other_http_errors_are_invalid_requests(status: int, test_only_client: TestClient) -> None:
    assert_problem(test_only_client.get(f"/_test/http/{status}"), status, "invalid-request", f"/_test/http/{status}")


# ------------------------------------------------------------------------------------------ the details


def test_fields_are_named_without_where_the_value_came_from(test_only_client: TestClient) -> None:
    """A query parameter by its name, a body that is not an object as `body`, a model check's message without
    pydantic's `Value error, ` prefix."""
    body = assert_problem(test_only_client.get("/v1/credentials?lang=xx"), 422, "invalid-request", "/v1/credentials")
    assert [e["field"] for e in body["errors"]] == ["lang"] and body["detail"] == "1 invalid field: lang"
    for not_an_object in ([], "x"):
        body = assert_problem(
            test_only_client.post("/v1/eligibility", json=not_an_object), 422, "invalid-request", "/v1/eligibility"
        )
        assert [e["field"] for e in body["errors"]] == ["body"]
    program = {"discipline": "ekg", "start_date": "2026-01-02", "completion_date": "2026-01-01"}
    r = test_only_client.post("/v1/eligibility", json={"applicant": {"programs": [program]}})
    body = assert_problem(r, 422, "invalid-request", "/v1/eligibility")
    assert body["errors"] == [
        {"field": "applicant.programs[0]", "message": "completion_date is before start_date", "type": "value_error"}
    ]


def test_a_field_loses_only_the_part_saying_where_it_came_from() -> None:
    """`body`, `query`... are dropped from the front of a field; a field without one keeps every part, and an
    error with no location at all is about the body."""
    from fastapi.exceptions import RequestValidationError

    from api.problems import validation_errors

    locations = [
        ("body", "applicant", "birth_date"),
        ("query", "lang"),
        ("path", "credential_id"),
        ("header", "accept-language"),
        ("applicant", "programs", 0),
        (),
    ]
    malformed, errors = validation_errors(
        RequestValidationError([{"loc": loc, "msg": "Value error, wrong", "type": "value_error"} for loc in locations])
    )
    assert malformed is None
    assert [e["field"] for e in errors] == [
        "applicant.birth_date", "lang", "credential_id", "accept-language", "applicant.programs[0]", "body"
    ]  # fmt: skip
    assert {e["message"] for e in errors} == {"wrong"}


def test_a_batch_item_problem_counts_its_fields_and_names_the_first_five(test_only_client: TestClient) -> None:
    one = {"birth_date": "x"}
    two = {"birth_date": "x", "programs": [{"discipline": "ekg", "clock_hours": -1}]}
    six = {
        "programs": [
            {"discipline": "ekg", key: -1}
            for key in ("clock_hours", "didactic_hours", "clinical_hours", "duration_weeks", "venipunctures", "ekgs")
        ]
    }
    items = [{"id": str(n), "applicant": a} for n, a in enumerate((one, two, six))]
    r = test_only_client.post("/v1/eligibility/batch", json={"as_of": "2026-11-23", "items": items})
    details = [item["problem"]["detail"] for item in r.json()["items"]]
    assert details[0] == "1 invalid field: applicant.birth_date"
    assert details[1] == "2 invalid fields: applicant.birth_date, applicant.programs[0].clock_hours"
    fields = [
        f"applicant.programs[{n}]." + key
        for n, key in enumerate(("clock_hours", "didactic_hours", "clinical_hours", "duration_weeks", "venipunctures"))
    ]
    assert details[2] == "6 invalid fields: " + ", ".join(fields)
    assert len(r.json()["items"][2]["problem"]["errors"]) == 6


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("application/json; charset=utf-8", True),
        ("application/json; charset=utf-8; profile=x", True),
        ("application/merge-patch+json", True),
        ("text/plain+json", False),
        ("application/xml", False),
        ("text/plain", False),
        (None, False),
    ],
)
def test_only_json_bodies_are_read(test_only_client: TestClient, content_type: str | None, accepted: bool) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    r = test_only_client.post("/v1/eligibility", content=b'{"applicant": {}}', headers=headers)
    if accepted:
        assert r.status_code == 200, r.text
    else:
        body = assert_problem(r, 415, "unsupported-media-type", "/v1/eligibility")
        assert body["detail"] == "Send the request body as application/json."


def test_a_path_one_character_off_a_route_is_not_found_not_redirected(test_only_client: TestClient) -> None:
    """Only a trailing slash is forgiven (a redirect for GET, a hint otherwise): `/v1/credentialss` is not
    `/v1/credentials`."""
    r = test_only_client.get("/v1/credentialss", follow_redirects=False)
    body = assert_problem(r, 404, "not-found", "/v1/credentialss")
    assert body["detail"] == "No resource at /v1/credentialss." and "location" not in r.headers


def test_a_bug_is_logged_with_its_type_request_and_frames_never_its_message(
    test_only_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="credcheck"):
        assert test_only_client.get("/_test/raise").status_code == 500
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled ")]
    message = record.getMessage()
    assert message.startswith("unhandled RuntimeError on GET /_test/raise at ")
    assert "test_problem_types.py:" in message and " in boom" in message  # the frames, file:line in function
    assert "internal detail" not in message
