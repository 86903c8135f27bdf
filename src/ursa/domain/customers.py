"""Customers (tenants), users and API tokens (§1). Users are separate from customers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ursa.domain.creation import ApprovalPolicy
from ursa.domain.principals import ROLE_RANK, ActorKind, Principal, Role, Scope

TOKEN_PREFIX = "urs_"  # noqa: S105  (a prefix, not a secret)


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    customer_id: str
    name: str
    bucket: str
    bucket_region: str = "us-west-2"
    linked_buckets: tuple[str, ...] = ()
    """The buckets submit may read inputs from (§4.5), kept in step with the customer's
    linked buckets (``services/linked_buckets.sync_inputs``): validated ``input``/``both``
    links. Bucket names only; the records live in the ``LinkedBucketStore``."""
    billing_account: str = ""
    cost_center: str = ""
    max_concurrent_worksets: int = 5
    max_storage_gb: int = 10_000
    credit_limit: Decimal | None = None
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    created_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    user_id: str
    email: str
    display_name: str
    role: Role
    customer_id: str | None
    disabled: bool = False
    created_at: datetime

    def principal(self) -> Principal:
        return Principal(
            user_id=self.user_id, email=self.email, role=self.role, customer_id=self.customer_id
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiToken:
    """Stored by the hash of its secret, so lookup is one key read (defect 8)."""

    token_id: str
    token_hash: str
    name: str
    user_id: str
    customer_id: str | None
    role: Role
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_principal(token: ApiToken, user: User) -> Principal:
    """A token carries a role no higher than its creator's; scopes narrow, never widen."""
    role = token.role if ROLE_RANK[token.role] <= ROLE_RANK[user.role] else user.role
    return Principal(
        user_id=user.user_id,
        email=user.email,
        role=role,
        customer_id=user.customer_id,
        kind=ActorKind.API_TOKEN,
        scopes=token.scopes,
        token_id=token.token_id,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointUse:
    """How often one token called one endpoint (``"GET /api/v1/worksets/{workset_id}"``)."""

    endpoint: str
    count: int
    last_used_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenUsage:
    """A token's use, per endpoint (most used first); ``last_used_at`` is the newest use."""

    token_id: str
    endpoints: tuple[EndpointUse, ...] = ()

    @property
    def total(self) -> int:
        return sum(e.count for e in self.endpoints)

    @property
    def last_used_at(self) -> datetime | None:
        return max((e.last_used_at for e in self.endpoints), default=None)


def usage_of(token_id: str, endpoints: Iterable[EndpointUse]) -> TokenUsage:
    """Endpoints ordered most used first, then by name, so every store answers alike."""
    ordered = sorted(endpoints, key=lambda e: (-e.count, e.endpoint))
    return TokenUsage(token_id=token_id, endpoints=tuple(ordered))
