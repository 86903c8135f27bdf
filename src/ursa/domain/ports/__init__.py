"""Ports the domain owns (ARCHITECTURE §3). Each Protocol's docstring states its contract."""

from ursa.domain.ports.cluster import ClusterGateway, CommandResult, RemoteShell
from ursa.domain.ports.identity import (
    IdentityAdmin,
    NewPasswordRequired,
    PasswordAuth,
    SignInResult,
    Tokens,
)
from ursa.domain.ports.objects import ObjectFacts, ObjectStore
from ursa.domain.ports.pages import Page, WorksetQuery
from ursa.domain.ports.stores import (
    AuditLog,
    CustomerDirectory,
    IdempotencyRecord,
    IdempotencyStore,
    LedgerRepository,
    LinkedBucketStore,
    ManifestStore,
    QuoteRepository,
    TokenStore,
    WorksetRepository,
)
from ursa.domain.ports.system import (
    ActionThrottle,
    Clock,
    IdentityProvider,
    IdGenerator,
    Notifier,
    RandomSource,
    ThrottleResult,
)

__all__ = [
    "ActionThrottle",
    "AuditLog",
    "Clock",
    "ClusterGateway",
    "CommandResult",
    "CustomerDirectory",
    "IdGenerator",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IdentityAdmin",
    "IdentityProvider",
    "LedgerRepository",
    "LinkedBucketStore",
    "ManifestStore",
    "NewPasswordRequired",
    "Notifier",
    "ObjectFacts",
    "ObjectStore",
    "Page",
    "PasswordAuth",
    "QuoteRepository",
    "RandomSource",
    "RemoteShell",
    "SignInResult",
    "ThrottleResult",
    "TokenStore",
    "Tokens",
    "WorksetQuery",
    "WorksetRepository",
]
