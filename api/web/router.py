"""Routes of the page: the self-check form and its answer, the registrar's upload, and the offline API docs.

Nothing here is in the OpenAPI document (``include_in_schema=False``). Applicant facts arrive in POST bodies
only, are evaluated by the service's rule set (``app.state.service.book``, as the API does) and rendered into
the answer; they are not stored, logged, put in URLs or in cookies (there are none).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from api.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, negotiate
from api.serialize import identity_json

from . import batch
from .form import N_, SECTIONS, FormState, field_name, parse_form
from .view import answer_view, options

__all__ = ["REGISTRAR_PATHS", "install"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
# Upload paths, which take the batch endpoint's body limit (see api.main).
REGISTRAR_PATHS = tuple(f"/{lang}/registrar" for lang in LANGUAGES)


@functools.cache
def environment(language: str) -> Environment:
    """Templates with the page's catalogue in ``language`` (one environment per language: thread-safe)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(catalogue(language, "page").translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["field_name"] = field_name
    return env


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _render(request: Request, template: str, language: str, status: int = 200, **context: Any) -> HTMLResponse:
    root = _root(request)
    book = request.app.state.service.book
    html = environment(language).get_template(template).render(
        lang=language,
        languages=LANGUAGE_NAMES,
        root=root,
        rules=identity_json(book),
        **context,
    )
    headers = {"Content-Language": language}
    return HTMLResponse(html, status_code=status, headers=headers)


def _form_context(request: Request, language: str, form: FormState) -> dict[str, Any]:
    book = request.app.state.service.book
    choices: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        for f in section.fields:
            if f.vocabulary and f.vocabulary not in choices:
                choices[f.vocabulary] = options(book, f.vocabulary, language)
    page = catalogue(language, "page")
    def say(message: str, params: dict[str, Any]) -> str:
        numbers = {k: page.number(v) if isinstance(v, int | float) else v for k, v in params.items()}
        return page.gettext(message) % numbers if numbers else page.gettext(message)

    errors = {name: [say(m, p) for m, p in messages] for name, messages in form.errors.items()}
    return {"sections": SECTIONS, "form": form, "choices": choices, "errors": errors}


def install(app: FastAPI, *, today: Callable[[], dt.date]) -> None:
    """Add the page, its static files and the offline docs to the service."""
    app.mount(
        "/docs/static",
        StaticFiles(directory=STATIC / "docs", packages=[("fastapi_offline", "static")]),
        name="docs-static",
    )
    app.mount("/static", StaticFiles(directory=STATIC / "page"), name="static")
    app.include_router(_router(app, today))


def _router(app: FastAPI, today: Callable[[], dt.date]) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings = app.state.settings

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        return _render(request, "swagger.html", DEFAULT_LANGUAGE, title=f"{app.title}: API reference")

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        return _render(request, "redoc.html", DEFAULT_LANGUAGE, title=f"{app.title}: API reference")

    @router.get("/")
    async def home(request: Request) -> HTMLResponse:
        language = negotiate(None, request.headers.get("accept-language"))
        response = _form_page(request, language, FormState(), mode="start")
        response.headers["Vary"] = "Accept-Language"
        return response

    def _form_page(request: Request, language: str, form: FormState, *, mode: str, status: int = 200) -> HTMLResponse:
        return _render(
            request,
            "form.html",
            language,
            status,
            mode=mode,
            answer=None,
            **_form_context(request, language, form),
        )

    async def _posted_form(request: Request) -> FormData:
        return await request.form(max_files=0, max_fields=3000, max_part_size=4096)

    def add_language(language: str) -> None:
        async def form_page(request: Request) -> HTMLResponse:
            return _form_page(request, language, FormState(), mode="start")

        async def check(request: Request) -> HTMLResponse:
            data = await _posted_form(request)
            action = str(data.get("action", "check"))
            book = request.app.state.service.book
            add = action.removeprefix("add:") if action.startswith("add:") else None
            remove = action.removeprefix("remove:") if action.startswith("remove:") else None
            form = parse_form(data, book.models.Applicant, state_codes=book.state_codes, add=add, remove=remove)
            if action != "check":
                form.errors.clear()  # editing the form is not submitting it
                return _form_page(request, language, form, mode="edit")
            if form.errors:
                return _form_page(request, language, form, mode="errors", status=422)

            def evaluate() -> Any:
                return book.evaluate(form.applicant, as_of=today(), state=form.state)

            evaluation = await run_in_threadpool(evaluate)
            answer = answer_view(evaluation, language, book=book)
            return _render(
                request,
                "form.html",
                language,
                mode="answer",
                answer=answer,
                **_form_context(request, language, form),
            )

        async def registrar_page(request: Request) -> HTMLResponse:
            return _registrar(request, language)

        async def registrar_upload(request: Request) -> Response:
            return await _upload(request, language)

        router.add_api_route(f"/{language}/", form_page, methods=["GET"], name=f"page_{language}")
        router.add_api_route(f"/{language}/", check, methods=["POST"], name=f"check_{language}")
        router.add_api_route(f"/{language}/registrar", registrar_page, methods=["GET"], name=f"registrar_{language}")
        router.add_api_route(
            f"/{language}/registrar", registrar_upload, methods=["POST"], name=f"upload_{language}"
        )

    def _registrar(
        request: Request, language: str, *, error: dict[str, str] | None = None, status: int = 200
    ) -> HTMLResponse:
        return _render(
            request,
            "registrar.html",
            language,
            status,
            limits={
                "items": catalogue(language, "page").number(settings.batch_limit),
                "size": _size(settings.batch_body_limit, language),
            },
            error=error,
            switch_path="registrar",
        )

    async def _upload(request: Request, language: str) -> Response:
        page = catalogue(language, "page")

        def refuse(message: str, lang: str = language, status: int = 422) -> HTMLResponse:
            return _registrar(request, language, error={"text": message, "lang": lang}, status=status)

        try:
            parser = _InMemoryParser(
                request.headers, request.stream(), max_files=1, max_fields=10, limit=settings.batch_body_limit
            )
            data = await parser.parse()
        except (MultiPartException, KeyError):  # not a multipart body, or one without a boundary
            return refuse(page.gettext(N_("Choose a file to upload.")))
        upload = data.get("cohort")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return refuse(page.gettext(N_("Choose a file to upload.")))
        content = await upload.read()
        await upload.close()
        suffix = batch.suffix_of(upload.filename)
        if suffix not in batch.INPUTS:
            return refuse(page.gettext(N_("The file must be a .csv or a .jsonl file.")))
        output = str(data.get("output", "same"))
        output = suffix if output not in batch.FORMATS else output
        state = request.app.state.service
        book, runner = state.book, state.runner

        def run() -> batch.Results:
            return batch.run_file(
                upload.filename or "",
                content,
                book=book,
                runner=runner,
                as_of=today(),
                output=output,
                limit=settings.batch_limit,
                language=language,
            )

        try:
            results = await run_in_threadpool(run)
        except batch.BatchFileError as exc:
            return refuse("; ".join(exc.problems))  # worded in the page's language
        return Response(
            results.data,
            media_type=results.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{results.filename}"',
                "X-Applicants": str(results.count),
                "X-Applicants-Failed": str(results.failed),
            },
        )

    for language in LANGUAGES:
        add_language(language)
    return router


def _size(size: int, language: str) -> str:
    """A number of bytes as people read it: ``32 MB``, ``256 KB``."""
    number = catalogue(language, "page").number
    return f"{number(size / 1_048_576)} MB" if size >= 1_048_576 else f"{number(size / 1024)} KB"


class _InMemoryParser(MultiPartParser):
    """Keeps an uploaded file in memory (the body limit bounds it) instead of spooling it to a temporary file."""

    def __init__(self, *args: Any, limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spool_max_size = limit

