"""What can change while the service runs: the rule set served (hot-reloaded only when valid), readiness,
and the shutdown (see :mod:`api.server`: draining, then a deadline for work still running).

One :class:`ServiceState` per app, at ``app.state.service``; handlers reach it through the request
(:func:`service_of`), never through a module global, so several apps (tests, benchmarks) can run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from engine import BatchRunner, Rulebook, RuleSetError, load_rulebook, rule_set_digest

from .observability import Metrics
from .settings import Settings
from .turns import Turns

__all__ = ["LIFESPAN_KEY", "VERSION", "ServiceState", "lifespan", "service_of"]

logger = logging.getLogger("credcheck.api")

try:
    VERSION = importlib.metadata.version("credcheck")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    VERSION = "0.0.0"

# The key of the lifespan state under which the server (api.server) finds the service, to tell it it drains.
LIFESPAN_KEY = "credcheck.service"


class ServiceState:
    """The rule set served and its batch runner, readiness and shutdown flags, and what derives from the rule
    set: the catalogue's ETag and cached credential lists."""

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
        self.turns = Turns()  # evaluations take turns with the sockets (see api.turns)
        # Credential lists by (rule set digest, language): a reload brings new keys, never stale answers.
        self.credential_lists: dict[tuple[str, str], Any] = {}

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


def service_of(request: Request) -> ServiceState:
    """The state of the app that received ``request``."""
    state: ServiceState = request.app.state.service
    return state


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Ready while the app runs, reloading the rule files every ``reload_seconds`` when set; on the way out,
    readiness fails first and the batch workers are stopped last."""
    state: ServiceState = app.state.service
    seconds = state.settings.reload_seconds
    reloader = None
    if seconds > 0:

        async def watch() -> None:
            while True:
                await asyncio.sleep(seconds)
                await run_in_threadpool(state.try_reload)

        reloader = asyncio.create_task(watch())
    state.ready = True
    try:
        # The lifespan state reaches the server (api.server), which tells the service when it drains.
        yield {LIFESPAN_KEY: state}
    finally:
        state.ready = False  # readiness fails first, so load balancers stop sending work
        if reloader is not None:
            reloader.cancel()
        # Requests in flight are answered by now (the server waits for them before this), so no batch
        # process dies before the request it serves; closing waits for the workers to exit.
        await run_in_threadpool(state.runner.close)
