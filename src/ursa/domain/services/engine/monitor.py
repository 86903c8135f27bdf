"""The engine loop (``ursa monitor``; embedded in ``ursa dev``): take over expired leases,
claim due worksets in scheduling order within the admission limits, and drive each claimed
workset in its own task with its own heartbeat. Any number of replicas may run: every
claim, takeover and holder write is a conditional write, and the loser simply moves on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from ursa.domain import commands, runs
from ursa.domain.errors import Conflict, LeaseLost, NotFound, UrsaError
from ursa.domain.ports.cluster import ClusterStatus
from ursa.domain.principals import ENGINE, RECONCILER, SWEEPER
from ursa.domain.reconcile import ReconcileAction
from ursa.domain.scheduling import AdmissionSnapshot, Admit, Candidate, admit, order_candidates
from ursa.domain.services.cluster_health import snapshot_due, take_snapshot
from ursa.domain.services.context import commit
from ursa.domain.services.engine.deps import EngineDeps
from ursa.domain.services.engine.driver import RunDriver, mirror
from ursa.domain.services.engine.lease import LeaseHandle
from ursa.domain.services.sentinels import reconcile_folder
from ursa.domain.slurm import ClusterSnapshot
from ursa.domain.validation import parse_s3_uri
from ursa.domain.worksets import Transition, Workset

log = logging.getLogger("ursa.engine")
CHECK_SNAPSHOTS = timedelta(minutes=1)
RECONCILE_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorStatus:
    owner: str
    running: tuple[str, ...]
    draining: bool


class Monitor:
    def __init__(self, deps: EngineDeps) -> None:
        self.deps = deps
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()
        self._snapshots_checked: datetime | None = None
        self._reconciled: datetime | None = None

    def status(self) -> MonitorStatus:
        return MonitorStatus(
            owner=self.deps.config.owner,
            running=tuple(sorted(self._tasks)),
            draining=self._stopping.is_set(),
        )

    async def run_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    await self.tick()
                except UrsaError as exc:
                    log.warning("engine tick failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.deps.config.claim_interval_s)
        finally:
            await self.drain()

    def stop(self) -> None:
        """Graceful shutdown: no new claims; each task finishes its current step and hands
        its lease over (``release_lease``), so another replica resumes at once."""
        self._stopping.set()

    async def drain(self, timeout_s: float = 120.0) -> None:
        self._stopping.set()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)

    async def tick(self) -> None:
        await self._take_over()
        await self._claim()
        await self._snapshot_clusters()
        await self._reconcile()

    async def _reconcile(self) -> None:
        """§5.4 on the worksets the engine is about to run or is running: repair divergent
        sentinels, accept a foreign ``daylily.ignore`` as T22, flag the rest in the log.
        (Folders of idle worksets are left to a full sweep, which this is not.)"""
        now = self.deps.ports.clock.now()
        if self._reconciled and now - self._reconciled < RECONCILE_EVERY:
            return
        self._reconciled = now
        ports = self.deps.ports
        worksets = [*await ports.worksets.due_for_claim(now), *await ports.worksets.leased()]
        for ws in worksets:
            outcome = await reconcile_folder(
                ports.objects, ws.bucket, ws.prefix, ws, now, writer=self.deps.config.owner
            )
            action = outcome.decision.action
            if action is ReconcileAction.APPLY_IGNORE:
                reason = "daylily.ignore written outside Ursa"
                await self._commit(commands.ignore(ws, actor=RECONCILER, now=now, reason=reason))
            elif action is not ReconcileAction.IN_SYNC:
                log.warning("sentinels of %s: %s", ws.workset_id, action.value)

    async def _snapshot_clusters(self) -> None:
        """A node snapshot per ready cluster every ``snapshot_every_s`` (20 min by default),
        looked at at most once a minute; any replica may take it, the store keeps the newest."""
        store, now = self.deps.snapshots, self.deps.ports.clock.now()
        if store is None or (
            self._snapshots_checked and now - self._snapshots_checked < CHECK_SNAPSHOTS
        ):
            return
        self._snapshots_checked = now
        every = timedelta(seconds=self.deps.config.snapshot_every_s)
        clusters = self.deps.clusters
        for region in clusters.regions():
            for cluster in await clusters.list_clusters(region):
                if cluster.status is not ClusterStatus.READY or cluster.head_node is None:
                    continue
                try:
                    last: ClusterSnapshot | None = await store.latest(cluster.name)
                except NotFound:
                    last = None
                if snapshot_due(last, now, every):
                    await take_snapshot(
                        self.deps.shell,
                        store,
                        cluster_name=cluster.name,
                        region=region,
                        node=cluster.head_node,
                        now=now,
                        timeout_s=self.deps.config.command_timeout_s,
                    )

    # --- claiming ------------------------------------------------------------------------

    async def _claim(self) -> None:
        free = self.deps.config.max_concurrent - len(self._tasks)
        if free <= 0 or self._stopping.is_set():
            return
        ports, now = self.deps.ports, self.deps.ports.clock.now()
        due = {ws.workset_id: ws for ws in await ports.worksets.due_for_claim(now, limit=50)}
        if not due:
            return
        running = Counter(ws.customer_id for ws in await ports.worksets.leased(limit=1000))
        candidates = [
            Candidate(
                workset_id=ws.workset_id,
                customer_id=ws.customer_id,
                priority=ws.priority,
                ready_since=ws.ready_since or ws.updated_at,
                state=ws.state,
            )
            for ws in due.values()
        ]
        for candidate in order_candidates(candidates, running, now):
            if free <= 0:
                return
            snapshot = AdmissionSnapshot(
                global_running=sum(running.values()),
                customer_running=running,
                customer_limits={},
            )
            if not isinstance(admit(candidate, snapshot, self.deps.config.limits), Admit):
                continue
            claimed = await self._claim_one(due[candidate.workset_id])
            if claimed is not None:
                running[claimed.customer_id] += 1
                free -= 1
                self._start(claimed)

    async def _claim_one(self, ws: Workset) -> Workset | None:
        now = self.deps.ports.clock.now()
        changed = await self._changed_input(ws)
        if changed is not None:
            await self._commit(
                commands.park(
                    ws,
                    actor=ENGINE,
                    now=now,
                    code="INPUT_CHANGED",
                    owner="customer",
                    message=f"{changed} changed since it was validated; resubmit as a clone",
                )
            )
            return None
        config = self.deps.config
        return await self._commit(
            runs.claim(ws, actor=ENGINE, owner=config.owner, now=now, lease=config.lease)
        )

    async def _changed_input(self, ws: Workset) -> str | None:
        """T11 guard (§4.5): a versioned input must still exist at its version; an unversioned
        one must keep its ETag and size."""
        for pin in ws.input_pins:
            if not pin.uri.startswith("s3://"):
                continue
            location = parse_s3_uri(pin.uri)
            facts = await self.deps.ports.objects.head(location.bucket, location.key)
            if facts is None:
                return pin.uri
            if pin.version_id and facts.version_id == pin.version_id:
                continue
            if facts.etag != pin.etag or facts.size != pin.size:
                return pin.uri
        return None

    async def _commit(self, transition: Transition) -> Workset | None:
        """A lost race (someone claimed or changed it first) is not an error."""
        try:
            await commit(self.deps.ports, transition)
        except Conflict as exc:
            log.info(
                "%s of %s lost the race: %s",
                transition.history.event,
                transition.workset.workset_id,
                exc,
            )
            return None
        await mirror(self.deps, transition.workset)
        return transition.workset

    # --- takeover ------------------------------------------------------------------------

    async def _take_over(self) -> None:
        if self._stopping.is_set():
            return
        now = self.deps.ports.clock.now()
        for ws in await self.deps.ports.worksets.leased(limit=1000):
            if ws.workset_id in self._tasks:
                continue
            if len(self._tasks) >= self.deps.config.max_concurrent:
                return
            expiry = ws.lease_expires_at
            if expiry is not None and expiry >= now - self.deps.config.takeover_margin:
                continue
            try:
                transition = runs.takeover(
                    ws,
                    actor=SWEEPER,
                    owner=self.deps.config.owner,
                    seen_token=ws.lease_token,
                    now=now,
                    lease=self.deps.config.lease,
                    margin=self.deps.config.takeover_margin,
                )
            except Conflict as exc:
                log.info("not taking over %s: %s", ws.workset_id, exc)
                continue
            taken = await self._commit(transition)
            if taken is not None:
                log.info("took over %s (token %s)", taken.workset_id, taken.lease_token)
                self._start(taken)

    # --- driving -------------------------------------------------------------------------

    def _start(self, ws: Workset) -> None:
        task = asyncio.create_task(self._drive(ws), name=f"ursa-run-{ws.workset_id}")
        self._tasks[ws.workset_id] = task

    async def _drive(self, ws: Workset) -> None:
        config = self.deps.config
        handle = LeaseHandle(
            self.deps.ports, ws, lease=config.lease, self_fence_after=config.self_fence_after
        )
        driver = RunDriver(self.deps, handle)
        beat = asyncio.create_task(self._beat(handle))
        try:
            while True:
                delay = await driver.step()
                if delay is None:
                    return
                if self._stopping.is_set():
                    await handle.apply(
                        lambda w: runs.release_lease(
                            w, token=handle.token, now=self.deps.ports.clock.now()
                        )
                    )
                    log.info("released %s for another replica", ws.workset_id)
                    return
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), delay)
        except LeaseLost as exc:
            log.warning("lease lost on %s: %s", ws.workset_id, exc)
        except Exception:
            log.exception(
                "driving %s stopped; the lease will expire and be taken over", ws.workset_id
            )
        finally:
            beat.cancel()
            self._tasks.pop(ws.workset_id, None)

    async def _beat(self, handle: LeaseHandle) -> None:
        while True:
            await asyncio.sleep(self.deps.config.heartbeat_s)
            try:
                await handle.heartbeat()
            except LeaseLost as exc:
                log.warning("heartbeat for %s: lease lost (%s)", handle.workset_id, exc)
                return
            except UrsaError as exc:  # self-fencing takes over if this persists (§6.1)
                log.warning("heartbeat for %s failed: %s", handle.workset_id, exc)
