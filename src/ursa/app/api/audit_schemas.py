"""/api/v1/audit bodies: one record per NDJSON line, and the verification report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from ursa.domain.audit import ChainReport
from ursa.domain.records import AuditRecord

NDJSON = "application/x-ndjson"


class AuditRecordOut(msgspec.Struct, kw_only=True):
    """One link of a tenant's hash chain, as stored (``ursa.domain.audit``)."""

    seq: int
    tenant: str
    time: datetime
    actor: str
    action: str
    target: str
    request_id: str | None
    before_digest: str
    """sha256 of the canonical snapshot before the change ("" when there was none)."""
    after_digest: str
    prev_hash: str
    hash: str


class AuditVerifyOut(msgspec.Struct, kw_only=True):
    tenant: str
    ok: bool
    checked: int
    """Records verified good, oldest first."""
    first_bad_seq: int | None
    """The seq where the chain first breaks (None when ok)."""
    problem: str
    head_hash: str
    """The hash of the last good record: compare it with a copy kept elsewhere."""


def record(r: AuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        seq=r.seq,
        tenant=r.customer_id,
        time=r.at,
        actor=r.actor_id,
        action=r.action,
        target=r.target,
        request_id=r.request_id,
        before_digest=r.before_digest,
        after_digest=r.after_digest,
        prev_hash=r.prev_hash,
        hash=r.hash,
    )


_ENCODER = msgspec.json.Encoder()


def ndjson(records: Iterable[AuditRecord]) -> bytes:
    """One JSON object per line, each line ending in a newline."""
    return b"".join(_ENCODER.encode(record(r)) + b"\n" for r in records)


def report(tenant: str, r: ChainReport) -> AuditVerifyOut:
    return AuditVerifyOut(
        tenant=tenant,
        ok=r.ok,
        checked=r.checked,
        first_bad_seq=r.first_bad_seq,
        problem=r.problem,
        head_hash=r.head_hash,
    )
