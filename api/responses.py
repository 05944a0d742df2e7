"""Answers the routes build: JSON bytes from orjson, a large JSON answer sent in pieces, the language of an
answer (negotiated, and said in its headers) and conditional requests (``If-None-Match``)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .i18n import negotiate

__all__ = ["JsonParts", "content_language", "if_none_match", "json_response", "language_of"]


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json", headers=headers)


def language_of(request: Request, explicit: Any = None) -> str:
    """The language to answer ``request`` in: ``explicit`` (a ``lang`` field or parameter) if given and
    supported, else the best of its ``Accept-Language``, else English."""
    return negotiate(getattr(explicit, "value", explicit), request.headers.get("accept-language"))


def content_language(language: str) -> dict[str, str]:
    """Headers of an answer whose text is in ``language``, chosen from the request's ``Accept-Language``."""
    return {"Content-Language": language, "Vary": "Accept-Language"}


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches (weak comparison, RFC 9110 13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class JsonParts(Response):
    """A JSON answer assembled from pre-serialised parts, sent in pieces of about 256 KB (Content-Length
    known up front): a large batch answer is never joined into one more copy of itself."""

    media_type = "application/json"

    def __init__(self, head: bytes, parts: list[bytes], tail: bytes) -> None:
        super().__init__(b"", media_type=self.media_type)
        self._pieces = (head, parts, tail)
        length = len(head) + sum(len(p) for p in parts) + max(len(parts) - 1, 0) + len(tail)
        self.headers["content-length"] = str(length)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        head, parts, tail = self._pieces
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        piece = [head]
        size = len(head)
        for i, part in enumerate(parts):
            piece.append(part if i == 0 else b"," + part)
            size += len(part) + 1
            if size >= 262_144:
                await send({"type": "http.response.body", "body": b"".join(piece), "more_body": True})
                piece, size = [], 0
        piece.append(tail)
        await send({"type": "http.response.body", "body": b"".join(piece), "more_body": False})
