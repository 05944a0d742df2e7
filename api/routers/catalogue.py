"""The catalogue: credentials with their routes and criteria, and states' licensing notes, derived from the
rule set served. Answers carry an ``ETag``; a request that already holds it gets 304 Not Modified."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from starlette.responses import Response

from ..responses import content_language, if_none_match, json_response, language_of
from ..schemas import CredentialDetail, CredentialList, Language, StateDetail
from ..serialize import serializer
from ..state import service_of
from .documented import CATALOGUE, COMMON_ERRORS, PROBLEM

__all__ = ["add_routes", "get_credential", "get_state", "list_credentials"]

LanguageParam = Annotated[
    Language | None,  # type: ignore[valid-type]
    Query(description="Language of the text fields; overrides `Accept-Language` (default English)."),
]


def _catalogue(request: Request, language: str, content: Callable[[], Any]) -> Response:
    """A catalogue answer: it changes only with the rule set, the service and the language, so it carries
    an ETag and a request that already holds it gets 304 Not Modified, without a body."""
    etag = f'{service_of(request).etag[:-1]}-{language}"'
    headers = {"ETag": etag, **content_language(language)}
    if if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return json_response(content(), headers=headers)


async def list_credentials(request: Request, lang: LanguageParam = None) -> Response:
    """Every credential in the rule set, with its routes."""
    state = service_of(request)
    book = state.book
    language = language_of(request, lang)
    key = (book.digest, language)
    lists = state.credential_lists
    if key not in lists:
        if len(lists) > 8:
            lists.clear()
        lists[key] = serializer(book).credential_list(language)
    return _catalogue(request, language, lambda: lists[key])


async def get_credential(
    request: Request,
    credential_id: str = Path(max_length=100, description="Credential id, e.g. `aama.cma`.", examples=["aama.cma"]),
    lang: LanguageParam = None,
) -> Response:
    """A credential with every route, criterion, citation, verification level and catalogue fact."""
    language = language_of(request, lang)
    # An unknown id: 404 before any 304.
    detail = serializer(service_of(request).book).credential_detail(credential_id, language)
    return _catalogue(request, language, lambda: detail)


async def get_state(
    request: Request,
    code: str = Path(max_length=10, description="USPS code, e.g. `WA` (any case).", examples=["WA"]),
    lang: LanguageParam = None,
) -> Response:
    """Licensing notes of a state, DC or territory for the credential families in the rule set."""
    language = language_of(request, lang)
    detail = serializer(service_of(request).book).state_detail(code.upper(), language)  # `wa` is `WA`
    return _catalogue(request, language, lambda: detail)


def add_routes(app: FastAPI) -> None:
    """Add the catalogue routes to ``app``."""
    app.add_api_route(
        "/v1/credentials",
        list_credentials,
        methods=["GET"],
        name="listCredentials",
        summary="List credentials",
        tags=["catalogue"],
        response_model=CredentialList,
        responses={**CATALOGUE, 422: PROBLEM, **COMMON_ERRORS},
    )
    app.add_api_route(
        "/v1/credentials/{credential_id}",
        get_credential,
        methods=["GET"],
        name="getCredential",
        summary="Get a credential",
        tags=["catalogue"],
        response_model=CredentialDetail,
        responses={**CATALOGUE, 404: PROBLEM, 422: PROBLEM, **COMMON_ERRORS},
    )
    app.add_api_route(
        "/v1/states/{code}",
        get_state,
        methods=["GET"],
        name="getState",
        summary="Get a state's licensing notes",
        tags=["catalogue"],
        response_model=StateDetail,
        responses={**CATALOGUE, 404: PROBLEM, 422: PROBLEM, **COMMON_ERRORS},
    )
