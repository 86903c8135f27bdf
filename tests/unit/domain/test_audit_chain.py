"""The audit hash chain: canonical digests, chaining, and detection of every kind of tampering."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import ACME, GLOBEX, NOW
from ursa.domain.audit import (
    GENESIS_HASH,
    AuditDraft,
    AuditRecord,
    chain,
    record_hash,
    snapshot_digest,
    verify_chain,
)


def _draft(n: int, customer_id: str = ACME) -> AuditDraft:
    return AuditDraft(
        customer_id=customer_id,
        at=NOW + timedelta(minutes=n),
        actor_id="u-cu",
        action="workset.cancel",
        target=f"workset:ws-{n}",
        request_id=f"req-{n}" if n % 2 else None,
        before_digest=snapshot_digest({"state": "ready", "version": n}),
        after_digest=snapshot_digest({"state": "canceled", "version": n + 1}),
    )


def _chain(n: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for i in range(1, n + 1):
        records.append(chain(records[-1] if records else None, _draft(i)))
    return records


def _rehash(record: AuditRecord, **changes: object) -> AuditRecord:
    """What a forger who knows the algorithm does: change fields and recompute the hash."""
    changed = replace(record, **changes)  # type: ignore[arg-type]
    return replace(changed, hash=record_hash(changed))


# -- chain ----------------------------------------------------------------------------------


def test_the_first_record_links_to_genesis_and_the_rest_to_their_predecessor() -> None:
    one, two, three = _chain(3)
    assert (one.seq, one.prev_hash) == (1, GENESIS_HASH)
    assert (two.seq, two.prev_hash) == (2, one.hash)
    assert (three.seq, three.prev_hash) == (3, two.hash)
    assert all(len(r.hash) == 64 and r.hash == record_hash(r) for r in (one, two, three))
    assert len({one.hash, two.hash, three.hash}) == 3


def test_chain_keeps_the_draft_and_is_deterministic() -> None:
    draft = _draft(1)
    record = chain(None, draft)
    assert {f.name: getattr(record, f.name) for f in fields(draft)} == {
        f.name: getattr(draft, f.name) for f in fields(draft)
    }
    assert chain(None, draft) == record


def test_chain_refuses_to_follow_another_tenants_record() -> None:
    with pytest.raises(ValueError, match="own tenant"):
        chain(chain(None, _draft(1)), _draft(2, customer_id=GLOBEX))


def test_the_hash_covers_every_field_but_itself() -> None:
    record = chain(None, _draft(1))
    for f in fields(record):
        if f.name == "hash":
            continue
        value = getattr(record, f.name)
        if isinstance(value, str):
            other: object = value + "x"
        elif isinstance(value, int):
            other = value + 1
        elif isinstance(value, datetime):
            other = value + timedelta(microseconds=1)
        else:
            other = "x"
        assert record_hash(replace(record, **{f.name: other})) != record.hash, f.name  # type: ignore[arg-type]


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    record = chain(None, _draft(1))
    elsewhere = replace(record, at=record.at.astimezone(timezone(timedelta(hours=2))))
    assert record_hash(elsewhere) == record.hash


# -- verify ---------------------------------------------------------------------------------


def test_an_intact_chain_verifies() -> None:
    records = _chain(5)
    report = verify_chain(records, customer_id=ACME)
    assert report.ok and report.first_bad_seq is None and report.problem == ""
    assert (report.checked, report.head_hash) == (5, records[-1].hash)


def test_an_empty_chain_verifies() -> None:
    report = verify_chain([])
    assert report.ok and report.checked == 0 and report.head_hash == GENESIS_HASH


def test_a_changed_field_is_detected_at_its_record() -> None:
    records = _chain(4)
    records[2] = replace(records[2], action="workset.archive")
    report = verify_chain(records)
    assert not report.ok and report.first_bad_seq == 3 and "changed" in report.problem
    assert (report.checked, report.head_hash) == (2, records[1].hash)


def test_a_removed_record_is_a_seq_gap() -> None:
    records = _chain(4)
    del records[1]
    report = verify_chain(records)
    assert not report.ok and report.first_bad_seq == 2 and "missing" in report.problem


def test_removing_the_first_record_is_detected() -> None:
    report = verify_chain(_chain(3)[1:])
    assert not report.ok and report.first_bad_seq == 1 and "missing" in report.problem


def test_a_removed_record_with_the_rest_renumbered_breaks_the_link() -> None:
    records = _chain(4)
    del records[1]
    forged = [records[0]] + [_rehash(r, seq=r.seq - 1) for r in records[1:]]
    report = verify_chain(forged)
    assert not report.ok and report.first_bad_seq == 2 and "link" in report.problem


def test_reordered_records_are_detected() -> None:
    one, two, three, four = _chain(4)
    report = verify_chain([one, three, two, four])
    assert not report.ok and report.first_bad_seq == 2
    # A forger who swaps the contents of seq 2 and 3 and recomputes both hashes:
    swapped = [one, _rehash(three, seq=2), _rehash(two, seq=3), four]
    report = verify_chain(swapped)
    assert not report.ok and report.first_bad_seq == 2 and "link" in report.problem


def test_an_inserted_record_is_detected() -> None:
    records = _chain(3)
    duplicate_seq = chain(records[0], _draft(9))  # a second seq 2, correctly linked
    report = verify_chain([records[0], duplicate_seq, *records[1:]])
    assert not report.ok and report.first_bad_seq == 3 and "out of order" in report.problem
    # Renumbering everything after it and recomputing their own hashes still breaks a link:
    renumbered = [records[0], duplicate_seq] + [_rehash(r, seq=r.seq + 1) for r in records[1:]]
    report = verify_chain(renumbered)
    assert not report.ok and report.first_bad_seq == 3 and "link" in report.problem


def test_a_record_of_another_tenant_is_detected() -> None:
    theirs = chain(None, _draft(1, customer_id=GLOBEX))
    report = verify_chain([theirs], customer_id=ACME)
    assert not report.ok and report.first_bad_seq == 1 and "tenant" in report.problem
    mine = _chain(1)
    report = verify_chain([*mine, _rehash(theirs, seq=2, prev_hash=mine[0].hash)])
    assert not report.ok and report.first_bad_seq == 2 and "tenant" in report.problem


def test_verification_continues_after_a_page() -> None:
    records = _chain(6)
    first = verify_chain(records[:3])
    rest = verify_chain(records[3:], after=records[2])
    assert first.ok and rest.ok and rest.head_hash == records[-1].hash
    broken = verify_chain(records[4:], after=records[2])
    assert not broken.ok and broken.first_bad_seq == 4


# -- snapshot digests -----------------------------------------------------------------------


class _State(StrEnum):
    READY = "ready"


def test_snapshot_digest_is_canonical() -> None:
    assert snapshot_digest(None) == ""
    assert len(snapshot_digest({})) == 64
    assert snapshot_digest({"a": 1, "b": 2}) == snapshot_digest({"b": 2, "a": 1})
    assert snapshot_digest({"name": "caf\u0065\u0301"}) == snapshot_digest({"name": "caf\u00e9"})
    assert snapshot_digest({"state": _State.READY}) == snapshot_digest({"state": "ready"})
    assert snapshot_digest({"cost": Decimal("1.50")}) == snapshot_digest({"cost": "1.50"})
    assert snapshot_digest({"cost": Decimal("1.50")}) != snapshot_digest({"cost": Decimal("1.5")})
    at = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert snapshot_digest({"at": at}) == snapshot_digest({"at": "2026-11-23T10:00:00+00:00"})
    assert snapshot_digest({"at": at}) == snapshot_digest({"at": at.astimezone(UTC)})
    assert snapshot_digest({"s": frozenset({"b", "a"})}) == snapshot_digest({"s": ["a", "b"]})
    assert snapshot_digest({"t": (1, 2)}) == snapshot_digest({"t": [1, 2]})
    assert snapshot_digest({"v": 1}) != snapshot_digest({"v": "1"})
    assert snapshot_digest({"v": None}) != snapshot_digest({})


def test_snapshot_digest_rejects_what_has_no_canonical_form() -> None:
    with pytest.raises(TypeError):
        snapshot_digest({"x": object()})
    with pytest.raises(TypeError):
        snapshot_digest({"x": {1: "a"}})
    with pytest.raises(ValueError, match="NaN"):
        snapshot_digest({"x": float("nan")})
    with pytest.raises(ValueError, match="normalise"):
        snapshot_digest({"caf\u0065\u0301": 1, "caf\u00e9": 2})


# -- property: any single change anywhere is detected ----------------------------------------

_TEXT = st.text(min_size=0, max_size=12)
_FIELDS = [f.name for f in fields(AuditRecord)]


@st.composite
def _chains(draw: st.DrawFn) -> list[AuditRecord]:
    n = draw(st.integers(min_value=1, max_value=6))
    records: list[AuditRecord] = []
    for i in range(n):
        draft = AuditDraft(
            customer_id=draw(st.text(min_size=1, max_size=12)),
            at=NOW + timedelta(seconds=i, microseconds=draw(st.integers(0, 999_999))),
            actor_id=draw(_TEXT),
            action=draw(_TEXT),
            target=draw(_TEXT),
            request_id=draw(st.none() | _TEXT),
            before_digest=draw(st.sampled_from(["", snapshot_digest({"n": i})])),
            after_digest=draw(st.sampled_from(["", snapshot_digest({"n": i + 1})])),
        )
        if records:
            draft = replace(draft, customer_id=records[0].customer_id)
        records.append(chain(records[-1] if records else None, draft))
    return records


def _changed_text(draw: st.DrawFn, value: str) -> str:
    if not value:
        return draw(st.characters())
    at = draw(st.integers(0, len(value) - 1))
    new = draw(st.characters().filter(lambda c: c != value[at]))
    return value[:at] + new + value[at + 1 :]


@st.composite
def _tampered(draw: st.DrawFn) -> tuple[list[AuditRecord], int]:
    records = draw(_chains())
    index = draw(st.integers(0, len(records) - 1))
    name = draw(st.sampled_from(_FIELDS))
    value = getattr(records[index], name)
    if isinstance(value, str):
        other: object = _changed_text(draw, value)
    elif value is None:
        other = draw(_TEXT)
    elif isinstance(value, int):
        other = value ^ (1 << draw(st.integers(0, 7)))  # one flipped bit
    else:
        assert isinstance(value, datetime)
        delta = draw(st.integers(1, 10**6)) * draw(st.sampled_from([1, -1]))
        other = value + timedelta(microseconds=delta)
    records[index] = replace(records[index], **{name: other})  # type: ignore[arg-type]
    return records, index + 1


@settings(max_examples=300, deadline=None)
@given(_chains())
def test_property_an_untouched_chain_verifies(records: list[AuditRecord]) -> None:
    assert verify_chain(records, customer_id=records[0].customer_id).ok


@settings(max_examples=500, deadline=None)
@given(_tampered())
def test_property_any_single_change_to_any_field_is_detected_where_it_was_made(
    tampered: tuple[list[AuditRecord], int],
) -> None:
    records, seq = tampered
    report = verify_chain(records)
    assert not report.ok and report.first_bad_seq == seq, report
