"""Resolve a bearer API token to a Principal: one keyed read by the secret's hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ursa.domain.audit import PROVIDER_TENANT, AuditAction
from ursa.domain.customers import TOKEN_PREFIX, ApiToken, User, hash_token, token_principal
from ursa.domain.errors import NotFound, Unauthenticated
from ursa.domain.principals import Principal, Role, Scope
from ursa.domain.services import audit
from ursa.domain.services.context import Ports

_REJECTED = "the credential is not valid"


async def authenticate_token(ports: Ports, bearer: str) -> Principal:
    """Unknown, revoked, expired and disabled-user tokens all get the same answer."""
    secret = bearer.strip()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 256:
        raise Unauthenticated(_REJECTED)
    try:
        token = await ports.tokens.by_hash(hash_token(secret))
        user = await ports.directory.get_user(token.user_id)
    except NotFound:
        raise Unauthenticated(_REJECTED) from None
    if not token.usable(ports.clock.now()) or user.disabled:
        raise Unauthenticated(_REJECTED)
    return token_principal(token, user)


async def issue_token(
    ports: Ports,
    user: User,
    *,
    name: str,
    scopes: frozenset[Scope] | None = None,
    role: Role | None = None,
    expires_at: datetime | None = None,
    actor: Principal | None = None,
) -> tuple[str, ApiToken]:
    """Create a token; the secret is returned once and only its hash is stored. ``actor``
    (default: the user) is who the audit record names, e.g. the token that asked."""
    secret = f"{TOKEN_PREFIX}{ports.ids.secret()}"
    token = ApiToken(
        token_id=f"tok-{ports.ids.hex8()}",
        token_hash=hash_token(secret),
        name=name,
        user_id=user.user_id,
        customer_id=user.customer_id,
        role=role or user.role,
        scopes=scopes if scopes is not None else frozenset(Scope),
        created_at=ports.clock.now(),
        expires_at=expires_at,
    )
    await ports.tokens.put(token)
    await audit.record(
        ports,
        actor=actor or user.principal(),
        customer_id=user.customer_id or PROVIDER_TENANT,
        action=AuditAction.TOKEN_ISSUE,
        target=f"token:{token.token_id}",
        after={"role": token.role, "scopes": token.scopes, "expires_at": token.expires_at},
    )
    return secret, token


async def principal_for_user(ports: Ports, user_id: str) -> Principal:
    """The portal session stores a user id; disabled users lose access at once."""
    try:
        user = await ports.directory.get_user(user_id)
    except NotFound:
        raise Unauthenticated("the session has ended; sign in again") from None
    if user.disabled:
        raise Unauthenticated("this account is disabled")
    return replace(user.principal())
