"""Eligibility: one applicant (``POST /v1/eligibility``) and a batch (``POST /v1/eligibility/batch``).

The request models' enums (credential ids, state codes, vocabularies) come from the rule set the app was
built with, so the handlers are written once here and :func:`add_routes` binds them to an app's models.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from engine import BatchStopped

from .. import clock, serialize
from ..i18n import catalogue
from ..observability import Metrics
from ..problems import ProblemError, problem, require_json
from ..render import _
from ..responses import JsonParts, content_language, json_response, language_of
from ..schemas import BatchResponse, Detail, EligibilityResponse, RequestModels
from ..serialize import identity_json, serializer
from ..state import service_of
from .documented import BATCH_BODY_ERRORS, BATCH_UNAVAILABLE, BODY_ERRORS, COMMON_ERRORS

__all__ = ["add_routes", "check_eligibility", "check_eligibility_batch"]

logger = logging.getLogger("credcheck.api")

_BATCH_OK = {
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
}


async def check_eligibility(body: Any, request: Request) -> Response:
    """Evaluate one applicant against every credential (or those listed) on `as_of`.

    The text fields are in the language of `lang`, else of `Accept-Language` (English or Spanish; any other
    falls back to English), named by `Content-Language`; machine fields never change with the language."""
    state = service_of(request)
    credentials = [c.value for c in body.credentials] if body.credentials else None
    as_of = body.as_of or clock.utc_today()
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
        evaluations = Metrics.get().evaluations
        for credential_id, verdict in result.verdicts:
            evaluations.labels(credential_id, verdict.value).inc()
        content = serializer(book).eligibility(result, detail=detail, language=language)
        return json_response(content, headers=content_language(language))

    return await state.turns.run(answer)


def _not_evaluated(exc: BaseException) -> str:
    """Why a batch's items were not evaluated: a message of the `messages` catalogue."""
    if isinstance(exc, BatchStopped):
        return _("Not evaluated: the service is shutting down. Send it again (another instance will answer).")
    logger.error("a batch worker process died; the items not evaluated are answered 503")
    return _("Not evaluated: a batch worker process failed. Send it again.")


def _unavailable_item(item_id: str, why: str, language: str) -> dict[str, Any]:
    return serialize.failed_item(item_id, problem(503, "unavailable", why, errors=[], language=language))


async def check_eligibility_batch(body: Any, request: Request) -> Response:
    """Evaluate up to 10,000 applicants; an invalid item gets its own problem and does not fail the batch."""
    state = service_of(request)
    settings = state.settings
    metrics = Metrics.get()
    language = language_of(request, body.lang)
    if len(body.items) > settings.batch_limit:
        raise ProblemError(
            413,
            "payload-too-large",
            _("this service accepts at most {limit} items per batch"),
            values={"limit": settings.batch_limit},
            language=language,
        )
    streamed = "application/x-ndjson" in request.headers.get("accept", "")
    if body.detail.value == "full" and not streamed and len(body.items) > settings.full_detail_limit:
        # A fully explained item is about 270 KB of JSON; a JSON answer is built whole before it is sent.
        # Streamed answers have no such limit: their memory is bounded by the chunks in flight.
        raise ProblemError(
            413,
            "payload-too-large",
            _(
                "a JSON answer explains at most {limit} items in full (`detail: full`); this batch has {count}. "
                "Send `Accept: application/x-ndjson` to stream the results (any number of items, as they are "
                "ready), ask for `detail: summary`, or send batches of at most {limit} items."
            ),
            values={"limit": settings.full_detail_limit, "count": len(body.items)},
            language=language,
        )
    as_of = body.as_of or clock.utc_today()
    credentials = [c.value for c in body.credentials] if body.credentials else None
    items = [(item.id, item.applicant) for item in body.items]
    # One read: the runner carries its rule book, so a reload between two reads cannot pair the items
    # of one rule set with the `rules` of another.
    runner = state.runner
    book = runner.book
    detail = Detail(body.detail)
    # Looked up at call time, as the clock is: a test can have every item say which process encoded it.
    # Each item comes back as its JSON bytes, encoded where it was evaluated (`EncodedItem`).
    encode = functools.partial(serialize.encoded_item, item=serialize.batch_item, detail=detail, language=language)
    explained = detail != Detail.SUMMARY

    def results() -> Iterator[serialize.EncodedItem]:
        for result in runner.run(
            items, as_of=as_of, credentials=credentials, encode=encode, explained=explained, stop=state.stop
        ):
            if result.ok:
                metrics.batch_items.labels("evaluated").inc()
                for credential, status in result.statuses:
                    metrics.evaluations.labels(credential, status).inc()
            else:
                metrics.batch_items.labels("invalid").inc()
            yield result

    if streamed:

        def lines() -> Iterator[bytes]:
            done = 0
            try:
                for result in results():
                    yield result.json + b"\n"
                    done += 1
            except (BatchStopped, BrokenProcessPool) as exc:
                # Headers are sent: the status cannot change. Every item still gets its line, whole:
                # those not evaluated say why, so the client knows exactly which to send again.
                why = catalogue(language).say(_not_evaluated(exc))
                rest = items[done:]
                yield b"".join(orjson.dumps(_unavailable_item(i, why, language)) + b"\n" for i, _applicant in rest)

        headers = {"X-As-Of": as_of.isoformat(), **content_language(language)}
        return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)

    def evaluate() -> tuple[list[bytes], int]:
        # Each result is serialised as soon as it is ready: compact bytes, not the dicts (several times
        # larger), are what waits for the rest of the batch.
        parts, failed = [], 0
        for result in results():
            failed += not result.ok
            parts.append(result.json)
        return parts, failed

    try:
        parts, failed = await run_in_threadpool(evaluate)
    except (BatchStopped, BrokenProcessPool) as exc:
        raise ProblemError(
            503, "unavailable", _not_evaluated(exc), headers={"Retry-After": "1"}, language=language
        ) from None
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
    response = JsonParts(orjson.dumps(head)[:-1] + b',"items":[', parts, b"]}")
    response.headers.update(content_language(language))
    return response


def _with_body(endpoint: Callable[..., Awaitable[Response]], model: type) -> Callable[..., Awaitable[Response]]:
    """``endpoint`` as FastAPI sees it with its ``body`` parameter typed ``model`` (validation, the spec)."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=model if p.name == "body" else hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
    ]

    @functools.wraps(endpoint)
    async def bound(*args: Any, **kwargs: Any) -> Response:
        return await endpoint(*args, **kwargs)

    bound.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints.get("return", signature.return_annotation)
    )
    return bound


def add_routes(app: FastAPI, models: RequestModels) -> None:
    """Add the eligibility routes to ``app``, taking the request models of the rule set it was built with."""
    app.add_api_route(
        "/v1/eligibility",
        _with_body(check_eligibility, models.EligibilityRequest),
        methods=["POST"],
        name="checkEligibility",
        summary="Check an applicant's eligibility",
        tags=["eligibility"],
        response_model=EligibilityResponse,
        responses={**BODY_ERRORS, **COMMON_ERRORS},
        dependencies=[Depends(require_json)],
    )
    app.add_api_route(
        "/v1/eligibility/batch",
        _with_body(check_eligibility_batch, models.BatchRequest),
        methods=["POST"],
        name="checkEligibilityBatch",
        summary="Check many applicants",
        tags=["eligibility"],
        response_model=BatchResponse,
        responses={200: _BATCH_OK, **BATCH_BODY_ERRORS, **COMMON_ERRORS, **BATCH_UNAVAILABLE},
        dependencies=[Depends(require_json)],
    )
