"""The one place domain errors become HTTP: problem+json (RFC 9457) for the API, a toast
or an inline error page for the portal. Nothing internal (stack traces, class names) leaks."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from ursa.app.api import bucket_schemas
from ursa.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
    Unavailable,
    UrsaError,
)
from ursa.domain.linked_buckets import BucketNotUsable

log = logging.getLogger("ursa.errors")
PROBLEM = "application/problem+json"

STATUS: tuple[tuple[type[UrsaError], int, str], ...] = (
    (InvalidInput, 422, "The request is not valid"),
    (Unauthenticated, 401, "Authentication required"),
    (NotFound, 404, "Not found"),
    (Forbidden, 403, "Forbidden"),
    (QuotaExceeded, 409, "Quota exceeded"),
    (Conflict, 409, "Conflict"),
    (PreconditionFailed, 412, "Precondition failed"),
    (Unavailable, 503, "Service unavailable"),
    (RateLimited, 429, "Too many requests"),
)


def status_of(error: UrsaError) -> tuple[int, str]:
    for cls, status, title in STATUS:
        if isinstance(error, cls):
            return status, title
    return 500, "Internal error"


def problem_body(
    status: int, title: str, detail: str, code: str, request: Request[Any, Any, Any], **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://ursa.example/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _portal_error(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
) -> Response[Any]:
    htmx = request.headers.get("hx-request") == "true"
    if htmx and status == 401:
        # An expired session: send the whole page to sign-in rather than toasting into it.
        return Response(content=None, status_code=200, headers={"HX-Redirect": "/sign-in"})
    if htmx:
        # A toast swapped out-of-band; reswap none keeps the page as it was.
        return Template(
            template_name="components/_toast.html",
            status_code=status,
            context={"level": "error", "title": title, "message": detail},
            headers={"HX-Reswap": "none"},
        )
    if status == 401:
        return Response(content=None, status_code=303, headers={"Location": "/sign-in"})
    return Template(
        template_name="error.html",
        status_code=status,
        context={"status": status, "title": title, "message": detail},
    )


def handle_ursa_error(request: Request[Any, Any, Any], exc: UrsaError) -> Response[Any]:
    status, title = status_of(exc)
    if not _is_api(request):
        return _portal_error(request, status, title, exc.message)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [
            {"field": i.field, "row": i.row, "code": i.code, "message": i.message}
            for i in exc.issues
        ]
    if isinstance(exc, BucketNotUsable):
        extra["validation"] = bucket_schemas.refusal(exc)
    if isinstance(exc, IdempotencyConflict) and exc.in_progress:
        headers["Retry-After"] = "2"
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="ursa"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(exc.retry_after_s, 1))
    return Response(
        content=problem_body(status, title, exc.message, exc.code, request, **extra),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    title = "The request is not valid" if isinstance(exc, ValidationException) else exc.detail
    detail = exc.detail
    if not _is_api(request):
        if isinstance(exc, NotAuthorizedException):
            return _portal_error(request, 401, "Sign in required", "Please sign in.")
        return _portal_error(request, status, title or "Error", detail)
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        extra["errors"] = [
            {"field": e.get("key", ""), "message": e.get("message", "")}
            for e in exc.extra
            if isinstance(e, dict)
        ]
    code = f"HTTP_{status}"
    if isinstance(exc, ValidationException):
        # Malformed bodies and parameters use the domain's status and code (§0: 422).
        status, code = 422, "VALIDATION_ERROR"
    return Response(
        content=problem_body(status, title or "Error", detail, code, request, **extra),
        status_code=status,
        media_type=PROBLEM,
        headers=exc.headers or {},
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path)
    detail = "Something went wrong on our side; it has been logged."
    if not _is_api(request):
        return _portal_error(request, 500, "Internal error", detail)
    return Response(
        content=problem_body(500, "Internal error", detail, "INTERNAL", request),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=PROBLEM,
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    UrsaError: handle_ursa_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS"]
