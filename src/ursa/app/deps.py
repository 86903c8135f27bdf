"""Litestar dependencies: the container's ports and the calling principal."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from litestar import Request
from litestar.datastructures import State

from ursa.app.container import Container
from ursa.app.rate_limits import AUTH, category_of, client_address, spend
from ursa.domain.customers import TOKEN_PREFIX
from ursa.domain.errors import Unauthenticated
from ursa.domain.ports.cluster import CommandLogStore
from ursa.domain.principals import Principal
from ursa.domain.services.auth import authenticate_token, principal_for_user
from ursa.domain.services.context import Ports
from ursa.web.controllers.common import SESSION_USER


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


def bearer_of(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value
    return request.headers.get("x-api-key") or None


async def provide_api_principal(request: Request[Any, Any, Any], state: State) -> Principal:
    """Authenticate, then spend the principal's budget for this kind of request; a failed
    authentication spends the client address's ``auth`` budget instead (guessing tokens)."""
    container = container_of(state)
    try:
        principal = await _authenticate(request, container)
    except Unauthenticated:
        await spend(container.throttle, request, AUTH, client_address(request))
        raise
    category = category_of(request.method, request.url.path)
    await spend(container.throttle, request, category, principal.user_id)
    return _in_request(principal, request)


async def _authenticate(request: Request[Any, Any, Any], container: Container) -> Principal:
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


def _in_request(principal: Principal, request: Request[Any, Any, Any]) -> Principal:
    """The principal of this request carries its id, which audit records then name."""
    request_id = request.scope.get("state", {}).get("request_id")
    return replace(principal, request_id=request_id if isinstance(request_id, str) else None)
