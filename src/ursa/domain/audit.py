"""The tamper-evident audit trail: canonical digests, the per-tenant hash chain, verification.

Every tenant's audit records form one chain: record ``n`` carries ``seq = n`` and the ``hash``
of record ``n - 1`` in ``prev_hash`` (64 zeros for seq 1), and its own ``hash`` is the sha256 of
the canonical JSON of all its other fields. ``verify_chain`` recomputes every link, so a changed
field, a removed record (a seq gap) and a reordered or inserted record (a ``prev_hash`` that
does not match) are detected.

What a chain alone cannot show: a cut of the newest records, or a rewrite of every record from
some point onwards by someone who can write the store. Compare ``ChainReport.head_hash`` (or
the store's head) with a copy kept elsewhere to detect those.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum

from ursa.domain.records import AuditRecord

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of every tenant's first record (seq 1)."""

PROVIDER_TENANT = "_provider"
"""The chain of mutations that belong to no customer (e.g. a provider admin's own token).
Customer ids are ``<slug>-<hex8>`` and never start with an underscore."""


class AuditAction(StrEnum):
    WORKSET_SUBMIT = "workset.submit"
    WORKSET_CANCEL = "workset.cancel"
    WORKSET_ARCHIVE = "workset.archive"
    WORKSET_RESTORE = "workset.restore"
    WORKSET_DELETE = "workset.delete"
    WORKSET_HARD_DELETE = "workset.hard_delete"
    WORKSET_UNDELETE = "workset.undelete"
    WORKSET_APPROVE = "workset.approve"
    WORKSET_RETRY = "workset.retry"
    MANIFEST_SAVE = "manifest.save"
    MANIFEST_EDIT = "manifest.edit"
    MANIFEST_DELETE = "manifest.delete"
    TOKEN_ISSUE = "token.issue"  # noqa: S105  (an action name)
    TOKEN_REVOKE = "token.revoke"  # noqa: S105  (an action name)
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    USER_ADD = "user.add"
    USER_ROLE = "user.role"
    USER_PASSWORD = "user.password"  # noqa: S105  (an action name)
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    CLUSTER_DELETE = "cluster.delete"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditDraft:
    """An audit record before it is linked into its tenant's chain."""

    customer_id: str
    at: datetime
    actor_id: str
    action: str
    target: str
    request_id: str | None = None
    before_digest: str = ""
    after_digest: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainReport:
    """``ok`` or where the chain first breaks. ``first_bad_seq`` is the seq the bad position
    should have held; ``checked`` counts records verified good and ``head_hash`` is the hash of
    the last of them (``GENESIS_HASH`` when none), for comparison with an outside copy."""

    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    checked: int = 0
    head_hash: str = GENESIS_HASH


# -- canonical JSON -------------------------------------------------------------------------


def _instant(value: datetime) -> str:
    """Aware datetimes as UTC ISO 8601 (the same instant always reads the same)."""
    return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()


def _plain(value: object, *, nfc: bool) -> object:
    if isinstance(value, Enum):
        return _plain(value.value, nfc=nfc)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value) if nfc else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a snapshot cannot hold NaN or infinity")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"snapshot keys must be strings, not {type(k).__name__}")
            name = unicodedata.normalize("NFC", k) if nfc else k
            if name in out:
                raise ValueError(f"two snapshot keys normalise to {name!r}")
            out[name] = _plain(v, nfc=nfc)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, nfc=nfc) for v in value]
    if isinstance(value, Set):
        return sorted((_plain(v, nfc=nfc) for v in value), key=_dumps)
    raise TypeError(f"cannot put {type(value).__name__} in an audit snapshot")


def _dumps(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def _sha256(value: object) -> str:
    return hashlib.sha256(_dumps(value).encode("ascii")).hexdigest()


def snapshot_digest(snapshot: Mapping[str, object] | None) -> str:
    """The sha256 of a snapshot's canonical JSON; "" for no snapshot.

    Canonical: sorted keys, compact separators, ASCII escapes; strings (keys too) in NFC;
    ``Decimal`` as its string (``1.50`` stays ``"1.50"``); datetimes as ISO 8601, aware ones
    in UTC; dates ISO 8601; enums by value; tuples as lists; sets sorted. Anything else is a
    ``TypeError``, NaN and infinity a ``ValueError``."""
    if snapshot is None:
        return ""
    return _sha256(_plain(snapshot, nfc=True))


def record_hash(record: AuditRecord) -> str:
    """The sha256 of the canonical JSON of every field but ``hash``. Strings are hashed
    exactly as stored (no normalisation: any change to a stored byte changes the hash)."""
    body = {
        f.name: _plain(getattr(record, f.name), nfc=False)
        for f in fields(record)
        if f.name != "hash"
    }
    return _sha256(body)


# -- chain and verify -----------------------------------------------------------------------


def chain(prev: AuditRecord | None, draft: AuditDraft) -> AuditRecord:
    """Link ``draft`` after ``prev`` (its tenant's current head, None for the first record)."""
    if prev is not None and prev.customer_id != draft.customer_id:
        raise ValueError("an audit record can only follow a record of its own tenant")
    unsigned = AuditRecord(
        customer_id=draft.customer_id,
        seq=1 if prev is None else prev.seq + 1,
        at=draft.at,
        actor_id=draft.actor_id,
        action=draft.action,
        target=draft.target,
        request_id=draft.request_id,
        before_digest=draft.before_digest,
        after_digest=draft.after_digest,
        prev_hash=GENESIS_HASH if prev is None else prev.hash,
        hash="",
    )
    return replace(unsigned, hash=record_hash(unsigned))


def _problem(record: AuditRecord, prev: AuditRecord | None, customer_id: str | None) -> str:
    expected = 1 if prev is None else prev.seq + 1
    if record.seq > expected:
        return f"seq {expected} is missing (the next record has seq {record.seq})"
    if record.seq < expected:
        return f"seq {record.seq} comes after seq {expected - 1}: out of order or duplicated"
    if record.prev_hash != (GENESIS_HASH if prev is None else prev.hash):
        return f"seq {expected} does not link to the record before it: inserted or reordered"
    if record.hash != record_hash(record):
        return f"seq {expected} does not match its hash: the record was changed"
    if customer_id is not None and record.customer_id != customer_id:
        return f"seq {expected} belongs to another tenant"
    return ""


def verify_chain(
    records: Iterable[AuditRecord],
    *,
    after: AuditRecord | None = None,
    customer_id: str | None = None,
) -> ChainReport:
    """Verify records given oldest first. ``after`` continues a chain verified earlier (the
    last good record of the previous page); ``customer_id`` also checks every record's tenant
    (otherwise every record must share the tenant of the first one). An empty chain is ok."""
    prev = after
    tenant = customer_id if customer_id is not None else (after.customer_id if after else None)
    checked = 0
    for record in records:
        problem = _problem(record, prev, tenant)
        tenant = record.customer_id if tenant is None else tenant
        if problem:
            expected = 1 if prev is None else prev.seq + 1
            return ChainReport(
                ok=False,
                first_bad_seq=expected,
                problem=problem,
                checked=checked,
                head_hash=GENESIS_HASH if prev is None else prev.hash,
            )
        prev = record
        checked += 1
    return ChainReport(
        ok=True, checked=checked, head_hash=GENESIS_HASH if prev is None else prev.hash
    )


__all__ = [
    "GENESIS_HASH",
    "PROVIDER_TENANT",
    "AuditAction",
    "AuditDraft",
    "AuditRecord",
    "ChainReport",
    "chain",
    "record_hash",
    "snapshot_digest",
    "verify_chain",
]
