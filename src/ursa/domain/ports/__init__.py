"""Ports the domain owns (ARCHITECTURE §3). Each Protocol's docstring states its contract."""

from ursa.domain.ports.cluster import ClusterGateway, CommandResult, RemoteShell
from ursa.domain.ports.pages import Page, WorksetQuery
from ursa.domain.ports.stores import (
    AuditLog,
    CustomerDirectory,
    IdempotencyRecord,
    IdempotencyStore,
    LedgerRepository,
    ObjectFacts,
    ObjectStore,
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
    "IdentityProvider",
    "LedgerRepository",
    "Notifier",
    "ObjectFacts",
    "ObjectStore",
    "Page",
    "QuoteRepository",
    "RandomSource",
    "RemoteShell",
    "ThrottleResult",
    "TokenStore",
    "WorksetQuery",
    "WorksetRepository",
]
