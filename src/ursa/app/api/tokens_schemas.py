"""Bodies of /tokens and the domain → Struct presenters. A token's secret appears once, in
the answer that creates it; neither the secret nor its hash is ever listed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.openapi.spec import Example

from ursa.domain.account_rules import TOKEN_MAX_DAYS
from ursa.domain.customers import ApiToken, TokenUsage
from ursa.domain.principals import Role, Scope
from ursa.domain.services.tokens import TokenRequest, TokenView

TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=80, examples=["ci nightly"])]
Scopes = Annotated[
    list[Scope],
    msgspec.Meta(min_length=1, max_length=3, description="read, write and/or admin"),
]
Days = Annotated[
    int, msgspec.Meta(ge=1, le=TOKEN_MAX_DAYS, description="Lifetime in days (default 90)")
]
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="An exact expiry (UTC)")]


class CreateToken(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: TokenName
    scopes: Scopes
    role: Role | None = None
    """At most your own role (the default)."""
    expires_in_days: Days | None = None
    expires_at: Instant | None = None
    """Give ``expires_in_days`` or ``expires_at``, not both."""

    def domain(self) -> TokenRequest:
        return TokenRequest(
            name=self.name,
            scopes=frozenset(self.scopes),
            role=self.role,
            expires_in_days=self.expires_in_days,
            expires_at=self.expires_at,
        )


CREATE_TOKEN_EXAMPLES = [
    Example(
        summary="A read-only token for 30 days",
        value={"name": "dashboard", "scopes": ["read"], "expires_in_days": 30},
    ),
    Example(
        summary="A CI token that submits worksets",
        value={
            "name": "ci nightly",
            "scopes": ["read", "write"],
            "expires_at": "2027-06-30T00:00:00Z",
        },
    ),
]


class TokenOut(msgspec.Struct, kw_only=True):
    token_id: str
    name: str
    user_id: str
    customer_id: str | None
    role: Role
    scopes: list[Scope]
    state: str
    """active, expired or revoked."""
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut, kw_only=True):
    secret: str
    """Shown only here, once: Ursa keeps only its hash. Send it as ``Authorization: Bearer``."""


class EndpointUseOut(msgspec.Struct, kw_only=True):
    endpoint: str
    """Method and route template, e.g. ``GET /api/v1/worksets/{workset_id}``."""
    count: int
    last_used_at: datetime


class TokenUsageOut(msgspec.Struct, kw_only=True):
    token_id: str
    total: int
    last_used_at: datetime | None
    endpoints: list[EndpointUseOut]
    """Most used first."""


def token(t: ApiToken, *, state: str, last_used_at: datetime | None) -> TokenOut:
    return TokenOut(
        token_id=t.token_id,
        name=t.name,
        user_id=t.user_id,
        customer_id=t.customer_id,
        role=t.role,
        scopes=sorted(t.scopes),
        state=state,
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=last_used_at,
    )


def listed(view: TokenView) -> TokenOut:
    return token(view.token, state=view.state, last_used_at=view.last_used_at)


def created(secret: str, t: ApiToken) -> TokenCreated:
    shown = token(t, state="active", last_used_at=None)
    return TokenCreated(**msgspec.structs.asdict(shown), secret=secret)


def usage(u: TokenUsage) -> TokenUsageOut:
    return TokenUsageOut(
        token_id=u.token_id,
        total=u.total,
        last_used_at=u.last_used_at,
        endpoints=[
            EndpointUseOut(endpoint=e.endpoint, count=e.count, last_used_at=e.last_used_at)
            for e in u.endpoints
        ],
    )
