"""Structured JSON logs and Prometheus metrics.

Logs are one JSON object per line on standard error: time, level, logger, message, the request id, and
for access lines the method, route path, status and duration. Applicant facts never reach a log: the
service logs no bodies, no query strings and no validation inputs (a test checks a full request).

Metrics (``GET /metrics``, Prometheus text format): request counts and latencies by route and status,
evaluations by credential and verdict, batch items by outcome, and the loaded rule set. With several
worker processes, ``credcheck serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a shared directory so any
worker answers for all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .middleware import request_id_var

__all__ = ["Metrics", "configure_logging", "render_metrics"]

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker process, when several serve
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__  # the type only: messages may quote inputs
        return json.dumps(entry, default=str)


def configure_logging(level: str = "info") -> None:
    """Route credcheck's and uvicorn's logs through one JSON formatter on standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("credcheck", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # credcheck.access logs requests instead


class Metrics:
    """The service's metrics, registered once per process."""

    _instance: Metrics | None = None

    def __init__(self) -> None:
        self.requests = Counter("credcheck_http_requests_total", "HTTP requests.", ["method", "route", "status"])
        self.latency = Histogram(
            "credcheck_http_request_duration_seconds",
            "HTTP request duration.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.evaluations = Counter(
            "credcheck_evaluations_total", "Credential evaluations by verdict.", ["credential", "status"]
        )
        self.batch_items = Counter("credcheck_batch_items_total", "Batch items by outcome.", ["outcome"])
        self.rules = Gauge(
            "credcheck_rules_info", "The loaded rule set (value 1).", ["version", "digest"], multiprocess_mode="max"
        )

    @classmethod
    def get(cls) -> Metrics:
        if cls._instance is None:
            cls._instance = Metrics()
        return cls._instance


def render_metrics() -> tuple[bytes, str]:
    """The metrics of this process, or of every worker when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
