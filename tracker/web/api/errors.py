"""What the API's routes may answer besides success, for the OpenAPI document, and its
405s. The answers themselves come from `tracker.web.errors`, as for every route."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tracker.web.api.schemas import ApiError, InvalidRequest

# What every route may answer besides its success, for the OpenAPI document.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "No API token, or one that is not valid."}
}
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "The body is not a JSON document."}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ApiError,
        "description": "No such case, or one not assigned to the calling representative "
        "(the two are not told apart).",
    }
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "model": InvalidRequest,
        "description": "A malformed parameter or body (a list of the problems), or a change "
        "the rules refuse (a sentence saying why).",
    }
}


HTTP_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})


def answer_other_methods(router: APIRouter) -> None:
    """Answer a method a path does not take with 405 and an `Allow` naming every method it
    does take (RFC 9110). Starlette would answer from the first route of the path alone,
    so a path with GET and POST routes would say `Allow: GET`."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in router.routes:
        if isinstance(route, APIRoute):
            methods[route.path] |= route.methods or set()
    for path, taken in methods.items():
        router.add_api_route(
            path.removeprefix(router.prefix),
            _not_allowed(", ".join(sorted(taken))),
            methods=sorted(HTTP_METHODS - taken),
            include_in_schema=False,
        )


def _not_allowed(allow: str) -> Callable[[], Response]:
    def not_allowed() -> Response:
        return JSONResponse(
            {"detail": f"Method Not Allowed; use {allow}"},
            status_code=405,
            headers={"Allow": allow},
        )

    return not_allowed
