"""validate_bucket against the twin's simulated refusals: each denied operation fails
exactly its own probe, and the probe object never stays behind."""

from __future__ import annotations

import pytest

from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.domain.buckets import Probe
from ursa.domain.services.bucket_validation import validate_bucket

pytestmark = pytest.mark.anyio

BUCKET = "lab-inputs"


def store_denying(*operations: str) -> InMemoryObjectStore:
    store = InMemoryObjectStore()
    store.create_bucket(BUCKET)
    store.seed_object(BUCKET, "runs/S1_R1.fastq.gz", 10)
    store.deny(BUCKET, *operations)
    return store


@pytest.mark.parametrize(
    ("denied", "failing"),
    [("region", Probe.REGION), ("list", Probe.LIST), ("read", Probe.READ), ("write", Probe.WRITE)],
)
async def test_each_refusal_fails_its_own_probe(denied: str, failing: Probe) -> None:
    store = store_denying(denied)
    report = await validate_bucket(store, BUCKET, "runs", "t1")
    assert not report.ok
    assert [f.probe for f in report.failures] == [failing]
    store.deny(BUCKET)
    keys = [f.key for f in (await store.list(BUCKET, "")).items]
    assert keys == ["runs/S1_R1.fastq.gz"]


async def test_a_read_only_check_ignores_write_refusals_and_lifting_restores_access() -> None:
    store = store_denying("write")
    assert (await validate_bucket(store, BUCKET, "runs", "t1", read_only=True)).ok
    store.deny(BUCKET)
    assert (await validate_bucket(store, BUCKET, "runs", "t2")).ok
    with pytest.raises(ValueError, match="unknown"):
        store.deny(BUCKET, "delete")
