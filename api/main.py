"""The HTTP service. ``uvicorn api.main:app`` serves it; so does ``credcheck serve``.

The app is built by :func:`create_app` from a loaded rule set. At import, ``app`` is built from
``$CREDCHECK_RULES_DIR`` (default: the bundled ``rules/``); an invalid rule set stops the process with a
message naming each file, key and line at fault.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import importlib.metadata
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from engine import BatchRunner, Rulebook, RuleSetError, load_rulebook, rule_set_digest

from . import web
from .i18n import negotiate
from .middleware import AccessLog, ApiKeyAuth, BodyLimit, RateLimit, SecurityHeaders
from .observability import Metrics, configure_logging, render_metrics
from .problems import (
    MAX_JSON_DEPTH,
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemError,
    install_problem_handlers,
    require_json,
)
from .schemas import (
    MAX_BATCH,
    BatchResponse,
    CredentialDetail,
    CredentialList,
    Detail,
    EligibilityResponse,
    Health,
    Language,
    Readiness,
    RequestModels,
    StateDetail,
    load_examples,
)
from .serialize import batch_item, identity_json, serializer
from .settings import Settings, split_list
from .turns import Turns

__all__ = ["app", "create_app", "utc_today"]

logger = logging.getLogger("credcheck.api")

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
* When the service is configured with API keys, send one as `X-API-Key` or `Authorization: Bearer`.
"""

TAGS = [
    {"name": "eligibility", "description": "Evaluate applicants."},
    {"name": "catalogue", "description": "Credentials, routes, criteria and state notes, derived from the rule files."},
    {"name": "operations", "description": "Health of the service."},
]

_PROBLEM = {"model": Problem}
# Errors every operation may answer, depending on configuration (keys, rate limit).
_COMMON_ERRORS = {
    401: {**_PROBLEM, "description": "API keys are configured and none (or a wrong one) was sent."},
    429: {**_PROBLEM, "description": "Rate limit exceeded (when configured); `Retry-After` says when to retry."},
    500: _PROBLEM,
}


def _default(name: str) -> Any:
    # Limits documented in the spec are the defaults, so the committed spec does not depend on a deployment.
    return Settings.model_fields[name].default


def _body_errors(size_limit: str) -> dict[int | str, dict[str, Any]]:
    return {
        400: {
            **_PROBLEM,
            "description": (
                f"The body is not JSON, or is nested more than {MAX_JSON_DEPTH:,} levels deep (anything nested "
                "deeper than the request model fails validation with 422 first)."
            ),
        },
        413: {**_PROBLEM, "description": size_limit},
        415: {**_PROBLEM, "description": "The body is not sent as `application/json`."},
        422: {
            **_PROBLEM,
            "description": (
                "Invalid fields, each named in `errors` (e.g. `applicant.programs[0].clock_hours`). Strings, "
                "lists and numbers are bounded as the schema states; unknown fields are refused."
            ),
        },
    }


_BODY_ERRORS = _body_errors(
    f"The body is larger than {_default('body_limit') // 1024:,} KiB by default (`CREDCHECK_BODY_LIMIT`)."
)
_BATCH_BODY_ERRORS = _body_errors(
    f"The body is larger than {_default('batch_body_limit') // 1048576:,} MiB by default "
    "(`CREDCHECK_BATCH_BODY_LIMIT`), or holds more items than the service is configured to accept "
    f"(`CREDCHECK_BATCH_LIMIT`, when set below {MAX_BATCH:,}; more than {MAX_BATCH:,} items fail validation "
    "with 422)."
)
_RESPONSE_HEADERS = {
    "X-Rules-Version": {
        "description": "Rule set version with its content digest, e.g. `0.3.0+sha256.2b410e8aab4a53d0`.",
        "schema": {"type": "string"},
    },
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a valid `X-Request-ID`), also in the service's logs.",
        "schema": {"type": "string"},
    },
}


def utc_today() -> dt.date:
    """Today's date in UTC: the default evaluation date. Only the API layer reads the clock."""
    return dt.datetime.now(dt.UTC).date()


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json", headers=headers)


LanguageParam = Annotated[
    Language | None,  # type: ignore[valid-type]
    Query(description="Language of the text fields; overrides `Accept-Language` (default English)."),
]


class _OrjsonRequest(Request):
    """Parses JSON bodies with orjson: several times faster on large batches, and it refuses absurd nesting."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class _OrjsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_OrjsonRequest(request.scope, request.receive))

        return route


class _ServiceState:
    """What can change while the service runs: the rule set (reloaded only when valid) and readiness."""

    def __init__(self, book: Rulebook, settings: Settings) -> None:
        self.settings = settings
        self.book = book
        self.runner = BatchRunner(book, book.rules.root, processes=settings.batch_workers)
        self.ready = False
        self.rules_on_disk = "loaded"
        self.failed_digest: str | None = None

    @property
    def rules_info(self) -> dict[str, str]:
        rules = self.book.rules
        return {
            "name": rules.name,
            "version": rules.version,
            "digest": f"sha256:{rules.digest}",
            "id": rules.version_id,
        }

    def try_reload(self) -> str:
        """Reload the rule files if they changed and are valid; never replace a working rule set otherwise.

        Returns what happened: ``unchanged``, ``reloaded``, ``invalid`` or ``incompatible`` (the change would
        alter the API's enums: credential ids, state codes or vocabularies; that needs a restart).
        """
        root = self.book.rules.root
        digest = rule_set_digest(root)
        if digest == self.book.digest or digest == self.failed_digest:
            return "unchanged"
        try:
            new = load_rulebook(root)
        except RuleSetError as exc:
            self.failed_digest = digest
            self.rules_on_disk = "invalid"
            logger.error(
                "rule reload refused: the rule set on disk is invalid; still serving %s",
                self.book.version_id,
                extra={"problems": [str(p) for p in exc.problems]},
            )
            return "invalid"
        old = self.book
        if (
            new.credential_ids != old.credential_ids
            or new.state_codes != old.state_codes
            or {k: dict(v.values) for k, v in new.rules.vocabularies.items()}
            != {k: dict(v.values) for k, v in old.rules.vocabularies.items()}
        ):
            self.failed_digest = digest
            self.rules_on_disk = "incompatible"
            logger.error("rule reload refused: ids or vocabularies changed, which changes the API; restart to apply")
            return "incompatible"
        runner, self.runner = self.runner, BatchRunner(new, new.rules.root, processes=self.settings.batch_workers)
        self.book = new
        self.failed_digest = None
        self.rules_on_disk = "loaded"
        runner.close()
        Metrics.get().rules.labels(new.version, new.digest).set(1)
        logger.info("rule set reloaded", extra={"from": old.version_id, "to": new.version_id})
        return "reloaded"


class _RouteMetrics:
    """Counts requests and times them, labeled by route template (not raw path: bounded cardinality)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.metrics = Metrics.get()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope.get("method", "-")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


class _RulesVersionHeader:
    """Adds ``X-Rules-Version`` (of the rule set currently served) to every response."""

    def __init__(self, app: Callable[..., Awaitable[None]], state: _ServiceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = (b"x-rules-version", self.state.book.version_id.encode())

        async def send_with_header(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Spec post-processing: problem+json for errors, response headers, optional API-key security."""

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
                    content = response.get("content", {})
                    schema = content.get("application/json", {}).get("schema")
                    is_problem = schema is None or schema.get("$ref") == "#/components/schemas/Problem"
                    if status.isdigit() and int(status) >= 400 and is_problem:
                        content.pop("application/json", None)
                        content[PROBLEM_MEDIA_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
                        response["content"] = content
                    response.setdefault("headers", {}).update(_RESPONSE_HEADERS)
        components = spec.setdefault("components", {})
        # Keys are optional, decided per deployment (CREDCHECK_API_KEYS), so no operation requires a scheme:
        # generators would otherwise demand credentials from every client. Send the key as a plain header.
        components["securitySchemes"] = {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "BearerAuth": {"type": "http", "scheme": "bearer"},
        }
        # The answer to the request example (a rule fixture's case), as the service gives it; none when the
        # examples do not fit the rule set served (load_examples says so).
        book = app.state.service.book
        examples = load_examples(book)
        if examples:
            example = examples["eligibility"]
            request = example["value"]
            evaluation = book.evaluate(
                book.parse_applicant(request["applicant"]),
                as_of=dt.date.fromisoformat(request["as_of"]),
                credentials=request["credentials"],
                state=request["state"] if request["state"] in book.state_codes else None,
            )
            answer = serializer(book).eligibility(evaluation, detail=Detail.STANDARD, language="en")
            ok = spec["paths"]["/v1/eligibility"]["post"]["responses"]["200"]["content"]["application/json"]
            ok["examples"] = {"fixture": {"summary": example["summary"], "value": answer}}
        schemas = components.get("schemas", {})
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
    state = _ServiceState(book, settings)
    metrics = Metrics.get()
    metrics.rules.labels(book.version, book.digest).set(1)
    # Request models (their enums) come from the rule set loaded at start: a reload may change rule
    # content, never these (see _ServiceState.try_reload).
    models = RequestModels(book)
    EligibilityRequest = models.EligibilityRequest  # noqa: N806 - a class
    BatchRequest = models.BatchRequest  # noqa: N806 - a class

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reloader = None
        if settings.reload_seconds > 0:

            async def watch() -> None:
                while True:
                    await asyncio.sleep(settings.reload_seconds)
                    await run_in_threadpool(state.try_reload)

            reloader = asyncio.create_task(watch())
        state.ready = True
        try:
            yield
        finally:
            state.ready = False  # readiness fails first, so load balancers stop sending work
            if reloader is not None:
                reloader.cancel()
            state.runner.close()

    app = FastAPI(
        lifespan=lifespan,
        title="credcheck",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=lambda route: route.name,
        separate_input_output_schemas=False,
        docs_url=None,  # served by api.web with local assets (FastAPI's own load them from a CDN)
        redoc_url=None,
    )
    app.router.route_class = _OrjsonRoute
    app.state.service = state
    app.state.settings = settings
    install_problem_handlers(app)
    # Middleware, innermost first (each add_middleware wraps the previous ones).
    app.add_middleware(_RouteMetrics)  # type: ignore[arg-type]
    app.add_middleware(_RulesVersionHeader, state=state)  # type: ignore[arg-type]
    app.add_middleware(  # type: ignore[arg-type]
        BodyLimit,
        default=settings.body_limit,
        per_path={"/v1/eligibility/batch": settings.batch_body_limit}
        | dict.fromkeys(web.REGISTRAR_PATHS, settings.batch_body_limit),  # cohort uploads: the batch's limit
    )
    app.add_middleware(RateLimit, rate=settings.rate_limit, burst=settings.rate_burst)  # type: ignore[arg-type]
    app.add_middleware(ApiKeyAuth, keys=split_list(settings.api_keys))  # type: ignore[arg-type]
    origins = split_list(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept", "X-API-Key", "Authorization", "X-Request-ID"],
            expose_headers=["X-Rules-Version", "X-Request-ID", "X-As-Of"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.add_middleware(AccessLog)  # type: ignore[arg-type]

    summaries: dict[tuple[str, str], dict[str, Any]] = {}

    turns = Turns()  # evaluations take turns with the sockets (see api.turns)

    def count(verdicts: tuple[tuple[str, Any], ...]) -> None:
        for credential_id, verdict in verdicts:
            metrics.evaluations.labels(credential_id, verdict.value).inc()

    def language_of(request: Request, explicit: Any = None) -> str:
        return negotiate(getattr(explicit, "value", explicit), request.headers.get("accept-language"))

    def content_language(language: str) -> dict[str, str]:
        return {"Content-Language": language, "Vary": "Accept-Language"}

    @app.post(
        "/v1/eligibility",
        name="checkEligibility",
        summary="Check an applicant's eligibility",
        tags=["eligibility"],
        response_model=EligibilityResponse,
        responses={**_BODY_ERRORS, **_COMMON_ERRORS},
        dependencies=[Depends(require_json)],
    )
    async def check_eligibility(body: EligibilityRequest, request: Request) -> Response:  # type: ignore[valid-type]
        """Evaluate one applicant against every credential (or those listed) on `as_of`.

        The text fields are in the language of `lang`, else of `Accept-Language` (English or Spanish; any other
        falls back to English), named by `Content-Language`; machine fields never change with the language."""
        credentials = [c.value for c in body.credentials] if body.credentials else None
        as_of = body.as_of or utc_today()
        language = language_of(request, body.lang)
        detail = Detail(body.detail)

        def answer() -> Response:
            book = state.book
            result = book.evaluate(
                body.applicant,
                as_of=as_of,
                credentials=credentials,
                state=body.state.value if body.state else None,
                trace=detail == Detail.TRACE,
            )
            count(result.verdicts)
            content = serializer(book).eligibility(result, detail=detail, language=language)
            return _json(content, headers=content_language(language))

        return await turns.run(answer)

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
                "headers": {
                    "X-As-Of": {
                        "description": "The evaluation date used for every item (in NDJSON answers).",
                        "schema": {"type": "string", "format": "date"},
                    }
                },
            },
            **_BATCH_BODY_ERRORS,
            **_COMMON_ERRORS,
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
        runner, book = state.runner, state.book
        language = language_of(request, body.lang)
        detail = Detail(body.detail)
        encode = functools.partial(batch_item, detail=detail, language=language)

        def results() -> Iterator[dict[str, Any]]:
            for result in runner.run(items, as_of=as_of, credentials=credentials, encode=encode):
                if result["ok"]:
                    metrics.batch_items.labels("evaluated").inc()
                    for outcome in result["credentials"]:
                        metrics.evaluations.labels(outcome["id"], outcome["status"]).inc()
                else:
                    metrics.batch_items.labels("invalid").inc()
                yield result

        if "application/x-ndjson" in request.headers.get("accept", ""):

            def lines() -> Iterator[bytes]:
                for result in results():
                    yield orjson.dumps(result) + b"\n"

            headers = {"X-As-Of": as_of.isoformat(), **content_language(language)}
            return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)
        evaluated = await run_in_threadpool(lambda: list(results()))
        failed = sum(1 for r in evaluated if not r["ok"])
        notes = None
        if body.state:
            outcome = book.state_notes(body.state.value, as_of=as_of, credentials=credentials)
            notes = serializer(book).state_notes(outcome, language)
        return _json(
            {
                "as_of": as_of.isoformat(),
                "language": language,
                "detail": detail.value,
                "rules": identity_json(book),
                "count": len(evaluated),
                "succeeded": len(evaluated) - failed,
                "failed": failed,
                "state": notes,
                "items": evaluated,
            },
            headers=content_language(language),
        )

    @app.get(
        "/v1/credentials",
        name="listCredentials",
        summary="List credentials",
        tags=["catalogue"],
        response_model=CredentialList,
        responses={422: _PROBLEM, **_COMMON_ERRORS},
    )
    async def list_credentials(request: Request, lang: LanguageParam = None) -> Response:
        """Every credential in the rule set, with its routes."""
        book = state.book
        language = language_of(request, lang)
        key = (book.digest, language)
        if key not in summaries:
            if len(summaries) > 8:
                summaries.clear()
            summaries[key] = serializer(book).credential_list(language)
        return _json(summaries[key], headers=content_language(language))

    @app.get(
        "/v1/credentials/{credential_id}",
        name="getCredential",
        summary="Get a credential",
        tags=["catalogue"],
        response_model=CredentialDetail,
        responses={404: _PROBLEM, 422: _PROBLEM, **_COMMON_ERRORS},
    )
    async def get_credential(
        request: Request,
        credential_id: str = Path(max_length=100, description="Credential id, e.g. `aama.cma`.", examples=["aama.cma"]),
        lang: LanguageParam = None,
    ) -> Response:
        """A credential with every route, criterion, citation, verification level and catalogue fact."""
        language = language_of(request, lang)
        content = serializer(state.book).credential_detail(credential_id, language)
        return _json(content, headers=content_language(language))

    @app.get(
        "/v1/states/{code}",
        name="getState",
        summary="Get a state's licensing notes",
        tags=["catalogue"],
        response_model=StateDetail,
        responses={404: _PROBLEM, 422: _PROBLEM, **_COMMON_ERRORS},
    )
    async def get_state(
        request: Request,
        code: str = Path(max_length=10, description="USPS code, e.g. `WA` (any case).", examples=["WA"]),
        lang: LanguageParam = None,
    ) -> Response:
        """Licensing notes of a state, DC or territory for the credential families in the rule set."""
        language = language_of(request, lang)
        content = serializer(state.book).state_detail(code.upper(), language)  # `wa` is `WA`
        return _json(content, headers=content_language(language))

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
        return _json({"status": "ok", "rules": state.rules_info})

    @app.get(
        "/readyz",
        name="getReadiness",
        summary="Readiness",
        tags=["operations"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Starting or shutting down: send no traffic."}},
    )
    async def ready() -> Response:
        """Whether to send traffic here: the rule set is loaded and the service is not shutting down."""
        body = {
            "status": "ready" if state.ready else "unavailable",
            "rules": state.rules_info,
            "rules_on_disk": state.rules_on_disk,
        }
        return _json(body, 200 if state.ready else 503)

    if settings.bench_echo:
        # The HTTP ceiling for benchmarks: same app, same middleware, no validation and no evaluation.
        # `?pad=N` adds N bytes to the answer, to measure the cost of sending an answer of a given size.
        @app.post("/_bench/echo", include_in_schema=False)
        async def echo(request: Request, pad: int = 0) -> Response:
            echoed = orjson.loads(await request.body())
            return _json({"echo": echoed, "pad": "x" * min(max(pad, 0), 1 << 24)} if pad else echoed)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        content, media_type = render_metrics()
        return Response(content, media_type=media_type)

    web.install(app, today=utc_today)  # the page, the registrar's upload and /docs, /redoc (not in the spec)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _app_from_environment() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level)
    try:
        return create_app(settings)
    except RuleSetError as exc:
        raise SystemExit(f"credcheck: refusing to start: {exc}") from None


app = _app_from_environment()
