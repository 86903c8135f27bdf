"""The problem+json error bodies (RFC 9457) as documented in OpenAPI.

``app/errors.py`` builds every error body; this module describes the same shape and adds
it to every ``/api/v1`` operation, so clients (and the schemathesis run) can check an
error against the schema like any other answer."""

from __future__ import annotations

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"


class ProblemIssue(msgspec.Struct, kw_only=True):
    """One reason a request is invalid: a field path and, for manifests, the row."""

    field: str
    message: str
    row: int | None = None
    code: str | None = None


class Problem(msgspec.Struct, kw_only=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str | None = None
    errors: list[ProblemIssue] | None = None


ERROR_STATUSES: dict[int, str] = {
    400: "Malformed request (a body that is not JSON, a bad header)",
    401: "Authentication required or failed",
    403: "The caller's role or token scopes do not allow this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the resource's state, an idempotency key or a quota",
    412: "The If-Match version is no longer current",
    422: "Validation failed; `errors` lists each field",
    429: "Rate limited; see Retry-After",
    503: "A dependency is unavailable",
}


def problem_responses() -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=description,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status, description in ERROR_STATUSES.items()
    }


class ProblemResponsesPlugin(ReceiveRoutePlugin):
    """Documents the problem responses on every API operation; a handler's own
    ``responses`` entries win."""

    __slots__ = ()

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            return
        for handler in route.route_handlers:
            handler.responses = {**problem_responses(), **(handler.responses or {})}
