"""The composition root: ``build_in_memory()`` wires every port to its in-memory twin;
``container_aws.build_aws()`` wires the real adapters."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from joserfc.jwk import RSAKey

from ursa.adapters.dynamodb.calls import CallLog
from ursa.adapters.memory.cluster_records import InMemoryClusterSnapshots, InMemoryCommandLog
from ursa.adapters.memory.directory import InMemoryCustomerDirectory, InMemoryTokenStore
from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.identity_keys import LocalSigningKeys, PasswordHasher, new_signing_key
from ursa.adapters.memory.linked_buckets import InMemoryLinkedBucketStore
from ursa.adapters.memory.manifests import InMemoryManifestStore
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.adapters.memory.records import (
    InMemoryAuditLog,
    InMemoryIdempotencyStore,
    InMemoryLedger,
    InMemoryQuoteRepository,
)
from ursa.adapters.memory.system import (
    RecordingNotifier,
    SecureIds,
    SeededIds,
    SeededRandom,
    SystemClock,
)
from ursa.adapters.memory.worksets import InMemoryWorksetRepository
from ursa.adapters.throttle import LimitsThrottle
from ursa.app.engine_wiring import engine_deps
from ursa.app.settings import Settings
from ursa.domain.ports import ActionThrottle, Clock, IdentityProvider, IdGenerator, PasswordAuth
from ursa.domain.ports.cluster import ClusterSnapshotStore, CommandLogStore
from ursa.domain.services.context import Ports
from ursa.domain.services.engine.deps import EngineDeps


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    settings: Settings
    ports: Ports
    command_log: CommandLogStore
    snapshots: ClusterSnapshotStore
    throttle: ActionThrottle
    """Shared API rate limits (``app/rate_limits.py``)."""
    engine: EngineDeps | None = None
    """The workset engine's adapters when this process runs the engine (``ursa dev``,
    ``ursa monitor``); the lifespan starts its loop."""
    objects: InMemoryObjectStore | None = None
    seeded_tokens: dict[str, str] = field(default_factory=dict)
    """email → API token secret, filled by the demo seed (dev only)."""
    identity: IdentityProvider | None = None
    """Verifies Cognito bearer tokens when a user pool is configured (``build_aws``)."""
    passwords: PasswordAuth | None = None
    """Email + password sign-in for the portal when a Cognito app client is configured
    (``build_aws``); ``build_in_memory`` leaves it None (the dev picker signs in there)."""
    dynamodb_calls: CallLog | None = None
    """Operation counts of the DynamoDB client (``build_aws`` only)."""


@functools.cache
def _local_signing_key() -> RSAKey:
    """One key per process: generating RSA keys is slow and the twin's tokens stay local."""
    return new_signing_key()


def local_identity(settings: Settings, clock: Clock) -> InMemoryIdentity:
    """The identity twin (users, passwords, groups); cheap password hashing in tests."""
    return InMemoryIdentity(
        clock=clock,
        keys=LocalSigningKeys(_local_signing_key()),
        hasher=PasswordHasher(n=2**8) if settings.env == "test" else None,
    )


def build_in_memory(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> Container:
    settings = settings or Settings()
    objects = InMemoryObjectStore(
        region=settings.aws_region,
        presign_base_url=f"http://{settings.host}:{settings.port}/_objects",
    )
    ports = Ports(
        worksets=InMemoryWorksetRepository(cursor_key=settings.session_secret.encode()),
        directory=InMemoryCustomerDirectory(),
        tokens=InMemoryTokenStore(),
        idempotency=InMemoryIdempotencyStore(),
        objects=objects,
        quotes=InMemoryQuoteRepository(),
        ledger=InMemoryLedger(),
        audit=InMemoryAuditLog(),
        linked_buckets=InMemoryLinkedBucketStore(),
        manifests=InMemoryManifestStore(cursor_key=settings.session_secret.encode()),
        notifier=RecordingNotifier(),
        clock=clock or SystemClock(),
        ids=ids or (SeededIds() if settings.env == "test" else SecureIds()),
        random=SeededRandom(),
        identity_admin=local_identity(settings, clock or SystemClock()),
    )
    command_log, snapshots = InMemoryCommandLog(), InMemoryClusterSnapshots()
    engine = (
        engine_deps(ports, command_log, settings.engine, settings.aws_region, snapshots=snapshots)
        if settings.engine.enabled
        else None
    )
    return Container(
        settings=settings,
        ports=ports,
        command_log=command_log,
        snapshots=snapshots,
        throttle=LimitsThrottle(settings.rate_limit_storage, settings.rate_budgets),
        engine=engine,
        objects=objects,
    )
