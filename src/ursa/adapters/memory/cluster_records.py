"""In-memory command log and cluster snapshots (the twins of the DynamoDB adapters)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from ursa.domain.command_log import CommandLogEntry
from ursa.domain.errors import NotFound
from ursa.domain.slurm import ClusterSnapshot


class InMemoryCommandLog:
    def __init__(self) -> None:
        self._entries: dict[str, dict[str, CommandLogEntry]] = {}

    async def append(self, entries: Sequence[CommandLogEntry]) -> None:
        for entry in entries:  # the first write of a (workset, seq) wins, like a create-only put
            self._entries.setdefault(entry.workset_id, {}).setdefault(entry.seq, entry)

    async def for_workset(
        self,
        workset_id: str,
        *,
        label: str | None = None,
        text: str | None = None,
        limit: int = 1000,
    ) -> tuple[CommandLogEntry, ...]:
        entries = self._entries.get(workset_id, {})
        in_order = (entries[seq] for seq in sorted(entries))
        matching = (e for e in in_order if e.matches(label=label, text=text))
        return tuple(islice(matching, max(limit, 0)))


class InMemoryClusterSnapshots:
    def __init__(self) -> None:
        self._latest: dict[str, ClusterSnapshot] = {}

    async def put(self, snapshot: ClusterSnapshot) -> None:
        current = self._latest.get(snapshot.cluster_name)
        if current is None or current.generated_at <= snapshot.generated_at:
            self._latest[snapshot.cluster_name] = snapshot  # an older one never replaces it

    async def latest(self, cluster_name: str) -> ClusterSnapshot:
        try:
            return self._latest[cluster_name]
        except KeyError:
            raise NotFound(f"no snapshot of cluster {cluster_name}") from None

    async def all_latest(self) -> tuple[ClusterSnapshot, ...]:
        return tuple(self._latest[name] for name in sorted(self._latest))
