"""API tokens: create (the secret shown once), list, revoke, usage, and counting each use.

Only the sha256 of a secret is stored (``auth.issue_token``); authentication stays one keyed
read by that hash. Another user's token is visible only to whoever may administer that user
(``account_rules``), and answers 404 to everyone else."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

from ursa.domain import account_rules as rules
from ursa.domain.audit import PROVIDER_TENANT, AuditAction
from ursa.domain.customers import ApiToken, TokenUsage, User
from ursa.domain.errors import Conflict, Forbidden, NotFound
from ursa.domain.principals import Principal, Role, Scope
from ursa.domain.services import audit
from ursa.domain.services.auth import issue_token
from ursa.domain.services.context import Ports
from ursa.domain.validation import validate_workset_name


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRequest:
    name: str
    scopes: frozenset[Scope]
    role: Role | None = None
    """Default: the caller's role."""
    expires_in_days: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenView:
    """A token as listed: never the secret or its hash."""

    token: ApiToken
    state: str
    last_used_at: datetime | None


async def _caller(ports: Ports, principal: Principal) -> User:
    try:
        return await ports.directory.get_user(principal.user_id)
    except NotFound:
        raise Forbidden("API tokens belong to users of the directory") from None


async def create_token(
    ports: Ports, principal: Principal, request: TokenRequest
) -> tuple[str, ApiToken]:
    """The secret is returned here once; afterwards only its hash exists."""
    role = request.role or principal.role
    rules.check_token_grant(principal, role, request.scopes)
    name = validate_workset_name(request.name)
    now = ports.clock.now()
    expires_at = rules.token_expiry(
        now, expires_in_days=request.expires_in_days, expires_at=request.expires_at
    )
    user = await _caller(ports, principal)
    active = [t for t in await ports.tokens.for_user(user.user_id) if t.usable(now)]
    if len(active) >= rules.MAX_ACTIVE_TOKENS:
        raise Conflict(
            f"you have {len(active)} active tokens, the most allowed; revoke one first",
            code="TOKEN_LIMIT",
        )
    return await issue_token(
        ports,
        user,
        name=name,
        scopes=request.scopes,
        role=role,
        expires_at=expires_at,
        actor=principal,
    )


async def _owner_visible(ports: Ports, principal: Principal, user_id: str) -> User:
    try:
        owner = await ports.directory.get_user(user_id)
    except NotFound:
        raise NotFound(rules.NOT_FOUND_TOKEN) from None
    rules.check_token_owner(principal, owner)
    return owner


async def load_token(ports: Ports, principal: Principal, token_id: str) -> ApiToken:
    """A token the caller may manage: their own, or one of a user they administer."""
    token = await ports.tokens.by_id(token_id)
    await _owner_visible(ports, principal, token.user_id)
    return token


async def list_tokens(
    ports: Ports, principal: Principal, user_id: str | None = None
) -> tuple[TokenView, ...]:
    """The caller's tokens, or (admins) those of a user they administer; newest first."""
    rules.require_scope(principal, Scope.READ)
    owner_id = user_id or principal.user_id
    if owner_id != principal.user_id:
        try:
            await _owner_visible(ports, principal, owner_id)
        except NotFound:
            raise NotFound(rules.NOT_FOUND_USER) from None
    tokens = sorted(
        await ports.tokens.for_user(owner_id),
        key=lambda t: (t.created_at, t.token_id),
        reverse=True,
    )
    usages = await asyncio.gather(*(ports.tokens.usage(t.token_id) for t in tokens))
    now = ports.clock.now()
    return tuple(
        TokenView(token=t, state=rules.token_state(t, now), last_used_at=u.last_used_at)
        for t, u in zip(tokens, usages, strict=True)
    )


async def _view(ports: Ports, token: ApiToken) -> TokenView:
    usage = await ports.tokens.usage(token.token_id)
    state = rules.token_state(token, ports.clock.now())
    return TokenView(token=token, state=state, last_used_at=usage.last_used_at)


async def revoke_token(ports: Ports, principal: Principal, token_id: str) -> TokenView:
    """Idempotent: revoking a revoked token changes nothing and is not audited again."""
    token = await load_token(ports, principal, token_id)
    rules.require_scope(principal, Scope.WRITE)
    if token.revoked_at is not None:
        return await _view(ports, token)
    revoked = replace(token, revoked_at=ports.clock.now())
    await ports.tokens.put(revoked)
    await audit.record(
        ports,
        actor=principal,
        customer_id=token.customer_id or PROVIDER_TENANT,
        action=AuditAction.TOKEN_REVOKE,
        target=f"token:{token.token_id}",
        before={"revoked_at": None},
        after={"revoked_at": revoked.revoked_at},
    )
    return await _view(ports, revoked)


async def token_usage(ports: Ports, principal: Principal, token_id: str) -> TokenUsage:
    token = await load_token(ports, principal, token_id)
    rules.require_scope(principal, Scope.READ)
    return await ports.tokens.usage(token.token_id)


async def record_use(ports: Ports, principal: Principal, endpoint: str) -> None:
    """Count one call by a token-authenticated principal (others are not counted)."""
    if principal.token_id is not None:
        await ports.tokens.record_use(principal.token_id, endpoint, ports.clock.now())
