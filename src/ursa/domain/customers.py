"""Customers (tenants), users and API tokens (§1). Users are separate from customers."""

from __future__ import annotations

import hashlib
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
    """Validated input buckets (§4.5); full linked-bucket records arrive with the API."""
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
