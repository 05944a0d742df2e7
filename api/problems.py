"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service returns has this shape, built by one function (:func:`problem`) whichever layer
answers (a route, the middleware, the server before the app, a batch item), names the offending field where
there is one, and never echoes the applicant's values back (they are personal data). Anything unexpected
becomes a generic 500 without internal details; it is logged with the request id only.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match

from engine import FieldPath, UnknownCredentialError, UnknownStateError

from .i18n import DEFAULT_LANGUAGE, Catalogue, catalogue, negotiate
from .render import N_, _
from .responses import content_language

__all__ = [
    "MAX_JSON_DEPTH",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPES",
    "FieldError",
    "Problem",
    "ProblemError",
    "install_problem_handlers",
    "item_problem",
    "problem",
    "problem_response",
    "require_json",
    "unexpected_error",
    "validation_errors",
    "worded_errors",
]

logger = logging.getLogger("credcheck.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_BASE = "https://credcheck.dev/problems/"

# type slug -> title, in English (another language's title comes from the `messages` catalogue). Clients may
# switch on `type`; these never change meaning.
PROBLEM_TYPES: dict[str, str] = {
    "malformed-request": _("Malformed request"),
    "invalid-request": _("Invalid request"),
    "invalid-applicant": _("Invalid applicant"),
    "unauthorized": _("Unauthorized"),
    "not-found": _("Not found"),
    "method-not-allowed": _("Method not allowed"),
    "not-acceptable": _("Not acceptable"),
    "payload-too-large": _("Payload too large"),
    "unsupported-media-type": _("Unsupported media type"),
    "too-many-requests": _("Too many requests"),
    "request-timeout": _("Request timeout"),
    "internal-error": _("Internal error"),
    "unavailable": _("Service unavailable"),
}


class FieldError(BaseModel):
    """One invalid field of a request."""

    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="Where the error is, e.g. `applicant.programs[0].clock_hours`.")
    message: str = Field(description="What is wrong with it, in the answer's language (`Content-Language`).")
    type: str = Field(description="Machine-readable error code, e.g. `missing`, `enum`, `greater_than_equal`.")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="URI identifying the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem (in `Content-Language` when it is sent).")
    status: int = Field(description="HTTP status code.")
    detail: str | None = Field(None, description="Explanation specific to this occurrence.")
    instance: str | None = Field(None, description="The request path.")
    errors: list[FieldError] | None = Field(None, description="Field-level errors (validation problems).")


class ProblemError(Exception):
    """Raise from a route to answer with a problem: ``detail`` is a message of the `messages` catalogue, its
    ``{fields}`` filled from ``values``, worded in ``language`` (default: the request's ``Accept-Language``)."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.headers = status, kind, detail, headers
        self.values, self.language = values or {}, language


_ABSENT: Any = object()


def problem(
    status: int,
    kind: str,
    detail: str | None = None,
    *,
    instance: str | None = _ABSENT,
    errors: list[dict[str, str]] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """A problem details object: its ``type`` and ``title`` from ``kind`` (a key of :data:`PROBLEM_TYPES`; the
    title in ``language``), ``instance`` (the request path) when given, even as ``None``, ``errors`` when
    given. Every problem the service sends is built here."""
    title = catalogue(language).gettext(PROBLEM_TYPES[kind])
    body: dict[str, Any] = {"type": _BASE + kind, "title": title, "status": status, "detail": detail}
    if instance is not _ABSENT:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    request: Request,
    status: int,
    kind: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    language: str,
) -> Response:
    """A route's problem answer: the problem of ``request`` (its path is the ``instance``), its title in
    ``language`` (the language ``detail`` is given in), said in ``Content-Language``."""
    body = problem(status, kind, detail, instance=request.url.path, errors=errors, language=language)
    headers = {**(headers or {}), **content_language(language)}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _fields_detail(errors: list[dict[str, str]], language: str = DEFAULT_LANGUAGE) -> str:
    messages = catalogue(language)
    n = len(errors)
    return messages.ngettext(*_FIELDS, n).format(n=messages.number(n), fields=", ".join(e["field"] for e in errors[:5]))


_FIELDS = N_("{n} invalid field: {fields}", "{n} invalid fields: {fields}")

# A field error's words by its pydantic error type (and, for ``value_error``, the reason the applicant model
# gives in its context: ``engine.applicant.REASONS``). The values come from the error's context, never from
# the input. An error of another type keeps pydantic's English message in English ("invalid value" otherwise).
_BY_TYPE: dict[str, str] = {
    "missing": _("Field required"),
    "extra_forbidden": _("Extra inputs are not permitted"),
    "bool_type": _("Input should be a valid boolean"),
    "bool_parsing": _("Input should be a valid boolean"),
    "string_type": _("Input should be a valid string"),
    "list_type": _("Input should be a valid list"),
    "dict_type": _("Input should be an object"),
    "model_type": _("Input should be an object"),
    "model_attributes_type": _("Input should be an object"),
    "int_type": _("Input should be a number"),
    "int_parsing": _("Input should be a number"),
    "float_type": _("Input should be a number"),
    "float_parsing": _("Input should be a number"),
    "enum": _("Input should be {expected}"),
    "literal_error": _("Input should be {expected}"),
    "greater_than_equal": _("Input should be greater than or equal to {limit}"),
    "greater_than": _("Input should be greater than {limit}"),
    "less_than_equal": _("Input should be less than or equal to {limit}"),
    "less_than": _("Input should be less than {limit}"),
}
_BY_LENGTH: dict[str, tuple[str, str]] = {
    "string_too_short": N_("String should have at least {n} character", "String should have at least {n} characters"),
    "string_too_long": N_("String should have at most {n} character", "String should have at most {n} characters"),
    "too_short": N_("List should have at least {n} item", "List should have at least {n} items"),
    "too_long": N_("List should have at most {n} item", "List should have at most {n} items"),
}
_LENGTH_LIMIT = {"string_too_short": "min_length", "too_short": "min_length"}
_BY_REASON: dict[str, str] = {
    "date_time": _("expected a date (YYYY-MM-DD), not a date-time"),
    "date_format": _("expected a date as a YYYY-MM-DD string"),
    "calendar_date": _("not a calendar date (month or day out of range)"),
    "date_range": _("date must be between {low} and {high}"),
    "json_number": _("expected a JSON number"),
    "finite_number": _("expected a finite number"),
    "whole_number": _("expected a whole number"),
}
_BY_ORDER: dict[str, str] = {
    "completion_date": _("completion_date is before start_date"),
    "end_date": _("end_date is before start_date"),
}
_INVALID = _("invalid value")
_BOUND = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}
_QUOTED = re.compile(r"'([^']*)'")


def field_message(error: Mapping[str, Any], messages: Catalogue) -> str:
    """A field error's message in the catalogue's language, from its ``type`` and context (``ctx``); the
    error's own ``message`` (pydantic's English) for a type without words of ours, in English only."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "value_error":
        reason = ctx.get("reason")
        if reason == "date_order" and ctx.get("field") in _BY_ORDER:
            return messages.gettext(_BY_ORDER[ctx["field"]])
        if reason in _BY_REASON:
            return messages.gettext(_BY_REASON[reason]).format(low=ctx.get("low"), high=ctx.get("high"))
    elif kind in _BY_LENGTH:
        n = ctx.get(_LENGTH_LIMIT.get(kind, "max_length"))
        if isinstance(n, int):
            return messages.ngettext(*_BY_LENGTH[kind], n).format(n=messages.number(n))
    elif kind in _BOUND:
        limit = ctx.get(_BOUND[kind])
        if isinstance(limit, int | float):
            return messages.gettext(_BY_TYPE[kind]).format(limit=messages.number(limit))
    elif kind in ("enum", "literal_error"):
        allowed = _QUOTED.findall(str(ctx.get("expected", "")))
        if allowed:
            expected = messages.list([f"'{v}'" for v in allowed], style="or")
            return messages.gettext(_BY_TYPE[kind]).format(expected=expected)
    elif kind in _BY_TYPE:
        return messages.gettext(_BY_TYPE[kind])
    if messages.language == DEFAULT_LANGUAGE and error.get("message"):
        return str(error["message"])
    return messages.gettext(_INVALID)


def worded_errors(errors: list[dict[str, Any]], language: str = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    """Field errors as the wire has them (``field``, ``message``, ``type``), their messages in ``language``:
    :func:`engine.field_errors`' errors, or those of a request's validation."""
    messages = catalogue(language)
    return [{"field": e["field"], "message": field_message(e, messages), "type": e["type"]} for e in errors]


def _field_path(loc: tuple[Any, ...]) -> str:
    """A request error's field, relative to what it is in (the body, the query...): ``applicant.birth_date``."""
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    return FieldPath.from_loc(loc).api() or "body"


def _message(error: dict[str, Any]) -> str:
    # pydantic messages never include the input value, only the rule; keep it that way.
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


# orjson refuses documents nested deeper than this; the request models are a few levels deep, so anything
# deeper than they are fails validation (422, naming the field) long before.
MAX_JSON_DEPTH = 1024


_MALFORMED = _("The request body is not valid JSON.")
_TOO_DEEP = _("The request body is nested more than {n} levels deep.")


def validation_errors(
    exc: RequestValidationError, language: str = DEFAULT_LANGUAGE
) -> tuple[str | None, list[dict[str, str]]]:
    """Field errors of a validation failure, worded in ``language``, and why the body is not JSON at all
    (``None`` if it is)."""
    messages = catalogue(language)
    malformed: str | None = None
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        ctx = error.get("ctx") or {}
        if kind in ("json_invalid", "json_type"):
            if "depth limit" in str(ctx.get("error", "")):
                malformed = messages.gettext(_TOO_DEEP).format(n=messages.number(MAX_JSON_DEPTH))
            else:
                malformed = messages.gettext(_MALFORMED)
        found = {"type": kind, "ctx": ctx, "message": _message(error)}
        errors.append({"field": _field_path(tuple(error.get("loc", ()))), "message": field_message(found, messages),
                       "type": kind})  # fmt: skip
    return malformed, errors


def _request_language(request: Request, body: Any) -> str:
    """The language of a request whose body did not validate: its ``lang`` when that field was readable and
    supported, else its ``Accept-Language``."""
    explicit = body.get("lang") if isinstance(body, dict) else None
    return negotiate(explicit if isinstance(explicit, str) else None, request.headers.get("accept-language"))


def _routes(routes: Any) -> Iterator[Any]:
    """The app's routes, with those of routers added by ``include_router`` (which FastAPI keeps behind one
    wrapper route; the page's router is added so, without a prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in _routes(app.router.routes):
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match in (Match.FULL, Match.PARTIAL):
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def _other_slash(app: FastAPI, request: Request) -> str | None:
    """The path with its trailing slash removed (or one added) when that names a route, else None."""
    path = request.url.path
    other = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
    if other.startswith("//"):  # "//host" would be a URL of another site
        return None
    scope = {**request.scope, "path": other}
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match in (Match.FULL, Match.PARTIAL):
            return other
    return None


def item_problem(errors: list[dict[str, str]], language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """A batch item's invalid fields (already worded in ``language``) as a problem details object, with the
    status the item alone would have had."""
    return problem(422, "invalid-applicant", _fields_detail(errors, language), errors=errors, language=language)


async def require_json(request: Request) -> None:
    """Dependency of body-taking routes: refuse bodies that are not JSON with 415 before parsing.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker thread, and that
    round trip cost more than the rest of the framework's work per request."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise ProblemError(415, "unsupported-media-type", _("Send the request body as application/json."))


def _language(request: Request) -> str:
    """The language of a request whose body is not read: its ``Accept-Language``'s."""
    return negotiate(None, request.headers.get("accept-language"))


def _said(request: Request, message: str, **values: Any) -> tuple[str, str]:
    """The request's language and ``message`` worded in it."""
    language = _language(request)
    return language, catalogue(language).say(message, **values)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        language = _request_language(request, exc.body)
        malformed, errors = validation_errors(exc, language)
        if malformed:
            return problem_response(request, 400, "malformed-request", malformed, language=language)
        detail = _fields_detail(errors, language)
        return problem_response(request, 422, "invalid-request", detail, errors=errors, language=language)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
            language, detail = _said(request, _("{method} is not allowed here."), method=request.method)
            return problem_response(request, 405, "method-not-allowed", detail, headers=headers, language=language)
        if exc.status_code == 404:
            path = request.url.path
            other = _other_slash(app, request)
            if other is not None and request.method in ("GET", "HEAD"):
                # Relative: built from the path alone, never from the Host header a client sent.
                query = request.url.query
                return RedirectResponse(other + (f"?{query}" if query else ""), status_code=308)
            if other is None:
                language, detail = _said(request, _("No resource at {path}."), path=path)
            else:
                hint = _("No resource at {path}. Did you mean {other}?")
                language, detail = _said(request, hint, path=path, other=other)
            return problem_response(request, 404, "not-found", detail, headers=headers, language=language)
        if exc.status_code == 400:
            language, detail = _said(request, _("The request body could not be parsed."))
            return problem_response(request, 400, "malformed-request", detail, headers=headers, language=language)
        kind = {
            401: "unauthorized",
            406: "not-acceptable",
            413: "payload-too-large",
            415: "unsupported-media-type",
            429: "too-many-requests",
            503: "unavailable",
        }.get(exc.status_code, "invalid-request")
        # another framework error: its detail is the framework's own English
        return problem_response(request, exc.status_code, kind, str(exc.detail), headers=headers, language="en")

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        language = exc.language or _language(request)
        detail = catalogue(language).say(exc.detail, **exc.values)
        return problem_response(
            request, exc.status, exc.kind, detail, headers=exc.headers, language=language
        )

    @app.exception_handler(UnknownCredentialError)
    async def _unknown_credential(request: Request, exc: UnknownCredentialError) -> Response:
        language, detail = _said(request, _("unknown credential `{id}`"), id=exc.credential_id)
        return problem_response(request, 404, "not-found", detail, language=language)

    @app.exception_handler(UnknownStateError)
    async def _unknown_state(request: Request, exc: UnknownStateError) -> Response:
        message = _("`{code}` is not the USPS code of a US state, the District of Columbia or a territory")
        language, detail = _said(request, message, code=exc.code)
        return problem_response(request, 404, "not-found", detail, language=language)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return unexpected_error(request, exc)


def unexpected_error(request: Request, exc: BaseException) -> Response:
    """A bug: logged (type and frames, never the message: messages of validation and parsing errors can quote
    the applicant's values) and answered with a generic 500 problem."""
    frames = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__))
    logger.error("unhandled %s on %s %s at %s", type(exc).__name__, request.method, request.url.path, frames)
    language, detail = _said(request, _("An unexpected error occurred."))
    return problem_response(request, 500, "internal-error", detail, language=language)
