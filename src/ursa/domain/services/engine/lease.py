"""The holder's view of one leased workset. Every holder write goes through ``apply`` under
one lock, so the heartbeat and the step never race each other's version; a write that
finds the item changed by someone else (a cancel request, an admin) re-reads it and
re-applies, unless the lease token moved, which means the lease is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from ursa.domain import runs
from ursa.domain.errors import LeaseLost, StaleVersion
from ursa.domain.ports import Clock, WorksetRepository
from ursa.domain.services.context import Ports, commit
from ursa.domain.worksets import Transition, Workset

_RETRIES = 5


class LeaseHandle:
    def __init__(
        self,
        ports: Ports,
        ws: Workset,
        *,
        lease: timedelta = runs.LEASE_DURATION,
        self_fence_after: timedelta = runs.SELF_FENCE_AFTER,
    ) -> None:
        self._lease = lease
        self._self_fence_after = self_fence_after
        self._worksets: WorksetRepository = ports.worksets
        self._ports = ports
        self._clock: Clock = ports.clock
        self._lock = asyncio.Lock()
        self.ws = ws
        self.token = ws.lease_token
        self.last_write_at: datetime = self._clock.now()

    @property
    def workset_id(self) -> str:
        return self.ws.workset_id

    def ensure_live(self) -> None:
        """Self-fencing (§6.1): no side effects after 270 s without a successful write."""
        if self._clock.now() - self.last_write_at > self._self_fence_after:
            raise LeaseLost(f"no heartbeat for {self.workset_id} since {self.last_write_at}")

    async def refresh(self) -> Workset:
        async with self._lock:
            return await self._reload()

    async def _reload(self) -> Workset:
        fresh = await self._worksets.get(self.workset_id)
        if fresh.lease_token != self.token:
            raise LeaseLost(f"{self.workset_id}: lease token moved to {fresh.lease_token}")
        self.ws = fresh
        return fresh

    async def apply(self, change: Callable[[Workset], Workset]) -> Workset:
        """A fenced non-history write (run record, progress, heartbeat)."""
        async with self._lock:
            for _ in range(_RETRIES):
                new = change(self.ws)
                try:
                    await self._worksets.save_workset(new, expected_version=self.ws.version)
                except StaleVersion:
                    await self._reload()
                    continue
                self.ws = new
                self.last_write_at = self._clock.now()
                return new
            raise LeaseLost(f"{self.workset_id}: kept changing under the holder")

    async def transition(self, change: Callable[[Workset], Transition]) -> Workset:
        """A fenced transition (advance, complete, fail, cancel_confirmed), with history."""
        async with self._lock:
            for _ in range(_RETRIES):
                transition = change(self.ws)
                try:
                    await commit(self._ports, transition)
                except StaleVersion:
                    await self._reload()
                    continue
                self.ws = transition.workset
                self.last_write_at = self._clock.now()
                return transition.workset
            raise LeaseLost(f"{self.workset_id}: kept changing under the holder")

    async def heartbeat(self) -> Workset:
        return await self.apply(
            lambda ws: runs.heartbeat(
                ws, token=self.token, now=self._clock.now(), lease=self._lease
            )
        )
