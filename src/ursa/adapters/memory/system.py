"""In-memory system ports: fixed or real clock, seeded ids and randomness, notifier."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ursa.domain.events import DomainEvent


class FixedClock:
    """A clock tests can move; ``make run`` uses the system clock instead."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware UTC datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SeededIds:
    """Deterministic ids for tests and seed data."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)  # noqa: S311  (reproducible ids for tests and seeds)

    def hex8(self) -> str:
        return f"{self._rng.getrandbits(32):08x}"

    def secret(self) -> str:
        return self._rng.getrandbits(256).to_bytes(32, "big").hex()


class SecureIds:
    def hex8(self) -> str:
        return secrets.token_hex(4)

    def secret(self) -> str:
        return secrets.token_urlsafe(32)


class SystemRandomSource:
    """Unseeded, so replicas do not share one jitter sequence (their retries would align)."""

    def __init__(self) -> None:
        self._rng = random.SystemRandom()

    def random(self) -> float:
        return self._rng.random()


class SeededRandom:
    def __init__(self, seed: int = 11) -> None:
        self._rng = random.Random(seed)  # noqa: S311  (retry jitter, not a secret)

    def random(self) -> float:
        return self._rng.random()


class RecordingNotifier:
    """Keeps every published event, deduplicated by ``event_id`` like a real consumer."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self._seen: set[str] = set()

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            if event.event_id not in self._seen:
                self._seen.add(event.event_id)
                self.events.append(event)
