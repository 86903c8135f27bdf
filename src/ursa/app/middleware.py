"""X-Request-ID on every response: echoed when the client sent a sane one, else generated.

The id is also :data:`ursa.app.logs.REQUEST_ID` for the request's duration, so every log line
the request causes carries it, and each HTTP request ends with one access line on
``ursa.access`` (method, path without the query string, status, duration_ms).

Litestar applies app-level middleware per route, so responses its router makes itself (404 for
an unknown path, 405) bypass it; wrapping the whole app covers those too, and the per-route
instance then steps aside::

    app.asgi_handler = RequestIdMiddleware()(app.asgi_handler)
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ursa.app.logs import REQUEST_ID

_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HANDLED = "_ursa_request_id_handled"
access_log = logging.getLogger("ursa.access")


class RequestIdMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        if state.get(_HANDLED):  # an outer instance (the whole app wrapped) has it in hand
            await next_app(scope, receive, send)
            return
        state[_HANDLED] = True
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = incoming if _SANE.match(incoming) else secrets.token_hex(8)
        state["request_id"] = request_id
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            await next_app(scope, receive, send_with_id)
        finally:
            if scope["type"] == ScopeType.HTTP:
                _log_access(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)


def _log_access(scope: Scope, status: int | None, elapsed_s: float) -> None:
    method = scope.get("method", "")
    path = scope.get("path", "")
    # No response started: the exception escaped the app and the server answers 500.
    shown = status if status is not None else 500
    duration_ms = round(elapsed_s * 1000, 2)
    access_log.info(
        "%s %s %s %.1fms",
        method,
        path,
        shown,
        duration_ms,
        extra={"method": method, "path": path, "status": shown, "duration_ms": duration_ms},
    )
