"""Idempotency keys (§6.6): fingerprint, begin, replay or conflict."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from ursa.domain.errors import IdempotencyConflict
from ursa.domain.ports import IdempotencyRecord
from ursa.domain.services.context import Ports
from ursa.domain.validation import validate_idempotency_key

RECORD_TTL = timedelta(hours=24)
TAKEOVER_AFTER = timedelta(seconds=60)


def _canonical(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, frozenset | set) else items
    return value


def fingerprint(body: Mapping[str, object]) -> str:
    """sha256 of canonical JSON: sorted keys, NFC strings, Decimals as strings."""
    text = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def begin(ports: Ports, *, scope: str, key: str, print_: str) -> str | None:
    """None: proceed (the record is ours). A workset id: replay that result."""
    validate_idempotency_key(key)
    now = ports.clock.now()
    record = IdempotencyRecord(
        scope=scope,
        key=key,
        fingerprint=print_,
        status="in_progress",
        created_at=now,
        expires_at=now + RECORD_TTL,
    )
    existing = await ports.idempotency.begin(record)
    if existing is None:
        return None
    if existing.fingerprint != print_:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different request body"
        )
    if existing.status == "done" and existing.result_id:
        return existing.result_id
    if now - existing.created_at > TAKEOVER_AFTER:
        # The first attempt crashed mid-way; the create is conditional, so retrying is safe.
        await ports.idempotency.abandon(scope, key)
        await ports.idempotency.begin(record)
        return None
    raise IdempotencyConflict(
        "the first request with this key is still in progress", in_progress=True
    )
