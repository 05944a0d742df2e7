"""Operations: liveness (``/healthz``), readiness (``/readyz``) and Prometheus metrics (``/metrics``, not in
the spec); with ``CREDCHECK_BENCH_ECHO``, the benchmarks' echo route."""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from ..observability import render_metrics
from ..responses import json_response
from ..schemas import Health, Readiness
from ..state import service_of
from .documented import PROBLEM

__all__ = ["add_routes", "echo", "health", "metrics", "ready"]


async def health(request: Request) -> Response:
    """The process is up and has a rule set loaded."""
    return json_response({"status": "ok", "rules": service_of(request).rules_info})


async def ready(request: Request) -> Response:
    """Whether to send traffic here: the rule set is loaded and the service is not shutting down."""
    state = service_of(request)
    ready = state.ready and not state.draining
    body = {
        "status": "ready" if ready else "unavailable",
        "rules": state.rules_info,
        "rules_on_disk": state.rules_on_disk,
    }
    return json_response(body, 200 if ready else 503)


async def metrics() -> Response:
    content, media_type = render_metrics()
    return Response(content, media_type=media_type)


async def echo(request: Request, pad: int = 0) -> Response:
    """The HTTP ceiling for benchmarks: same app, same middleware, no validation and no evaluation.
    ``?pad=N`` adds N bytes to the answer, to measure the cost of sending an answer of a given size."""
    echoed = orjson.loads(await request.body())
    return json_response({"echo": echoed, "pad": "x" * min(max(pad, 0), 1 << 24)} if pad else echoed)


def add_routes(app: FastAPI, *, bench_echo: bool = False) -> None:
    """Add the operations routes to ``app``; the echo route too when ``bench_echo`` (benchmarks only)."""
    app.add_api_route(
        "/healthz",
        health,
        methods=["GET"],
        name="getHealth",
        summary="Liveness",
        tags=["operations"],
        response_model=Health,
        responses={500: PROBLEM},
    )
    app.add_api_route(
        "/readyz",
        ready,
        methods=["GET"],
        name="getReadiness",
        summary="Readiness",
        tags=["operations"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Starting or shutting down: send no traffic."}},
    )
    if bench_echo:
        app.add_api_route("/_bench/echo", echo, methods=["POST"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
