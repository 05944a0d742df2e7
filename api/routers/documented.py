"""The responses each operation documents besides its answer: problems by status, with what causes them.

Limits quoted here are the defaults, so that the committed spec does not depend on a deployment.
"""

from __future__ import annotations

from typing import Any

from ..problems import MAX_JSON_DEPTH, Problem
from ..schemas import MAX_BATCH
from ..settings import Settings

__all__ = ["BATCH_BODY_ERRORS", "BATCH_UNAVAILABLE", "BODY_ERRORS", "CATALOGUE", "COMMON_ERRORS", "PROBLEM"]

PROBLEM: dict[str, Any] = {"model": Problem}
# Errors every operation may answer, depending on configuration (keys, rate limit).
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**PROBLEM, "description": "API keys are configured and none (or a wrong one) was sent."},
    429: {**PROBLEM, "description": "Rate limit exceeded (when configured); `Retry-After` says when to retry."},
    500: PROBLEM,
}


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


def _body_errors(size_limit: str) -> dict[int | str, dict[str, Any]]:
    return {
        400: {
            **PROBLEM,
            "description": (
                f"The body is not JSON, or is nested more than {MAX_JSON_DEPTH:,} levels deep (anything nested "
                "deeper than the request model fails validation with 422 first)."
            ),
        },
        408: {
            **PROBLEM,
            "description": f"The body stalled: nothing arrived for {_default('body_timeout'):g} s "
            "(`CREDCHECK_BODY_TIMEOUT`).",
        },
        413: {**PROBLEM, "description": size_limit},
        415: {**PROBLEM, "description": "The body is not sent as `application/json`."},
        422: {
            **PROBLEM,
            "description": (
                "Invalid fields, each named in `errors` (e.g. `applicant.programs[0].clock_hours`). Strings, "
                "lists and numbers are bounded as the schema states; unknown fields are refused."
            ),
        },
    }


BODY_ERRORS = _body_errors(
    f"The body is larger than {_default('body_limit') // 1024:,} KiB by default (`CREDCHECK_BODY_LIMIT`)."
)
BATCH_BODY_ERRORS = _body_errors(
    f"The body is larger than {_default('batch_body_limit') // 1048576:,} MiB by default "
    "(`CREDCHECK_BATCH_BODY_LIMIT`), or holds more items than the service is configured to accept "
    f"(`CREDCHECK_BATCH_LIMIT`, when set below {MAX_BATCH:,}; more than {MAX_BATCH:,} items fail validation "
    f"with 422), or asks a JSON answer (not NDJSON) to explain more than {_default('full_detail_limit'):,} items "
    "in full (`detail: full`, `CREDCHECK_FULL_DETAIL_LIMIT`): stream them with `Accept: application/x-ndjson`."
)
BATCH_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        **PROBLEM,
        "description": (
            "The service is shutting down (or a batch worker process failed) before the batch was evaluated; "
            "send it again. `Retry-After` says when. In an NDJSON answer, the items not evaluated get such a "
            "problem each, on their own lines."
        ),
    }
}
CATALOGUE: dict[int | str, dict[str, Any]] = {
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
