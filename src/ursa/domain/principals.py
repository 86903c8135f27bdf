"""Who is acting: roles, actors and the calling principal (§1, §2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER_USER = "customer_user"
    CUSTOMER_ADMIN = "customer_admin"
    PROVIDER_ADMIN = "provider_admin"


ROLE_RANK: dict[Role, int] = {Role.CUSTOMER_USER: 0, Role.CUSTOMER_ADMIN: 1, Role.PROVIDER_ADMIN: 2}


class ActorKind(StrEnum):
    USER = "user"
    API_TOKEN = "api_token"  # noqa: S105  (an actor kind)
    SYSTEM = "system"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who appears in history and events."""

    kind: ActorKind
    id: str
    role: Role | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind=ActorKind.SYSTEM, id=f"system:{name}")


ENGINE = Actor.system("engine")
SWEEPER = Actor.system("sweeper")
RECONCILER = Actor.system("reconciler")
BUDGET = Actor.system("budget")


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """The authenticated caller. ``customer_id`` is None only for provider admins."""

    user_id: str
    email: str
    role: Role
    customer_id: str | None
    kind: ActorKind = ActorKind.USER
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN})
    token_id: str | None = None
    request_id: str | None = None
    """The request this principal acts in (set by the app), so audit records name it."""

    def __post_init__(self) -> None:
        if self.role is not Role.PROVIDER_ADMIN and not self.customer_id:
            raise ValueError("a customer role needs a customer_id")

    @property
    def is_provider_admin(self) -> bool:
        return self.role is Role.PROVIDER_ADMIN

    @property
    def actor(self) -> Actor:
        return Actor(kind=self.kind, id=self.token_id or self.user_id, role=self.role)
