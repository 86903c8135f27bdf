"""/api/v1/tokens: create (the secret is in the 201 answer, once), list, revoke and usage.
Thin handlers: parse, call one service, return a Struct."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, QueryParameter

from ursa.app.api import tokens_schemas as out
from ursa.domain.principals import Principal
from ursa.domain.services import tokens
from ursa.domain.services.context import Ports

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]
CreateTokenBody = Annotated[
    out.CreateToken, Body(title="The token wanted", examples=out.CREATE_TOKEN_EXAMPLES)
]
UserFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=128, description="Another user's tokens (customer or provider admins)"
    ),
]


class TokenController(Controller):
    path = "/tokens"
    tags = ("tokens",)

    @post(
        "/",
        operation_id="createToken",
        status_code=201,
        summary="Create an API token; the secret is in this answer only (keep it safe)",
    )
    async def create_token(
        self, ports: PortsDep, principal: PrincipalDep, data: CreateTokenBody
    ) -> Response[out.TokenCreated]:
        secret, token = await tokens.create_token(ports, principal, data.domain())
        return Response(
            out.created(secret, token), status_code=201, headers={"Cache-Control": "no-store"}
        )

    @get("/", operation_id="listTokens", summary="Your tokens (or a user's you administer)")
    async def list_tokens(
        self, ports: PortsDep, principal: PrincipalDep, user_id: UserFilter = None
    ) -> list[out.TokenOut]:
        return [out.listed(v) for v in await tokens.list_tokens(ports, principal, user_id)]

    @delete(
        "/{token_id:str}",
        operation_id="revokeToken",
        status_code=200,
        summary="Revoke a token: it is refused (401) from now on; repeating is harmless",
    )
    async def revoke_token(
        self, ports: PortsDep, principal: PrincipalDep, token_id: FromPath[str]
    ) -> out.TokenOut:
        return out.listed(await tokens.revoke_token(ports, principal, token_id))

    @get(
        "/{token_id:str}/usage",
        operation_id="getTokenUsage",
        summary="When a token was last used and how often, per endpoint",
    )
    async def token_usage(
        self, ports: PortsDep, principal: PrincipalDep, token_id: FromPath[str]
    ) -> out.TokenUsageOut:
        return out.usage(await tokens.token_usage(ports, principal, token_id))
