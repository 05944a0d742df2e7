"""The HTTP service. ``uvicorn api.main:app`` serves it; so does ``credcheck serve``.

:func:`create_app` builds the service for a loaded rule set: the routes (:mod:`api.routers`), the state
they share (:mod:`api.state`, at ``app.state.service``), the middleware, the page (:mod:`api.web`) and the
spec (:mod:`api.spec`). Importing this module builds nothing; ``app`` is built on first use, from
``$CREDCHECK_RULES_DIR`` (default: the bundled ``rules/``), and an invalid rule set then stops the process
with a message naming each file, key and line at fault.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from engine import Rulebook, RuleSetError, load_rulebook

from . import clock, web
from .app_middleware import HeadAsGet, RouteMetrics, RulesVersionHeader
from .middleware import AccessLog, ApiKeyAuth, BodyLimit, RateLimit, SecurityHeaders
from .observability import Metrics, configure_logging
from .problems import install_problem_handlers
from .routers import catalogue, eligibility, operations
from .routing import OrjsonRoute
from .schemas import RequestModels
from .settings import Settings, split_list
from .spec import DESCRIPTION, TAGS, openapi
from .state import VERSION, ServiceState, lifespan

__all__ = ["app", "create_app"]  # noqa: F822 - `app` is built on first use (module __getattr__)


def create_app(settings: Settings | None = None, rulebook: Rulebook | None = None) -> FastAPI:
    """Build the service for a rule set (default: load ``settings.rules_dir``).

    Raises:
        RuleSetError: the rule set is invalid.
    """
    settings = settings or Settings()
    book = rulebook if rulebook is not None else load_rulebook(settings.rules_dir)
    state = ServiceState(book, settings)
    Metrics.get().rules.labels(book.version, book.digest).set(1)

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
    app.router.route_class = OrjsonRoute
    # No automatic trailing-slash redirects: Starlette builds their Location from the Host header (any host
    # a client names) and answers a POST with a 307 that re-sends its body there. problems.py answers
    # instead: a relative redirect for GET and HEAD, a 404 naming the right path for anything else.
    app.router.redirect_slashes = False
    app.state.service = state
    app.state.settings = settings
    install_problem_handlers(app)
    # Middleware, innermost first (each add_middleware wraps the previous ones).
    app.add_middleware(HeadAsGet)  # type: ignore[arg-type]
    app.add_middleware(RouteMetrics, routes=app.router.routes)  # type: ignore[arg-type]
    app.add_middleware(RulesVersionHeader, state=state)  # type: ignore[arg-type]
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

    # Request models (their enums) come from the rule set loaded at start: a reload may change rule
    # content, never these (see ServiceState.try_reload). The order of the routes is the spec's.
    eligibility.add_routes(app, RequestModels(book))
    catalogue.add_routes(app)
    operations.add_routes(app, bench_echo=settings.bench_echo)
    # The page, the registrar's upload and /docs, /redoc (not in the spec); its date is the API's clock.
    web.install(app, today=lambda: clock.utc_today())
    app.openapi = openapi(app)  # type: ignore[method-assign]
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


def __getattr__(name: str) -> Any:
    """``app``, built from the environment on first use (``uvicorn api.main:app``, ``from api.main import
    app``), then kept: importing the module (for :func:`create_app`) loads no rule set."""
    if name == "app":
        built = _app_from_environment()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
