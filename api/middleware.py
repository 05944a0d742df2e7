"""ASGI middleware: body limits, API keys, rate limits, security headers, request ids and access logs.

All pure ASGI (no BaseHTTPMiddleware): they add a header or a check, and never buffer a response.
Order, outermost first (see ``api.main``): request id and access log, security headers, body limit,
API key, rate limit, then the app.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson

from .problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES

__all__ = [
    "AccessLog",
    "ApiKeyAuth",
    "BodyLimit",
    "RateLimit",
    "SecurityHeaders",
    "request_id_var",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("credcheck.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The page and the API docs (api.web) load their own scripts, styles and images, and nothing from elsewhere.
_PAGE_PATHS = ("/docs", "/redoc", "/static/", "/en/", "/es/")
_PAGE_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# ReDoc styles itself with inline <style> elements (styled-components) and searches in a blob: worker; its
# scripts stay self-only.
_REDOC_CSP = _PAGE_CSP.replace(b"style-src 'self'", b"style-src 'self' 'unsafe-inline'") + b"; worker-src blob:"
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_problem(
    scope: Scope, send: Send, status: int, kind: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = orjson.dumps(
        {
            "type": "https://credcheck.dev/problems/" + kind,
            "title": PROBLEM_TYPES[kind],
            "status": status,
            "detail": detail,
            "instance": scope.get("path"),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """Gives every request an id (the client's valid ``X-Request-ID``, else a new one), echoes it, and logs
    one structured line per request: method, route path, status, duration. Never bodies or headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class SecurityHeaders:
    """Headers for an API that returns personal evaluations: no sniffing, no framing, no caching of answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        page = path == "/" or path.startswith(_PAGE_PATHS)
        cacheable = scope.get("method") == "GET" and path.startswith(("/v1/credentials", "/v1/states"))
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cache-control", b"public, max-age=300" if cacheable else b"no-store"),
            (b"content-security-policy", (_REDOC_CSP if path == "/redoc" else _PAGE_CSP) if page else _API_CSP),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies larger than a limit with 413, before anything parses them.

    The body is read (and counted) here, then handed on: a client cannot make the service hold more than
    the limit, whether it declares a Content-Length or streams chunks.
    """

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.default)
        too_large = f"request body larger than {limit:,} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(scope, send, 413, "payload-too-large", too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await send_problem(scope, send, 413, "payload-too-large", too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _presented_key(scope: Scope) -> str | None:
    key = _header(scope, b"x-api-key")
    if key:
        return key
    auth = _header(scope, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


class ApiKeyAuth:
    """Optional API keys: when keys are configured, every request but health, metrics and docs must present
    one (``X-API-Key: <key>`` or ``Authorization: Bearer <key>``). Compared in constant time against every
    configured key, so timing reveals neither a key nor which one matched."""

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or scope.get("path", "").startswith(_OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        presented = (_presented_key(scope) or "").encode()
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(presented, key)
        if not matched:
            detail = "a valid API key is required (X-API-Key header or Authorization: Bearer)"
            await send_problem(
                scope, send, 401, "unauthorized", detail, [(b"www-authenticate", b'Bearer realm="credcheck"')]
            )
            return
        await self.app(scope, receive, send)


class RateLimit:
    """Optional per-client token bucket (per process): ``rate`` requests a second, bursts up to ``burst``.

    A client is its API key when one is presented, else its address. Over the limit: 429 with Retry-After.
    """

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0 or scope.get("path", "").startswith(_OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        client = _presented_key(scope) or (scope.get("client") or ("-",))[0]
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            retry = max(1, int((1 - tokens) / self.rate + 0.999))
            self.buckets[client] = (tokens, now)
            await send_problem(
                scope, send, 429, "too-many-requests", "rate limit exceeded", [(b"retry-after", str(retry).encode())]
            )
            return
        self.buckets[client] = (tokens - 1, now)
        if len(self.buckets) > 100_000:  # forget idle clients rather than grow without bound
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        await self.app(scope, receive, send)
