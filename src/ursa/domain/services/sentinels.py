"""Sentinel mirror and reconciler (§5.3, §5.4): fetch through the ObjectStore port, decide with
``domain.sentinels``, apply to S3 only. DynamoDB is never written here: the caller records
``mirrored_version``, runs T22 for APPLY_IGNORE and emits the events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ursa.domain.ports import ObjectFacts, ObjectStore
from ursa.domain.ports.objects import MAX_LIST_LIMIT
from ursa.domain.reconcile import (
    FolderFacts,
    ItemFacts,
    ReconcileAction,
    ReconcileDecision,
    decide_reconcile,
)
from ursa.domain.sentinels import (
    INFO_FILE,
    MIRROR_WRITER,
    PRECEDENCE,
    SENTINEL_PREFIX,
    Sentinel,
    SentinelView,
    derive_from_sentinels,
    desired_sentinels,
    folder_prefix,
    is_foreign,
    sentinel_body,
    sentinel_key,
    sentinel_of_key,
    writer_metadata,
)
from ursa.domain.worksets import Workset

REPAIRING = frozenset({ReconcileAction.REPAIR, ReconcileAction.ALARM_FOREIGN_WRITER})


@dataclass(frozen=True, slots=True, kw_only=True)
class MirrorResult:
    put: frozenset[Sentinel] = frozenset()
    deleted: frozenset[Sentinel] = frozenset()

    @property
    def changed(self) -> bool:
        return bool(self.put or self.deleted)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileOutcome:
    decision: ReconcileDecision
    repair: MirrorResult = MirrorResult()


async def read_sentinels(
    objects: ObjectStore, bucket: str, prefix: str
) -> Mapping[Sentinel, ObjectFacts]:
    """One listing of ``<folder>daylily.``; only exact keys at the folder top count (the
    earlier Ursa matched sentinel names anywhere below the folder)."""
    folder = folder_prefix(prefix)
    page = await objects.list(bucket, folder + SENTINEL_PREFIX, limit=MAX_LIST_LIMIT)
    found: dict[Sentinel, ObjectFacts] = {}
    for facts in page.items:
        name = sentinel_of_key(folder, facts.key)
        if name is not None:
            found[name] = facts
    return found


async def sentinel_view(objects: ObjectStore, bucket: str, prefix: str) -> SentinelView:
    return derive_from_sentinels(await read_sentinels(objects, bucket, prefix))


def _ordered(names: frozenset[Sentinel]) -> tuple[Sentinel, ...]:
    return tuple(s for s in PRECEDENCE if s in names)


async def _apply(
    objects: ObjectStore,
    bucket: str,
    prefix: str,
    workset: Workset,
    now: datetime,
    *,
    put: frozenset[Sentinel],
    delete: frozenset[Sentinel],
    writer: str,
    ignore_reason: str | None,
) -> MirrorResult:
    """PUT the missing ones first, then DELETE the extra ones (§5.3 step 2)."""
    for name in _ordered(put):
        body = sentinel_body(name, workset, now, ignore_reason=ignore_reason)
        await objects.put(
            bucket,
            sentinel_key(prefix, name),
            body.encode(),
            metadata=writer_metadata(writer, workset.version),
            content_type="text/plain; charset=utf-8",
        )
    for name in _ordered(delete):
        await objects.delete(bucket, sentinel_key(prefix, name))
    return MirrorResult(put=put, deleted=delete)


async def mirror_sentinels(
    objects: ObjectStore,
    bucket: str,
    prefix: str,
    workset: Workset,
    now: datetime,
    writer: str = MIRROR_WRITER,
    *,
    ignore_reason: str | None = None,
) -> MirrorResult:
    """Make the folder's sentinel set the desired one for the workset's state. Idempotent: a
    second run finds nothing to do. Existing desired sentinels are left as they are."""
    desired = desired_sentinels(workset.state, workset.pre_archive_state)
    found = frozenset(await read_sentinels(objects, bucket, prefix))
    return await _apply(
        objects,
        bucket,
        prefix,
        workset,
        now,
        put=desired - found,
        delete=found - desired,
        writer=writer,
        ignore_reason=ignore_reason,
    )


async def _foreign(
    objects: ObjectStore, bucket: str, found: Mapping[Sentinel, ObjectFacts]
) -> frozenset[Sentinel]:
    """Listings carry no metadata, so each present sentinel (at most six) gets a HEAD."""
    foreign: set[Sentinel] = set()
    for name, listed in found.items():
        facts = await objects.head(bucket, listed.key)
        if facts is not None and is_foreign(facts.metadata):
            foreign.add(name)
    return frozenset(foreign)


async def reconcile_folder(
    objects: ObjectStore,
    bucket: str,
    prefix: str,
    workset: Workset | None,
    now: datetime,
    *,
    writer: str = MIRROR_WRITER,
    legacy_intake: bool = False,
    purged: bool = False,
) -> ReconcileOutcome:
    """Observe one folder, decide by §5.4 and repair S3 when the decision says so."""
    folder = folder_prefix(prefix)
    found = await read_sentinels(objects, bucket, folder)
    has_objects = bool(found) or bool((await objects.list(bucket, folder, limit=1)).items)
    facts = FolderFacts(
        found=frozenset(found),
        foreign=await _foreign(objects, bucket, found),
        has_objects=has_objects,
        has_ursa_info=workset is None
        and await objects.head(bucket, folder + INFO_FILE) is not None,
        legacy_intake=legacy_intake,
    )
    item = (
        None
        if workset is None
        else ItemFacts(
            state=workset.state, pre_archive_state=workset.pre_archive_state, purged=purged
        )
    )
    decision = decide_reconcile(item, facts)
    if workset is None or decision.action not in REPAIRING or not decision.repairs:
        return ReconcileOutcome(decision=decision)
    repair = await _apply(
        objects,
        bucket,
        folder,
        workset,
        now,
        put=decision.to_put,
        delete=decision.to_delete,
        writer=writer,
        ignore_reason=None,
    )
    return ReconcileOutcome(decision=decision, repair=repair)
