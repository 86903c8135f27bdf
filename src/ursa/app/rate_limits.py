"""Shared rate limits on the API (the ``ActionThrottle`` port): a budget per category and
principal, spent once the caller is known, and failed authentications per client address.
Every API response then carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``; a refusal is 429 problem+json with ``Retry-After``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ursa.domain.errors import RateLimited
from ursa.domain.ports import ActionThrottle, ThrottleResult

AUTH, READ, WRITE, ADMIN = "auth", "read", "write", "admin"
STATE_KEY = "rate_limit"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_ADMIN_PREFIXES = ("/api/v1/engine", "/api/v1/clusters")


def category_of(method: str, path: str) -> str:
    """Operations endpoints and command logs are ``admin``; otherwise reads and writes."""
    if path.startswith(_ADMIN_PREFIXES) or path.endswith("/commands"):
        return ADMIN
    return READ if method.upper() in _READS else WRITE


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = request.scope.get("client")
    return str(client[0]) if client else "unknown"


async def spend(
    throttle: ActionThrottle, request: ASGIConnection[Any, Any, Any, Any], category: str, key: str
) -> None:
    result = await throttle.hit(category, key)
    request.scope.setdefault("state", {})[STATE_KEY] = result
    if not result.allowed:
        raise RateLimited(
            f"too many {category} requests; retry in {result.reset_after_s} s",
            retry_after_s=result.reset_after_s,
            limit=result.limit,
        )


class RateLimitHeadersMiddleware(ASGIMiddleware):
    """Copies the budget spent by the request (if any) into the response headers."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_budget(message: Message) -> None:
            result = scope.get("state", {}).get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(result, ThrottleResult):
                headers = MutableScopeHeaders.from_message(message)
                headers["RateLimit-Limit"] = str(result.limit)
                headers["RateLimit-Remaining"] = str(result.remaining)
                headers["RateLimit-Reset"] = str(result.reset_after_s)
            await send(message)

        await next_app(scope, receive, send_with_budget)
