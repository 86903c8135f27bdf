"""Litestar dependencies: the container's ports and the calling principal."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler

from ursa.app.container import Container
from ursa.app.rate_limits import AUTH, category_of, client_address, spend
from ursa.domain.customers import TOKEN_PREFIX
from ursa.domain.errors import Unauthenticated, UrsaError
from ursa.domain.ports.cluster import CommandLogStore
from ursa.domain.principals import Principal
from ursa.domain.services.auth import authenticate_token, principal_for_user
from ursa.domain.services.context import Ports
from ursa.domain.services.tokens import record_use
from ursa.web.controllers.common import SESSION_USER

log = logging.getLogger("ursa.tokens")
PRINCIPAL_STATE = "ursa_principal"


def container_of(state: State) -> Container:
    container = state.container
    assert isinstance(container, Container)
    return container


async def provide_ports(state: State) -> Ports:
    return container_of(state).ports


@dataclass(frozen=True, slots=True)
class EngineViews:
    """What the operations endpoints read. A dataclass, because Litestar validates an
    injected value against its annotation and a bare Protocol cannot be checked."""

    command_log: CommandLogStore


async def provide_engine_views(state: State) -> EngineViews:
    return EngineViews(command_log=container_of(state).command_log)


def bearer_of(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value
    return request.headers.get("x-api-key") or None


async def authenticate_api(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The API router's guard. Guards run before Litestar parses parameters and bodies, so
    an anonymous caller gets 401 whatever else is wrong with the request. Authenticates,
    then spends the principal's budget for this kind of request; a failed authentication
    spends the client address's ``auth`` budget instead (guessing tokens)."""
    if not isinstance(connection, Request):  # the API has HTTP routes only
        raise Unauthenticated("the API speaks HTTP")
    request, container = connection, container_of(connection.app.state)
    try:
        principal = await _authenticate(request, container)
    except Unauthenticated:
        await spend(container.throttle, request, AUTH, client_address(request))
        raise
    category = category_of(request.method, request.url.path)
    await spend(container.throttle, request, category, principal.user_id)
    await _record_token_use(request, container, principal)
    request.scope.setdefault("state", {})[PRINCIPAL_STATE] = _in_request(principal, request)


async def provide_api_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal ``authenticate_api`` established for this request."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    if not isinstance(principal, Principal):  # a route outside the guarded router
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return principal


TOKEN_USE_TIMEOUT_S = 0.5
"""Counting a token's use may delay a request this long at most; then it is given up."""


async def _record_token_use(
    request: Request[Any, Any, Any], container: Container, principal: Principal
) -> None:
    """One awaited write per token-authenticated call (method + route template); a slow or
    failing store is logged, never the caller's problem."""
    if principal.token_id is None:
        return
    path = request.scope.get("path_template") or request.url.path
    endpoint = f"{request.method} {path}"
    try:
        async with asyncio.timeout(TOKEN_USE_TIMEOUT_S):
            await record_use(container.ports, principal, endpoint)
    except (TimeoutError, UrsaError) as exc:
        log.warning("token use not recorded: %s (%s)", principal.token_id, type(exc).__name__)


async def _authenticate(
    request: ASGIConnection[Any, Any, Any, Any], container: Container
) -> Principal:
    bearer = bearer_of(request)
    if bearer is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    if container.identity is not None and not bearer.startswith(TOKEN_PREFIX):
        return await container.identity.verify(bearer)  # a Cognito ID or access token
    return await authenticate_token(container.ports, bearer)


async def provide_portal_principal(request: Request[Any, Any, Any], state: State) -> Principal:
    user_id = request.session.get(SESSION_USER) if request.session else None
    if not isinstance(user_id, str):
        raise Unauthenticated("please sign in")
    principal = await principal_for_user(container_of(state).ports, user_id)
    return _in_request(principal, request)


def _in_request(principal: Principal, request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal of this request carries its id, which audit records then name."""
    request_id = request.scope.get("state", {}).get("request_id")
    return replace(principal, request_id=request_id if isinstance(request_id, str) else None)
