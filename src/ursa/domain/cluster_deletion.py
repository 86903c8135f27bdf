"""Two-step cluster deletion: a plan that says what will be removed and a short-lived
confirmation token bound to it, then a delete that re-checks everything.

The token is ``v1.<expires>.<digest>.<mac>``: ``expires`` in Unix seconds, ``digest`` the
first 32 hex digits of the plan digest (the cluster's identity: name, region, status, head
node, file system, static), and ``mac`` an HMAC-SHA256 (base64url, unpadded) over the
version, region, name, principal, digest and expiry under a key the caller supplies. So a
token confirms one plan of one cluster for one person until it expires; it cannot be
stretched, moved to another cluster or handed to someone else. A cluster that changed since
the plan (another head node, another file system, another status) no longer matches the
digest: plan again. Pure: no clock, no key material of its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ursa.domain.audit import snapshot_digest
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.errors import Conflict, InvalidInput
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.worksets import Workset

TOKEN_VERSION = "v1"  # noqa: S105  (a format version, not a secret)
CONFIRMATION_TTL = timedelta(minutes=5)
TOKEN_FIELD = "confirmation_token"  # noqa: S105  (the name of an input, not a secret)
"""The input the token arrives in (the API reads it from ``X-Confirmation-Token``)."""
MIN_KEY_BYTES = 32
DIGEST_CHARS = 32
_TOKEN = re.compile(
    r"v1\.(?P<expires>[0-9]{1,12})\.(?P<digest>[0-9a-f]{32})\.(?P<mac>[A-Za-z0-9_-]{43})"
)
_PURPOSE = "ursa-cluster-delete"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionTarget:
    """What a deletion removes. ``compute_nodes`` comes from the latest node snapshot (None
    without one); ``fsx_id`` is None when the control plane does not know it."""

    name: str
    region: str
    status: ClusterStatus
    head_node: HeadNodeRef | None
    compute_nodes: int | None
    fsx_id: str | None
    static: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockingWorkset:
    """A workset running on the cluster: while any exists the cluster is not deleted."""

    workset_id: str
    name: str
    customer_id: str
    state: WorksetState
    progress_step: ProgressStep | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionPlan:
    target: DeletionTarget
    blocking: tuple[BlockingWorkset, ...]
    digest: str
    token: str
    expires_at: datetime

    @property
    def clear(self) -> bool:
        """Nothing blocks the deletion now (no workset runs there, not already deleting)."""
        return not self.blocking and self.target.status is not ClusterStatus.DELETING


def plan_digest(info: ClusterInfo) -> str:
    """The identity of what a deletion removes. Node counts and tags are left out: they move
    without the cluster becoming another one."""
    head = info.head_node
    return snapshot_digest(
        {
            "name": info.name,
            "region": info.region,
            "status": info.status,
            "head_node": None if head is None else [head.host, head.port, head.instance_id],
            "fsx_id": info.fsx_id,
            "static": info.static,
        }
    )[:DIGEST_CHARS]


def running_on(ws: Workset, region: str, name: str) -> bool:
    """The workset is in progress with its run on this cluster (a run that names no region
    counts: better refuse a deletion than cut a run off)."""
    run = ws.run
    return (
        ws.state is WorksetState.IN_PROGRESS
        and run is not None
        and run.cluster_name == name
        and run.region in (region, None)
    )


def blocking_worksets(
    worksets: Iterable[Workset], region: str, name: str
) -> tuple[BlockingWorkset, ...]:
    """The worksets in progress on the cluster, by id."""
    found = [
        BlockingWorkset(
            workset_id=ws.workset_id,
            name=ws.name,
            customer_id=ws.customer_id,
            state=ws.state,
            progress_step=ws.progress_step,
        )
        for ws in worksets
        if running_on(ws, region, name)
    ]
    return tuple(sorted(found, key=lambda b: b.workset_id))


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the confirmation key needs at least {MIN_KEY_BYTES} bytes")


def _mac(
    key: bytes, *, region: str, name: str, principal_id: str, digest: str, expires: int
) -> str:
    message = json.dumps(
        [_PURPOSE, TOKEN_VERSION, region, name, principal_id, digest, expires],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def issue_token(
    key: bytes, *, region: str, name: str, principal_id: str, digest: str, expires_at: datetime
) -> str:
    """A confirmation of the plan ``digest`` for ``principal_id``, good until ``expires_at``
    (aware; whole seconds, rounded down)."""
    _check_key(key)
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if len(digest) != DIGEST_CHARS:
        raise ValueError(f"a plan digest has {DIGEST_CHARS} hex digits")
    expires = int(expires_at.timestamp())
    mac = _mac(
        key, region=region, name=name, principal_id=principal_id, digest=digest, expires=expires
    )
    return f"{TOKEN_VERSION}.{expires}.{digest}.{mac}"


def _invalid(code: str, message: str) -> InvalidInput:
    return InvalidInput.single(TOKEN_FIELD, code, message)


def read_token(
    token: str | None,
    key: bytes,
    *,
    region: str,
    name: str,
    principal_id: str,
    now: datetime,
) -> str:
    """The plan digest a token confirms. ``InvalidInput`` (on ``confirmation_token``) for a
    missing or malformed token and for one not issued for this cluster and this principal;
    ``Conflict`` ``CONFIRMATION_EXPIRED`` once it has expired."""
    _check_key(key)
    if not token:
        raise _invalid(
            "REQUIRED", "deleting a cluster needs the confirmation token of a delete plan"
        )
    found = _TOKEN.fullmatch(token)
    if found is None:
        raise _invalid("MALFORMED", "this is not a confirmation token; ask for a delete plan")
    expires, digest = int(found["expires"]), found["digest"]
    expected = _mac(
        key, region=region, name=name, principal_id=principal_id, digest=digest, expires=expires
    )
    if not hmac.compare_digest(expected, found["mac"]):
        raise _invalid(
            "NOT_YOURS",
            "this confirmation token was not issued to you for this cluster; ask for a new "
            "delete plan",
        )
    if now >= datetime.fromtimestamp(expires, UTC):
        raise Conflict(
            "the confirmation token has expired; ask for a new delete plan",
            code="CONFIRMATION_EXPIRED",
        )
    return digest


def check_deletable(
    info: ClusterInfo, confirmed_digest: str, blocking: tuple[BlockingWorkset, ...]
) -> None:
    """``Conflict`` when the cluster is no longer the one the plan showed
    (``CONFIRMATION_STALE``), is already being deleted (``CLUSTER_DELETING``) or runs
    worksets (``CLUSTER_IN_USE``, naming them)."""
    if not hmac.compare_digest(plan_digest(info), confirmed_digest):
        raise Conflict(
            f"cluster {info.name} changed since the delete plan (status now "
            f"{info.status.value}); review a new plan",
            code="CONFIRMATION_STALE",
        )
    if info.status is ClusterStatus.DELETING:
        raise Conflict(f"cluster {info.name} is already being deleted", code="CLUSTER_DELETING")
    if blocking:
        ids = ", ".join(b.workset_id for b in blocking[:10])
        more = f" and {len(blocking) - 10} more" if len(blocking) > 10 else ""
        raise Conflict(
            f"cluster {info.name} runs {len(blocking)} workset(s) ({ids}{more}); wait for "
            "them to finish or cancel them, then delete",
            code="CLUSTER_IN_USE",
        )
