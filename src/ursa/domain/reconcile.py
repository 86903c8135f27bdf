"""The reconciler's decisions (§5.4): what a folder's sentinels mean against the item, as a
pure function of the facts a sweep gathered (``services.sentinels`` gathers and repairs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ursa.domain.enums import WorksetState
from ursa.domain.sentinels import (
    RECOVERED_UNCERTAIN,
    Sentinel,
    SentinelView,
    derive_from_sentinels,
    desired_sentinels,
)


class ReconcileAction(StrEnum):
    IN_SYNC = "in_sync"
    APPLY_IGNORE = "apply_ignore"
    """T22 ``ignore`` by ``system:reconciler``: the only intent accepted from S3."""
    FLAG_IGNORE_ON_RUNNING = "flag_ignore_on_running"
    FLAG_MANUAL_RESTART = "flag_manual_restart"
    ALARM_FOREIGN_WRITER = "alarm_foreign_writer"
    """A legacy monitor writes to Ursa's prefixes; the folder is repaired as well."""
    IMPORT_LEGACY = "import_legacy"
    RECOVER_ITEM = "recover_item"
    REPORT_ORPHAN = "report_orphan"
    ALARM_FOLDER_MISSING = "alarm_folder_missing"
    REPAIR = "repair"
    """Divergence: S3 is repaired to the desired set (``sentinel.divergence``)."""


IGNORABLE_STATES = frozenset(
    {
        WorksetState.AWAITING_APPROVAL,
        WorksetState.READY,
        WorksetState.ON_HOLD,
        WorksetState.RETRYING,
        WorksetState.ERROR,
        WorksetState.FAILED,
    }
)
FOREIGN_ALARM = frozenset({Sentinel.COMPLETE, Sentinel.ERROR, Sentinel.IN_PROGRESS})
_RECOVERED: Mapping[SentinelView, WorksetState] = {
    SentinelView.IGNORE: WorksetState.IGNORED,
    SentinelView.COMPLETE: WorksetState.COMPLETE,
    SentinelView.ERROR: WorksetState.ERROR,
    SentinelView.READY: WorksetState.READY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemFacts:
    """The DynamoDB side of one folder."""

    state: WorksetState
    pre_archive_state: WorksetState | None = None
    purged: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderFacts:
    """The S3 side: sentinels at the folder top, which of them are foreign, and the folder."""

    found: frozenset[Sentinel] = frozenset()
    foreign: frozenset[Sentinel] = frozenset()
    has_objects: bool = False
    has_ursa_info: bool = False
    legacy_intake: bool = False
    ignore_owner: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileDecision:
    action: ReconcileAction
    expected: frozenset[Sentinel] = frozenset()
    found: frozenset[Sentinel] = frozenset()
    to_put: frozenset[Sentinel] = frozenset()
    to_delete: frozenset[Sentinel] = frozenset()
    recovered_state: WorksetState | None = None
    recovered_code: str | None = None
    reason: str = ""

    @property
    def repairs(self) -> bool:
        return bool(self.to_put or self.to_delete)


def _recover(found: frozenset[Sentinel]) -> ReconcileDecision:
    view = derive_from_sentinels(found)
    state = _RECOVERED.get(view)
    return ReconcileDecision(
        action=ReconcileAction.RECOVER_ITEM,
        found=found,
        recovered_state=state or WorksetState.ERROR,
        # No lease can be trusted, so in_progress/lock (and nothing at all) become error.
        recovered_code=None if state else RECOVERED_UNCERTAIN,
        reason=f"folder says {view.value}",
    )


def _without_item(folder: FolderFacts) -> ReconcileDecision:
    found = folder.found
    if Sentinel.READY in found and folder.legacy_intake:
        return ReconcileDecision(action=ReconcileAction.IMPORT_LEGACY, found=found)
    if folder.has_ursa_info:
        return _recover(found)
    if found:
        return ReconcileDecision(
            action=ReconcileAction.REPORT_ORPHAN, found=found, reason="sentinels without an item"
        )
    return ReconcileDecision(action=ReconcileAction.IN_SYNC)


def decide_reconcile(item: ItemFacts | None, folder: FolderFacts) -> ReconcileDecision:
    """The first matching row of §5.4 wins. DynamoDB is never changed to match S3: the only
    state change is APPLY_IGNORE (a command the caller runs), and repairs touch S3 only."""
    if item is None:
        return _without_item(folder)
    found, foreign = folder.found, folder.foreign & folder.found
    expected = frozenset() if item.purged else desired_sentinels(item.state, item.pre_archive_state)

    def decided(action: ReconcileAction, reason: str = "", fix: bool = False) -> ReconcileDecision:
        return ReconcileDecision(
            action=action,
            expected=expected,
            found=found,
            to_put=expected - found if fix else frozenset(),
            to_delete=found - expected if fix else frozenset(),
            reason=reason,
        )

    if Sentinel.IGNORE in foreign and item.state in IGNORABLE_STATES:
        owner = folder.ignore_owner or "a writer other than Ursa"
        return decided(ReconcileAction.APPLY_IGNORE, f"sentinel written by {owner}")
    if Sentinel.IGNORE in foreign and item.state is WorksetState.IN_PROGRESS:
        return decided(ReconcileAction.FLAG_IGNORE_ON_RUNNING, "a file never stops running work")
    if Sentinel.READY in foreign and item.state in (WorksetState.ERROR, WorksetState.FAILED):
        return decided(ReconcileAction.FLAG_MANUAL_RESTART, "legacy-style manual restart")
    if foreign & FOREIGN_ALARM:
        names = ", ".join(sorted(s.filename for s in foreign & FOREIGN_ALARM))
        return decided(ReconcileAction.ALARM_FOREIGN_WRITER, f"foreign {names}", fix=True)
    if not (folder.has_objects or found):
        if item.state is WorksetState.DELETED and item.purged:
            return decided(ReconcileAction.IN_SYNC, "purged")
        return decided(ReconcileAction.ALARM_FOLDER_MISSING, "the workset folder is missing")
    if expected != found:
        return decided(ReconcileAction.REPAIR, "sentinels differ from the desired set", fix=True)
    return decided(ReconcileAction.IN_SYNC)
