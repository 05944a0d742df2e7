"""ASGI middleware that knows the app, innermost of the stack (see ``api.main``): requests counted and timed by
route, ``X-Rules-Version`` of the rule set served, and ``HEAD`` answered as ``GET``. The middleware that guards
requests (limits, keys, headers, logs) is in :mod:`api.middleware`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .observability import Metrics
from .state import ServiceState

__all__ = ["HeadAsGet", "RouteMetrics", "RulesVersionHeader"]


class RouteMetrics:
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


class RulesVersionHeader:
    """Adds ``X-Rules-Version`` (of the rule set currently served) to every response."""

    def __init__(self, app: Callable[..., Awaitable[None]], state: ServiceState) -> None:
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


class HeadAsGet:
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
