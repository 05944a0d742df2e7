"""The HTTP service. ``uvicorn api.main:app`` serves it; so does ``credcheck serve``.

The app is built by :func:`create_app` from a loaded rule set. At import, ``app`` is built from
``$CREDCHECK_RULES_DIR`` (default: the bundled ``rules/``); an invalid rule set stops the process with a
message naming each file, key and line at fault.
"""

import contextlib
import datetime as dt
import importlib.metadata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Path, Request
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from engine import BatchRunner, Rulebook, RuleSetError, load_rulebook

from .problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError, install_problem_handlers, item_problem, require_json
from .schemas import (
    BatchResponse,
    CredentialDetail,
    CredentialList,
    EligibilityResponse,
    Health,
    RequestModels,
    StateDetail,
)
from .settings import Settings

__all__ = ["app", "create_app", "utc_today"]

try:
    VERSION = importlib.metadata.version("credcheck")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    VERSION = "0.0.0"

DESCRIPTION = """\
Eligibility checker for US medical-technician certifications.

Send what is known about an applicant; get back, for every credential, whether they are **eligible**,
**ineligible** or **undetermined** (information missing), with every route and criterion explained, cited
and marked with its verification level, plus the licensing notes of a state.

* A criterion is `met`, `unmet`, or `unknown` when the facts given do not decide it; `missing_inputs` says
  what would.
* Results depend on `as_of` (default today, UTC) and on the rule set, identified by `rules.id` in the body
  and the `X-Rules-Version` header. The same request, `as_of` and rule set always give the same answer.
* Errors are `application/problem+json` (RFC 9457) and name the offending field.
"""

TAGS = [
    {"name": "eligibility", "description": "Evaluate applicants."},
    {
        "name": "catalogue",
        "description": "Credentials, routes, criteria and state notes, derived from the rule files.",
    },
    {"name": "operations", "description": "Health of the service."},
]

_PROBLEM = {"model": Problem}
_RULES_HEADER = {
    "X-Rules-Version": {
        "description": "Rule set version with its content digest, e.g. `0.1.0+sha256.3f2a9c0d1e2b4a5c`.",
        "schema": {"type": "string"},
    }
}


def utc_today() -> dt.date:
    """Today's date in UTC: the default evaluation date. Only the API layer reads the clock."""
    return dt.datetime.now(dt.UTC).date()


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


class RulesVersionHeader:
    """Adds ``X-Rules-Version`` to every response (pure ASGI: no per-request overhead beyond a header)."""

    def __init__(self, app: Callable[..., Awaitable[None]], value: str) -> None:
        self.app = app
        self.header = (b"x-rules-version", value.encode())

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Spec post-processing: problem+json for errors, the rules header on every response."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            separate_input_output_schemas=False,
        )
        for path_item in spec.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        content = response.get("content", {})
                        schema = content.pop("application/json", {}).get("schema") or {
                            "$ref": "#/components/schemas/Problem"
                        }
                        content[PROBLEM_MEDIA_TYPE] = {"schema": schema}
                        response["content"] = content
                    response.setdefault("headers", {}).update(_RULES_HEADER)
        schemas = spec.get("components", {}).get("schemas", {})
        # FastAPI's own validation error models are replaced by Problem everywhere.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    return build


def create_app(settings: Settings | None = None, rulebook: Rulebook | None = None) -> FastAPI:
    """Build the service for a rule set (default: load ``settings.rules_dir``).

    Raises:
        RuleSetError: the rule set is invalid.
    """
    settings = settings or Settings()
    book = rulebook if rulebook is not None else load_rulebook(settings.rules_dir)
    models = RequestModels(book)
    EligibilityRequest = models.EligibilityRequest  # noqa: N806 - a class
    BatchRequest = models.BatchRequest  # noqa: N806 - a class

    runner = BatchRunner(book, book.rules.root, processes=settings.batch_workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.close()  # worker processes of large batches, if any were started

    app = FastAPI(
        lifespan=lifespan,
        title="credcheck",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=lambda route: route.name,
        separate_input_output_schemas=False,
    )
    app.state.rulebook = book
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(RulesVersionHeader, value=book.version_id)  # type: ignore[arg-type]
    rules_info = {
        "name": book.rules.name,
        "version": book.version,
        "digest": f"sha256:{book.digest}",
        "id": book.version_id,
    }
    summaries = book.credential_summaries()

    @app.post(
        "/v1/eligibility",
        name="checkEligibility",
        summary="Check an applicant's eligibility",
        tags=["eligibility"],
        response_model=EligibilityResponse,
        responses={400: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM, 500: _PROBLEM},
        dependencies=[Depends(require_json)],
    )
    async def check_eligibility(body: EligibilityRequest) -> Response:  # type: ignore[valid-type]
        """Evaluate one applicant against every credential (or those listed) on `as_of`."""
        credentials = [c.value for c in body.credentials] if body.credentials else None
        result = book.evaluate(
            body.applicant,
            as_of=body.as_of or utc_today(),
            credentials=credentials,
            state=body.state.value if body.state else None,
        )
        return _json(result.as_dict())

    @app.post(
        "/v1/eligibility/batch",
        name="checkEligibilityBatch",
        summary="Check many applicants",
        tags=["eligibility"],
        response_model=BatchResponse,
        responses={
            200: {
                "description": (
                    "Results in input order. With `Accept: application/x-ndjson` they are streamed as they are "
                    "ready: one `BatchItemResult` JSON object per line (the evaluation date is then in the "
                    "`X-As-Of` header)."
                ),
                "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/BatchItemResult"}}},
            },
            400: _PROBLEM,
            413: _PROBLEM,
            415: _PROBLEM,
            422: _PROBLEM,
            500: _PROBLEM,
        },
        dependencies=[Depends(require_json)],
    )
    async def check_eligibility_batch(body: BatchRequest, request: Request) -> Response:  # type: ignore[valid-type]
        """Evaluate up to 10,000 applicants; an invalid item gets its own problem and does not fail the batch."""
        if len(body.items) > settings.batch_limit:
            raise ProblemError(
                413, "payload-too-large", f"this service accepts at most {settings.batch_limit:,} items per batch"
            )
        as_of = body.as_of or utc_today()
        credentials = [c.value for c in body.credentials] if body.credentials else None
        items = [(item.id, item.applicant) for item in body.items]

        def results() -> Iterator[dict[str, Any]]:
            for result in runner.run(items, as_of=as_of, credentials=credentials, detail=body.detail):
                if not result["ok"]:
                    result["problem"] = item_problem(result["problem"])
                yield result

        if "application/x-ndjson" in request.headers.get("accept", ""):

            def lines() -> Iterator[bytes]:
                for result in results():
                    yield orjson.dumps(result) + b"\n"

            return StreamingResponse(lines(), media_type="application/x-ndjson", headers={"X-As-Of": as_of.isoformat()})
        evaluated = await run_in_threadpool(lambda: list(results()))
        failed = sum(1 for r in evaluated if not r["ok"])
        state = book.state_notes(body.state.value, as_of=as_of, credentials=credentials) if body.state else None
        return _json(
            {
                "as_of": as_of.isoformat(),
                "rules": rules_info,
                "count": len(evaluated),
                "succeeded": len(evaluated) - failed,
                "failed": failed,
                "state": state,
                "items": evaluated,
            }
        )

    @app.get(
        "/v1/credentials",
        name="listCredentials",
        summary="List credentials",
        tags=["catalogue"],
        response_model=CredentialList,
        responses={500: _PROBLEM},
    )
    async def list_credentials() -> Response:
        """Every credential in the rule set, with its routes."""
        return _json({"rules": rules_info, "credentials": summaries})

    @app.get(
        "/v1/credentials/{credential_id}",
        name="getCredential",
        summary="Get a credential",
        tags=["catalogue"],
        response_model=CredentialDetail,
        responses={404: _PROBLEM, 422: _PROBLEM, 500: _PROBLEM},
    )
    async def get_credential(
        credential_id: str = Path(max_length=100, description="Credential id, e.g. `aama.cma`.", examples=["aama.cma"]),
    ) -> Response:
        """A credential with every route, criterion, citation, verification level and catalogue fact."""
        return _json(book.credential_detail(credential_id))

    @app.get(
        "/v1/states/{code}",
        name="getState",
        summary="Get a state's licensing notes",
        tags=["catalogue"],
        response_model=StateDetail,
        responses={404: _PROBLEM, 422: _PROBLEM, 500: _PROBLEM},
    )
    async def get_state(
        code: str = Path(max_length=10, description="USPS code, e.g. `WA`.", examples=["WA"]),
    ) -> Response:
        """Licensing notes of a state, DC or territory for the credential families in the rule set."""
        return _json(book.state_detail(code))

    @app.get(
        "/healthz",
        name="getHealth",
        summary="Liveness",
        tags=["operations"],
        response_model=Health,
        responses={500: _PROBLEM},
    )
    async def health() -> Response:
        """The process is up and has a rule set loaded."""
        return _json({"status": "ok", "rules": rules_info})

    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _app_from_environment() -> FastAPI:
    try:
        return create_app()
    except RuleSetError as exc:
        raise SystemExit(f"credcheck: refusing to start: {exc}") from None


app = _app_from_environment()
