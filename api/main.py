"""The HTTP service. ``uvicorn api.main:app`` serves it; so does ``credcheck serve``.

The app is built by :func:`create_app` from a loaded rule set. At import, ``app`` is built from
``$CREDCHECK_RULES_DIR`` (default: the bundled ``rules/``); an invalid rule set stops the process with a
message naming each file, key and line at fault.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from engine import BatchRunner, BatchStopped, Rulebook, RuleSetError, load_rulebook, rule_set_digest

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
    unexpected_error,
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
  `/healthz`, `/readyz`, `/openapi.json`, `/docs` and `/redoc` stay open, and so does `/metrics` unless the
  service protects it.
* Catalogue answers carry an `ETag`: send it back as `If-None-Match` to get 304 Not Modified.
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
        408: {
            **_PROBLEM,
            "description": f"The body stalled: nothing arrived for {_default('body_timeout'):g} s "
            "(`CREDCHECK_BODY_TIMEOUT`).",
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
    f"with 422), or asks a JSON answer (not NDJSON) to explain more than {_default('full_detail_limit'):,} items "
    "in full (`detail: full`, `CREDCHECK_FULL_DETAIL_LIMIT`): stream them with `Accept: application/x-ndjson`."
)
_BATCH_UNAVAILABLE = {
    503: {
        **_PROBLEM,
        "description": (
            "The service is shutting down (or a batch worker process failed) before the batch was evaluated; "
            "send it again. `Retry-After` says when. In an NDJSON answer, the items not evaluated get such a "
            "problem each, on their own lines."
        ),
    }
}
_CATALOGUE = {
    200: {
        "description": "Successful Response",
        "headers": {
            "ETag": {
                "description": "Changes only with the rule set (and the service's version).",
                "schema": {"type": "string"},
            },
            "Cache-Control": {
                "description": "`public, max-age=300`, or `private, max-age=300` when an API key was verified.",
                "schema": {"type": "string"},
            },
        },
    },
    304: {"description": "Not modified: the request's `If-None-Match` holds the current `ETag`; no body."},
}
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


def _out_of_range(text: str) -> float:
    raise ValueError(text)


def _loads(body: bytes) -> Any:
    """Parse a JSON body with orjson; numbers beyond a double's range (``1e400``, 400 digits) are valid JSON
    that orjson refuses, so they are parsed again by the standard library, as infinity: validation then
    names the field (422) instead of the whole body being "not JSON" (400)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if not str(exc).startswith("number is infinity"):
            raise
        try:
            return json.loads(
                body,
                parse_int=lambda t: int(t) if len(t) <= 4000 else float("-inf" if t[0] == "-" else "inf"),
                parse_constant=_out_of_range,  # NaN and Infinity are not JSON
            )
        except (ValueError, RecursionError):
            raise exc from None


class _JsonParts(Response):
    """A JSON answer assembled from pre-serialised parts, sent in pieces of about 256 KB (Content-Length
    known up front): a large batch answer is never joined into one more copy of itself."""

    media_type = "application/json"

    def __init__(self, head: bytes, parts: list[bytes], tail: bytes) -> None:
        super().__init__(b"", media_type=self.media_type)
        self._pieces = (head, parts, tail)
        length = len(head) + sum(len(p) for p in parts) + max(len(parts) - 1, 0) + len(tail)
        self.headers["content-length"] = str(length)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        head, parts, tail = self._pieces
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        piece = [head]
        size = len(head)
        for i, part in enumerate(parts):
            piece.append(part if i == 0 else b"," + part)
            size += len(part) + 1
            if size >= 262_144:
                await send({"type": "http.response.body", "body": b"".join(piece), "more_body": True})
                piece, size = [], 0
        piece.append(tail)
        await send({"type": "http.response.body", "body": b"".join(piece), "more_body": False})


def _not_evaluated(exc: BaseException) -> str:
    if isinstance(exc, BatchStopped):
        return "Not evaluated: the service is shutting down. Send it again (another instance will answer)."
    logger.error("a batch worker process died; the items not evaluated are answered 503")
    return "Not evaluated: a batch worker process failed. Send it again."


def _unavailable_item(item_id: str, why: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "ok": False,
        "eligible": None,
        "credentials": None,
        "details": None,
        "problem": {
            "type": "https://credcheck.dev/problems/unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": why,
            "errors": [],
        },
    }


class _OrjsonRequest(Request):
    """Parses JSON bodies with orjson: several times faster on large batches, and it refuses absurd nesting."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = _loads(await self.body())
        return self._json


class _OrjsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(_OrjsonRequest(request.scope, request.receive))
            except Exception as exc:
                # Exceptions with a handler of their own (problems.install_problem_handlers) go to it.
                handled = tuple(k for k in request.app.exception_handlers if isinstance(k, type) and k is not Exception)
                if isinstance(exc, handled):
                    raise
                # Answered here rather than by Starlette's last-resort handler, which answers and then re-raises
                # to the server: the server then closes the client's keep-alive connection after every 500.
                return unexpected_error(request, exc)

        return route


class _ServiceState:
    """What can change while the service runs: the rule set (reloaded only when valid), readiness, and the
    shutdown (see :mod:`api.server`: draining, then a deadline for work still running)."""

    def __init__(self, book: Rulebook, settings: Settings) -> None:
        self.settings = settings
        self.book = book
        self.runner = BatchRunner(book, processes=settings.batch_workers)
        self.ready = False
        self.draining = False  # shutting down: readiness fails, requests are still answered
        # Set when in-flight work must stop so that its answer goes out before the server's deadline.
        self.stop = threading.Event()
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

    @property
    def etag(self) -> str:
        """Validator of catalogue answers: they follow from the rule set and the service version only."""
        digest = hashlib.sha256(f"{self.book.digest}/{VERSION}".encode()).hexdigest()[:32]
        return f'"{digest}"'

    def begin_drain(self) -> None:
        """Shutdown has begun: fail readiness so load balancers stop sending work; keep answering."""
        if not self.draining:
            self.draining = True
            logger.info("draining: readiness answers 503 from now on")

    def try_reload(self) -> str:
        """Reload the rule files if they changed and are valid; never replace a working rule set otherwise.

        Returns what happened: ``unchanged``, ``reloaded``, ``invalid`` or ``incompatible`` (the change would
        alter the API's enums: credential ids, state codes or vocabularies; that needs a restart).
        """
        root = self.book.rules.root
        digest = rule_set_digest(root)
        if digest == self.book.digest:
            if self.rules_on_disk != "loaded":  # a refused change was undone: disk and service agree again
                logger.info("the rule files on disk are the ones served again", extra={"rules": self.book.version_id})
            self.rules_on_disk = "loaded"
            self.failed_digest = None
            return "unchanged"
        if digest == self.failed_digest:
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
        runner, self.runner = self.runner, BatchRunner(new, processes=self.settings.batch_workers)
        self.book = new
        self.failed_digest = None
        self.rules_on_disk = "loaded"
        runner.close()  # its workers stop once the batches still running on them are answered
        Metrics.get().rules.labels(new.version, new.digest).set(1)
        logger.info("rule set reloaded", extra={"from": old.version_id, "to": new.version_id})
        return "reloaded"


class _RouteMetrics:
    """Counts requests and times them, labeled by route template (not raw path: bounded cardinality)."""

    def __init__(self, app: Callable[..., Awaitable[None]], routes: list[Any] | None = None) -> None:
        self.app = app
        self.metrics = Metrics.get()
        self.routes = routes if routes is not None else []
        self._static: set[str] | None = None

    def _template(self, scope: MutableMapping[str, Any]) -> str:
        route = scope.get("route")
        if route is not None:
            return str(route.path)
        # Starlette's own routes (the docs, the spec) do not record themselves in the scope: a path that is
        # exactly one of theirs is its own label. Anything else is "unmatched" (bounded label values).
        if self._static is None:
            paths = (getattr(r, "path", None) for r in self.routes)
            self._static = {p for p in paths if isinstance(p, str) and "{" not in p}
        path = scope.get("path", "")
        return path if path in self._static else "unmatched"

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
            template = self._template(scope)
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


class _HeadAsGet:
    """``HEAD`` on every ``GET`` route: answered as the ``GET`` would be (status and headers, Content-Length
    included), without the body. FastAPI registers ``GET`` only; Starlette's own routes already do this."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server reads the method from its own scope to know it must send no body. The route
        # found is copied back for the metrics, which label it.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, send_headers_only)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]


def _if_none_match(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches (weak comparison, RFC 9110 13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


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
            # The lifespan state reaches the server (api.server), which tells the service when it drains.
            yield {"credcheck.service": state}
        finally:
            state.ready = False  # readiness fails first, so load balancers stop sending work
            if reloader is not None:
                reloader.cancel()
            # Requests in flight are answered by now (the server waits for them before this), so no batch
            # process dies before the request it serves; closing waits for the workers to exit.
            await run_in_threadpool(state.runner.close)

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
    # No automatic trailing-slash redirects: Starlette builds their Location from the Host header (any host
    # a client names) and answers a POST with a 307 that re-sends its body there. problems.py answers
    # instead: a relative redirect for GET and HEAD, a 404 naming the right path for anything else.
    app.router.redirect_slashes = False
    app.state.service = state
    app.state.settings = settings
    install_problem_handlers(app)
    # Middleware, innermost first (each add_middleware wraps the previous ones).
    app.add_middleware(_HeadAsGet)  # type: ignore[arg-type]
    app.add_middleware(_RouteMetrics, routes=app.router.routes)  # type: ignore[arg-type]
    app.add_middleware(_RulesVersionHeader, state=state)  # type: ignore[arg-type]
    app.add_middleware(  # type: ignore[arg-type]
        BodyLimit,
        default=settings.body_limit,
        per_path={"/v1/eligibility/batch": settings.batch_body_limit}
        | dict.fromkeys(web.REGISTRAR_PATHS, settings.batch_body_limit),  # cohort uploads: the batch's limit
        stall_timeout=settings.body_timeout,
    )
    app.add_middleware(RateLimit, rate=settings.rate_limit, burst=settings.rate_burst)  # type: ignore[arg-type]
    app.add_middleware(  # type: ignore[arg-type]
        ApiKeyAuth,
        keys=split_list(settings.api_keys),
        protect_metrics=settings.protect_metrics,
        failures_per_minute=settings.auth_failure_limit,
    )
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
            **_BATCH_UNAVAILABLE,
        },
        dependencies=[Depends(require_json)],
    )
    async def check_eligibility_batch(body: BatchRequest, request: Request) -> Response:  # type: ignore[valid-type]
        """Evaluate up to 10,000 applicants; an invalid item gets its own problem and does not fail the batch."""
        if len(body.items) > settings.batch_limit:
            raise ProblemError(
                413, "payload-too-large", f"this service accepts at most {settings.batch_limit:,} items per batch"
            )
        streamed = "application/x-ndjson" in request.headers.get("accept", "")
        if body.detail.value == "full" and not streamed and len(body.items) > settings.full_detail_limit:
            # A fully explained item is about 270 KB of JSON; a JSON answer is built whole before it is sent.
            # Streamed answers have no such limit: their memory is bounded by the chunks in flight.
            raise ProblemError(
                413,
                "payload-too-large",
                f"a JSON answer explains at most {settings.full_detail_limit:,} items in full "
                f"(`detail: full`); this batch has {len(body.items):,}. Send `Accept: application/x-ndjson` to "
                "stream the results (any number of items, as they are ready), ask for `detail: summary`, or "
                f"send batches of at most {settings.full_detail_limit:,} items.",
            )
        as_of = body.as_of or utc_today()
        credentials = [c.value for c in body.credentials] if body.credentials else None
        items = [(item.id, item.applicant) for item in body.items]
        # One read: the runner carries its rule book, so a reload between two reads cannot pair the items
        # of one rule set with the `rules` of another.
        runner = state.runner
        book = runner.book
        language = language_of(request, body.lang)
        detail = Detail(body.detail)
        encode = functools.partial(batch_item, detail=detail, language=language)
        explained = detail != Detail.SUMMARY

        def results() -> Iterator[dict[str, Any]]:
            for result in runner.run(
                items, as_of=as_of, credentials=credentials, encode=encode, explained=explained, stop=state.stop
            ):
                if result["ok"]:
                    metrics.batch_items.labels("evaluated").inc()
                    for outcome in result["credentials"]:
                        metrics.evaluations.labels(outcome["id"], outcome["status"]).inc()
                else:
                    metrics.batch_items.labels("invalid").inc()
                yield result

        if streamed:

            def lines() -> Iterator[bytes]:
                done = 0
                try:
                    for result in results():
                        yield orjson.dumps(result) + b"\n"
                        done += 1
                except (BatchStopped, BrokenProcessPool) as exc:
                    # Headers are sent: the status cannot change. Every item still gets its line, whole:
                    # those not evaluated say why, so the client knows exactly which to send again.
                    why = _not_evaluated(exc)
                    yield b"".join(orjson.dumps(_unavailable_item(i, why)) + b"\n" for i, _ in items[done:])

            headers = {"X-As-Of": as_of.isoformat(), **content_language(language)}
            return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)

        def evaluate() -> tuple[list[bytes], int]:
            # Each result is serialised as soon as it is ready: compact bytes, not the dicts (several times
            # larger), are what waits for the rest of the batch.
            parts, failed = [], 0
            for result in results():
                failed += not result["ok"]
                parts.append(orjson.dumps(result))
            return parts, failed

        try:
            parts, failed = await run_in_threadpool(evaluate)
        except (BatchStopped, BrokenProcessPool) as exc:
            raise ProblemError(503, "unavailable", _not_evaluated(exc), headers={"Retry-After": "1"}) from None
        notes = None
        if body.state:
            outcome = book.state_notes(body.state.value, as_of=as_of, credentials=credentials)
            notes = serializer(book).state_notes(outcome, language)
        head = {
            "as_of": as_of.isoformat(),
            "language": language,
            "detail": detail.value,
            "rules": identity_json(book),
            "count": len(parts),
            "succeeded": len(parts) - failed,
            "failed": failed,
            "state": notes,
        }
        # The same bytes as orjson.dumps({**head, "items": [...]}), sent in pieces: never one more copy of
        # the whole answer in memory.
        response = _JsonParts(orjson.dumps(head)[:-1] + b',"items":[', parts, b"]}")
        response.headers.update(content_language(language))
        return response

    @app.get(
        "/v1/credentials",
        name="listCredentials",
        summary="List credentials",
        tags=["catalogue"],
        response_model=CredentialList,
        responses={**_CATALOGUE, 422: _PROBLEM, **_COMMON_ERRORS},
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
        return _catalogue(request, language, lambda: summaries[key])

    def _catalogue(request: Request, language: str, content: Callable[[], Any]) -> Response:
        """A catalogue answer: it changes only with the rule set, the service and the language, so it carries
        an ETag and a request that already holds it gets 304 Not Modified, without a body."""
        etag = f'{state.etag[:-1]}-{language}"'
        headers = {"ETag": etag, **content_language(language)}
        if _if_none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return _json(content(), headers=headers)

    @app.get(
        "/v1/credentials/{credential_id}",
        name="getCredential",
        summary="Get a credential",
        tags=["catalogue"],
        response_model=CredentialDetail,
        responses={**_CATALOGUE, 404: _PROBLEM, 422: _PROBLEM, **_COMMON_ERRORS},
    )
    async def get_credential(
        request: Request,
        credential_id: str = Path(max_length=100, description="Credential id, e.g. `aama.cma`.", examples=["aama.cma"]),
        lang: LanguageParam = None,
    ) -> Response:
        """A credential with every route, criterion, citation, verification level and catalogue fact."""
        language = language_of(request, lang)
        detail = serializer(state.book).credential_detail(credential_id, language)  # an unknown id: 404 before any 304
        return _catalogue(request, language, lambda: detail)

    @app.get(
        "/v1/states/{code}",
        name="getState",
        summary="Get a state's licensing notes",
        tags=["catalogue"],
        response_model=StateDetail,
        responses={**_CATALOGUE, 404: _PROBLEM, 422: _PROBLEM, **_COMMON_ERRORS},
    )
    async def get_state(
        request: Request,
        code: str = Path(max_length=10, description="USPS code, e.g. `WA` (any case).", examples=["WA"]),
        lang: LanguageParam = None,
    ) -> Response:
        """Licensing notes of a state, DC or territory for the credential families in the rule set."""
        language = language_of(request, lang)
        detail = serializer(state.book).state_detail(code.upper(), language)  # `wa` is `WA`
        return _catalogue(request, language, lambda: detail)

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
        ready = state.ready and not state.draining
        body = {
            "status": "ready" if ready else "unavailable",
            "rules": state.rules_info,
            "rules_on_disk": state.rules_on_disk,
        }
        return _json(body, 200 if ready else 503)

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
    try:
        settings = Settings()
    except ValueError as exc:  # pydantic's ValidationError: e.g. CREDCHECK_API_KEYS="," (no key in it)
        raise SystemExit(f"credcheck: refusing to start: {exc}") from None
    configure_logging(settings.log_level)
    try:
        return create_app(settings)
    except RuleSetError as exc:
        raise SystemExit(f"credcheck: refusing to start: {exc}") from None


app = _app_from_environment()
