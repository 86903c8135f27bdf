"""What every use case receives: the ports and the policy configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from ursa.domain.ports import (
    AuditLog,
    Clock,
    CustomerDirectory,
    IdempotencyStore,
    IdentityAdmin,
    IdGenerator,
    LedgerRepository,
    LinkedBucketStore,
    ManifestStore,
    Notifier,
    ObjectStore,
    QuoteRepository,
    RandomSource,
    TokenStore,
    WorksetRepository,
)
from ursa.domain.retries import RetryPolicy
from ursa.domain.worksets import Transition


@dataclass(frozen=True, slots=True, kw_only=True)
class Policies:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    stage_target: str = "/fsx/staged_sample_data/"
    allowed_local_roots: tuple[str, ...] = ("/fsx/data/", "/fsx/staged_sample_data/")
    max_samples: int = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Ports:
    worksets: WorksetRepository
    directory: CustomerDirectory
    tokens: TokenStore
    idempotency: IdempotencyStore
    objects: ObjectStore
    quotes: QuoteRepository
    ledger: LedgerRepository
    audit: AuditLog
    linked_buckets: LinkedBucketStore
    manifests: ManifestStore
    notifier: Notifier
    clock: Clock
    ids: IdGenerator
    random: RandomSource
    policies: Policies = field(default_factory=Policies)
    identity_admin: IdentityAdmin | None = None
    """User administration in the identity provider; None when none is configured (then
    adding users and setting passwords answer ``Unavailable``)."""


async def commit(ports: Ports, transition: Transition) -> None:
    """Persist a transition, then publish its events (the outbox lives in the adapter)."""
    await ports.worksets.commit(transition)
    await ports.notifier.publish(transition.events)
