"""System ports: time, ids, randomness, identity, notifications, throttling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ursa.domain.events import DomainEvent
from ursa.domain.principals import Principal


class Clock(Protocol):
    """Timezone-aware UTC now."""

    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    """``hex8`` gives 8 lowercase hex digits; ``secret`` a url-safe secret of ≥32 bytes."""

    def hex8(self) -> str: ...
    def secret(self) -> str: ...


class RandomSource(Protocol):
    """A float in [0, 1)."""

    def random(self) -> float: ...


class IdentityProvider(Protocol):
    """Turns a bearer credential into a Principal; raises ``Unauthenticated``."""

    async def verify(self, bearer: str) -> Principal: ...


class Notifier(Protocol):
    """Publishes domain events at least once; consumers deduplicate by ``event_id``."""

    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleResult:
    allowed: bool
    limit: int
    remaining: int
    reset_after_s: int


class ActionThrottle(Protocol):
    """N actions per window per (category, key), shared across processes in production."""

    async def hit(self, category: str, key: str) -> ThrottleResult: ...
    async def reachable(self) -> bool:
        """Whether the shared budget store answers (readiness; never raises)."""
        ...
