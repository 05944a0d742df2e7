"""How ``credcheck serve`` runs the service: uvicorn, with the shutdown, timeouts and supervision it needs.

Shutdown (SIGTERM or Ctrl-C, to one process or to the whole group, as systemd and Kubernetes send it):

1. **Drain** (``CREDCHECK_DRAIN_SECONDS``, default 3): ``/readyz`` answers 503 so load balancers stop
   sending work, while the listener stays open and every request is still answered. A second Ctrl-C ends
   the drain at once; repeated SIGTERMs do not (a group signal and the supervisor's may both arrive).
2. **Graceful stop** (``CREDCHECK_SHUTDOWN_TIMEOUT``, default 30): the listener closes; requests in flight
   get that long to finish. Batch worker processes keep working (they ignore group signals) until the
   requests they serve are answered.
3. **Deadline**: shortly before that time is up, batches still running stop: a JSON batch is answered 503
   (problem+json, ``Retry-After``); an NDJSON batch ends with one whole line per remaining item, each a 503
   problem saying it was not evaluated. Anything the server must still cancel is answered 503 problem+json
   by the app (``api.middleware.AccessLog``), not with the server's plain-text 500.

Timeouts for slow clients: a request's headers must arrive within ``CREDCHECK_HEADER_TIMEOUT`` seconds
(else 408, problem+json, and the connection closes); its body may not stall longer than
``CREDCHECK_BODY_TIMEOUT`` (``api.middleware.BodyLimit``); an idle keep-alive connection closes after 5 s.

With several workers, a small supervisor (not uvicorn's) starts them, logs any that dies (with its exit
code or signal) and starts a replacement; batch processes of a dead worker exit with it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
from types import FrameType
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .i18n import DEFAULT_LANGUAGE
from .problems import PROBLEM_MEDIA_TYPE, problem
from .state import LIFESPAN_KEY

__all__ = ["Server", "serve"]

logger = logging.getLogger("credcheck.server")

STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start (bad app, port in use)


def _problem_bytes(status: int, reason: bytes, kind: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response carrying a problem, for errors raised before the app sees the request. It is
    in English, said in ``Content-Language`` as every problem's language is: a request whose headers never
    arrived whole has no language to read (and the parser's own message is English)."""
    body = orjson.dumps(problem(status, kind, detail, language=DEFAULT_LANGUAGE))  # no instance: never read whole
    head = (
        f"HTTP/1.1 {status} ".encode()
        + reason
        + b"\r\ncontent-type: "
        + PROBLEM_MEDIA_TYPE.encode()
        + b"\r\ncontent-language: "
        + DEFAULT_LANGUAGE.encode()
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
    )
    return head + body


class Protocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for a request's headers (uvicorn has none: a client that
    sends half a request line keeps its connection for ever) and problem+json for malformed requests."""

    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is None:
            timeout = getattr(self.config, "header_timeout", 10.0)
            self._header_timer = self.loop.call_later(timeout, self._headers_too_slow, timeout)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self, timeout: float) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            detail = f"the request's headers did not arrive within {timeout:g} seconds"
            self.transport.write(_problem_bytes(408, b"Request Timeout", "request-timeout", detail))
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that sends nothing at all is a slow client too

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:  # bytes of a new request: its headers are due
            self._arm()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self.transport.write(_problem_bytes(400, b"Bad Request", "malformed-request", msg))
        self.transport.close()


class Config(uvicorn.Config):
    """uvicorn's configuration plus what :class:`Server` and :class:`Protocol` need (pickled to workers)."""

    def __init__(self, *args: Any, header_timeout: float, drain_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.drain_seconds = drain_seconds


class Server(uvicorn.Server):
    """uvicorn's server, draining before it stops and telling the app when its time is nearly up."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._drain_until: float | None = None
        self._drain_logged = False

    def _service(self) -> Any:
        lifespan = getattr(self, "lifespan", None)
        return getattr(lifespan, "state", {}).get(LIFESPAN_KEY)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: set flags only (no logging, no locks); on_tick acts on them.
        drain = getattr(self.config, "drain_seconds", 0.0)
        if self._drain_until is None and self.started and not self.should_exit and drain > 0:
            self._captured_signals.append(sig)
            self._drain_until = time.monotonic() + drain
            service = self._service()
            if service is not None:
                service.draining = True
            return
        if self._drain_until is not None and not self.should_exit:
            self._captured_signals.append(sig)
            if sig == signal.SIGINT:  # Ctrl-C again: stop draining now
                self.should_exit = True
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and not self.should_exit:
            if not self._drain_logged:
                self._drain_logged = True
                logger.info(
                    "draining: /readyz answers 503 for %g s, then the listener closes",
                    getattr(self.config, "drain_seconds", 0.0),
                )
            if time.monotonic() >= self._drain_until:
                self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        service = self._service()
        if service is not None:
            service.begin_drain()
            timeout = self.config.timeout_graceful_shutdown
            if timeout is not None:
                # Stop batches early enough that their answers (a 503, or the remaining NDJSON lines) are sent
                # before the server cancels what is still running.
                margin = min(2.0, timeout / 4)
                asyncio.get_running_loop().call_later(max(0.0, timeout - margin), service.stop.set)
        await super().shutdown(sockets)


def _worker(config: Config, sockets: list[socket.socket]) -> None:  # pragma: no cover - runs in a worker
    Server(config).run(sockets=sockets)


def _describe(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Supervisor:
    """Runs ``workers`` server processes on shared sockets; replaces any that dies, logging why."""

    def __init__(self, config: Config, sockets: list[socket.socket], workers: int, stop_timeout: float) -> None:
        self.config, self.sockets, self.workers, self.stop_timeout = config, sockets, workers, stop_timeout
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.received: list[int] = []

    def _start(self) -> Any:
        process = self.context.Process(target=_worker, args=(self.config, self.sockets), name="credcheck-worker")
        process.start()
        return process

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.received.append(sig)

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        logger.info("supervisor started", extra={"workers": self.workers})
        self.processes = [self._start() for _ in range(self.workers)]
        code = 0
        while not self.received:
            by_sentinel = {p.sentinel: p for p in self.processes}
            for sentinel in multiprocessing.connection.wait(list(by_sentinel), timeout=0.5):
                dead = by_sentinel[sentinel]
                dead.join()
                if self.received:
                    break
                if dead.exitcode == STARTUP_FAILURE:
                    logger.error("worker %s could not start; stopping", dead.pid)
                    self.received.append(signal.SIGTERM)
                    code = 1
                    break
                logger.error(
                    "worker %s died (%s); starting another",
                    dead.pid,
                    _describe(dead.exitcode),
                    extra={"worker": dead.pid, "exitcode": dead.exitcode},
                )
                self.processes[self.processes.index(dead)] = self._start()
        logger.info("stopping %d workers", len(self.processes), extra={"signal": self.received[0]})
        for process in self.processes:
            if process.is_alive():
                # Idempotent for the workers (they may have the group's signal already): it starts their
                # drain, or does nothing while they drain.
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
        logger.info("supervisor stopped")
        return code


def serve(app: Any, settings: Any, *, host: str, port: int, workers: int) -> int:
    """Serve ``app`` (an ASGI app, or ``"module:attr"`` with several workers) until a signal stops it."""
    trusted = [p.strip() for p in settings.forwarded_allow_ips.split(",") if p.strip()]
    config = Config(
        app,
        host=host,
        port=port,
        workers=workers,
        http=Protocol,
        log_level=settings.log_level,
        log_config=None,  # the app configures JSON logging itself
        access_log=False,  # the app logs each request (without applicant data)
        server_header=False,  # no `server: uvicorn`
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        header_timeout=settings.header_timeout,
        drain_seconds=settings.drain_seconds,
    )
    if workers == 1:
        Server(config).run()
        return 0
    sock = config.bind_socket()
    try:
        stop_timeout = settings.drain_seconds + settings.shutdown_timeout + 15
        return _Supervisor(config, [sock], workers, stop_timeout).run()
    finally:
        sock.close()
