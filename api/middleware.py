"""ASGI middleware: body limits, API keys, rate limits, security headers, request ids and access logs.

All pure ASGI (no BaseHTTPMiddleware): they add a header or a check, and never buffer a response.
Order, outermost first (see ``api.main``): request id and access log, security headers, body limit,
API key, rate limit, then the app.

Who a client is, for rate limits: its verified API key when keys are configured (``ApiKeyAuth`` records
it in the scope), else its address. A key that is only presented, not verified, never names a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson
from cachetools import TTLCache

from .i18n import catalogue, negotiate
from .problems import PROBLEM_MEDIA_TYPE, problem
from .render import _

__all__ = [
    "CLIENT",
    "OPEN_PATHS",
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
# Routes that never need a key (probes, the spec and its pages), matched exactly: `/healthzanything` or
# `/docs/../v1/...` are not open. `/metrics` is open too unless CREDCHECK_PROTECT_METRICS is set.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# The docs pages' own script and style files (fixed names under one folder, no data): open with their pages.
OPEN_PREFIXES = ("/docs/static/",)
_UNLIMITED_PATHS = OPEN_PATHS | {"/metrics"}  # probes and scrapes are never rate limited
# Scope key holding who the client is for rate limits: ("key", index) or ("address", host).
CLIENT = "credcheck.client"
# At most this many clients are tracked per limiter (LRU beyond): memory stays bounded whatever addresses
# or keys a flood uses, and no request ever walks the table (entries expire on their own).
MAX_CLIENTS = 65_536


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_problem(
    scope: Scope,
    send: Send,
    status: int,
    kind: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **values: Any,
) -> None:
    """Answer with a problem before the app: ``detail`` (a message of the `messages` catalogue, its ``{fields}``
    from ``values``) and the title in the request's ``Accept-Language``, said in ``Content-Language``."""
    language = negotiate(None, _header(scope, b"accept-language"))
    said = catalogue(language).say(detail, **values)
    body = orjson.dumps(problem(status, kind, said, instance=scope.get("path"), language=language))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", language.encode()),
                (b"vary", b"Accept-Language"),
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
        started_at = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # The server cancels what is still running when its graceful-shutdown time is up; a client that
            # has no answer yet gets a problem rather than the server's plain-text 500.
            if status == 500 and not started:
                with contextlib.suppress(Exception):
                    await send_problem(
                        scope,
                        send_with_id,
                        503,
                        "unavailable",
                        _("The service is shutting down; send the request again."),
                        [(b"retry-after", b"1"), (b"connection", b"close")],
                    )
            raise
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started_at) * 1000, 2),
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
        cacheable = cacheable or scope.get("method") == "HEAD" and path.startswith(("/v1/credentials", "/v1/states"))
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", (_REDOC_CSP if path == "/redoc" else _PAGE_CSP) if page else _API_CSP),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if not cacheable:
                    cache = b"no-store"
                elif scope.get(CLIENT, ("",))[0] == "key":
                    # Answered to a verified key: shared caches (proxies, CDNs) must not serve it to others.
                    cache = b"private, max-age=300"
                else:
                    cache = b"public, max-age=300"
                message["headers"] = [*message.get("headers", []), *extra, (b"cache-control", cache)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies larger than a limit with 413, before anything parses them.

    The body is read (and counted) here, then handed on: a client cannot make the service hold more than
    the limit, whether it declares a Content-Length or streams chunks. A body that stalls (no data for
    ``stall_timeout`` seconds) gets 408.
    """

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int], stall_timeout: float = 20) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path
        self.stall_timeout = stall_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.default)
        too_large = _("request body larger than {limit} bytes")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(scope, send, 413, "payload-too-large", too_large, limit=limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                # A client that stops sending mid-body (slowloris) gets 408 instead of holding the
                # connection, and the memory of what it sent, for ever.
                message = await asyncio.wait_for(receive(), self.stall_timeout)
            except TimeoutError:
                await send_problem(
                    scope,
                    send,
                    408,
                    "request-timeout",
                    _("no part of the request body arrived for {seconds} seconds"),
                    [(b"connection", b"close")],
                    seconds=f"{self.stall_timeout:g}",
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await send_problem(scope, send, 413, "payload-too-large", too_large, limit=limit)
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
    """Optional API keys: when keys are configured, every request but the open routes (:data:`OPEN_PATHS`,
    and ``/metrics`` unless ``protect_metrics``) must present one (``X-API-Key: <key>`` or
    ``Authorization: Bearer <key>``). Compared in constant time against every configured key, so timing
    reveals neither a key nor which one matched.

    Failed attempts are throttled per client address (``failures_per_minute``, a token bucket): once they
    are used up, the address gets 429 for every request that needs a key, right or wrong, until the bucket
    refills, so guessing cannot go faster by telling 429s from 200s.

    Records who the client is (``scope["credcheck.client"]``) for the rate limiter: the verified key's
    index, else (no keys configured) the client address.
    """

    def __init__(
        self, app: ASGIApp, keys: list[str], protect_metrics: bool = False, failures_per_minute: int = 5
    ) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys]
        self.open = OPEN_PATHS if protect_metrics else OPEN_PATHS | {"/metrics"}
        self.failures = _Buckets(rate=failures_per_minute / 60, burst=failures_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = _address(scope)
        if not self.keys:
            scope[CLIENT] = ("address", address)
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in self.open or (path.startswith(OPEN_PREFIXES) and ".." not in path):
            await self.app(scope, receive, send)
            return
        retry = self.failures.exhausted(address)
        if retry:
            await _too_many(scope, send, retry, _("too many failed authentications from this address"))
            return
        presented = (_presented_key(scope) or "").encode()
        matched = -1
        for index, key in enumerate(self.keys):  # every key compared, even after a match
            if hmac.compare_digest(presented, key):
                matched = index
        if matched < 0:
            self.failures.take(address)
            detail = _("a valid API key is required (X-API-Key header or Authorization: Bearer)")
            await send_problem(
                scope, send, 401, "unauthorized", detail, [(b"www-authenticate", b'Bearer realm="credcheck"')]
            )
            return
        scope[CLIENT] = ("key", matched)
        await self.app(scope, receive, send)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


async def _too_many(scope: Scope, send: Send, retry: int, detail: str) -> None:
    await send_problem(scope, send, 429, "too-many-requests", detail, [(b"retry-after", str(retry).encode())])


class _Buckets:
    """Token buckets per client: ``rate`` tokens a second, at most ``burst``. A client unseen for as long as
    a bucket takes to refill is forgotten (it would have a full bucket anyway); at most MAX_CLIENTS are kept.
    Every operation is O(1) (cachetools' TTLCache expires entries in order of age)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.table: TTLCache[Any, tuple[float, float]] = TTLCache(
            maxsize=MAX_CLIENTS, ttl=max(burst / rate, 1.0) if rate > 0 else 1.0
        )

    def _tokens(self, client: Any, now: float) -> float:
        tokens, last = self.table.get(client, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def exhausted(self, client: Any) -> int:
        """0 if the client has a token; else the seconds until it has one."""
        tokens = self._tokens(client, time.monotonic())
        return 0 if tokens >= 1 else max(1, int((1 - tokens) / self.rate + 0.999))

    def take(self, client: Any) -> int:
        """Take a token: 0 if there was one; else (nothing taken) the seconds until there is."""
        now = time.monotonic()
        tokens = self._tokens(client, now)
        if tokens < 1:
            return max(1, int((1 - tokens) / self.rate + 0.999))
        self.table[client] = (tokens - 1, now)
        return 0


class RateLimit:
    """Optional per-client token bucket (per process): ``rate`` requests a second, bursts up to ``burst``.

    A client is what ``ApiKeyAuth`` verified: its API key when keys are configured, else its address (a
    key that is merely presented, right or wrong, never makes a new client). Over the limit: 429 with
    Retry-After. Probes, metrics and the docs are never limited.
    """

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.rate = rate
        self.buckets = _Buckets(rate, burst) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.buckets is None or scope.get("path", "") in _UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get(CLIENT) or ("address", _address(scope))
        retry = self.buckets.take(client)
        if retry:
            await _too_many(scope, send, retry, _("rate limit exceeded"))
            return
        await self.app(scope, receive, send)
