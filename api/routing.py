"""The route class of every API route: JSON bodies parsed by orjson, and any unexpected error answered as a
500 problem by the route itself (see :class:`OrjsonRoute`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from .problems import unexpected_error

__all__ = ["OrjsonRequest", "OrjsonRoute", "loads"]


def _out_of_range(text: str) -> float:
    raise ValueError(text)


def loads(body: bytes) -> Any:
    """Parse a JSON body with orjson; numbers beyond a double's range (``1e400``, 400 digits) are valid JSON
    that orjson refuses, so they are parsed again by the standard library, as infinity: validation then
    names the field (422) instead of the whole body being "not JSON" (400)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if not str(exc).startswith("number is infinity"):
            raise
        try:
            return json.loads(
                body,
                parse_int=lambda t: int(t) if len(t) <= 4000 else float("-inf" if t[0] == "-" else "inf"),
                parse_constant=_out_of_range,  # NaN and Infinity are not JSON
            )
        except (ValueError, RecursionError):
            raise exc from None


class OrjsonRequest(Request):
    """Parses JSON bodies with orjson: several times faster on large batches, and it refuses absurd nesting."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class OrjsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(OrjsonRequest(request.scope, request.receive))
            except Exception as exc:
                # Exceptions with a handler of their own (problems.install_problem_handlers) go to it.
                handled = tuple(k for k in request.app.exception_handlers if isinstance(k, type) and k is not Exception)
                if isinstance(exc, handled):
                    raise
                # Answered here rather than by Starlette's last-resort handler, which answers and then re-raises
                # to the server: the server then closes the client's keep-alive connection after every 500.
                return unexpected_error(request, exc)

        return route
