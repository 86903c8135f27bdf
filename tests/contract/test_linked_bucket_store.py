"""LinkedBucketStore contract: the in-memory twin and the DynamoDB adapter (moto server) pass
the same tests, including the race for one bucket name between customers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest

from aws_support import REGION, reset_moto
from builders import ACME, GLOBEX, NOW
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.calls import CountingClient
from ursa.adapters.dynamodb.linked_buckets import DynamoLinkedBucketStore
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.memory.linked_buckets import InMemoryLinkedBucketStore
from ursa.domain.buckets import Probe, ProbeResult
from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.linked_buckets import (
    BucketType,
    LinkedBucket,
    LinkValidation,
    linked_bucket_id,
)
from ursa.domain.ports import LinkedBucketStore

pytestmark = pytest.mark.anyio

TABLE = "ursa-links"


def make_link(
    customer_id: str = ACME, bucket: str = "lab-inputs", **overrides: Any
) -> LinkedBucket:
    link = LinkedBucket(
        bucket_id=linked_bucket_id(customer_id, bucket),
        customer_id=customer_id,
        bucket=bucket,
        region="us-west-2",
        display_name="Lab inputs",
        bucket_type=BucketType.INPUT,
        description="FASTQs",
        prefix="runs/",
        read_only=False,
        validation=LinkValidation(
            at=NOW,
            ok=True,
            region="us-west-2",
            results=(
                ProbeResult(probe=Probe.EXISTS, ok=True),
                ProbeResult(probe=Probe.READ, ok=None),
                ProbeResult(probe=Probe.WRITE, ok=False, remediation="allow s3:PutObject"),
            ),
        ),
        linked_by="u-ca",
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(link, **overrides)


@pytest.fixture(params=["memory", "dynamodb"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[LinkedBucketStore]:
    if request.param == "memory":
        yield InMemoryLinkedBucketStore()
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint), stack)
        client = CountingClient(await clients.client("dynamodb"))
        await ensure_table(client, TABLE)
        try:
            yield DynamoLinkedBucketStore(client, TABLE)
        finally:
            reset_moto(endpoint)
        assert client.log.ops["scan"] == 0, "a request path issued a Scan"


async def test_create_then_read_back_exactly(store: LinkedBucketStore) -> None:
    link = make_link()
    await store.create(link)
    assert await store.get(link.bucket_id) == link
    assert await store.by_bucket("lab-inputs") == link
    assert await store.by_bucket("no-such-bucket") is None
    assert await store.list_for_customer(ACME) == (link,)
    assert await store.list_for_customer(GLOBEX) == ()
    with pytest.raises(NotFound):
        await store.get(linked_bucket_id(GLOBEX, "lab-inputs"))


async def test_lists_are_per_customer_and_ordered_by_bucket(store: LinkedBucketStore) -> None:
    b, a, g = make_link(bucket="zeta-inputs"), make_link(bucket="alpha-inputs"), make_link(GLOBEX)
    for link in (b, a, g):
        await store.create(link)
    assert await store.list_for_customer(ACME) == (a, b)
    assert await store.list_for_customer(GLOBEX) == (g,)
    assert await store.list_all() == (a, g, b)


async def test_a_bucket_links_to_one_customer_only(store: LinkedBucketStore) -> None:
    await store.create(make_link(ACME))
    with pytest.raises(Conflict):
        await store.create(make_link(GLOBEX))
    with pytest.raises(Conflict):  # the same customer again is refused as well
        await store.create(make_link(ACME, display_name="again"))
    assert await store.list_for_customer(GLOBEX) == ()
    with pytest.raises(NotFound):
        await store.get(linked_bucket_id(GLOBEX, "lab-inputs"))
    assert (await store.get(linked_bucket_id(ACME, "lab-inputs"))).display_name == "Lab inputs"


async def test_update_is_conditioned_on_the_version(store: LinkedBucketStore) -> None:
    link = make_link()
    await store.create(link)
    edited = replace(link, display_name="Renamed", read_only=True, version=2)
    await store.update(edited, expected_version=1)
    assert await store.get(link.bucket_id) == edited
    with pytest.raises(StaleVersion):
        await store.update(replace(edited, display_name="Lost", version=2), expected_version=1)
    assert (await store.get(link.bucket_id)).display_name == "Renamed"
    with pytest.raises(InvalidInput):
        await store.update(replace(edited, bucket="other-bucket", version=3), expected_version=2)
    with pytest.raises(NotFound):
        await store.update(make_link(bucket="never-linked"), expected_version=1)
    assert await store.by_bucket("lab-inputs") == edited


async def test_delete_frees_the_bucket_name(store: LinkedBucketStore) -> None:
    link = make_link(ACME)
    await store.create(link)
    await store.delete(link.bucket_id)
    with pytest.raises(NotFound):
        await store.get(link.bucket_id)
    with pytest.raises(NotFound):
        await store.delete(link.bucket_id)
    assert await store.by_bucket("lab-inputs") is None
    assert await store.list_for_customer(ACME) == ()
    other = make_link(GLOBEX)
    await store.create(other)
    assert await store.by_bucket("lab-inputs") == other


CUSTOMERS = tuple(f"lab{n}-{n:08x}" for n in range(6))


@pytest.mark.parametrize("round_", range(5))
async def test_customers_racing_for_one_bucket_exactly_one_wins(
    store: LinkedBucketStore, round_: int
) -> None:
    bucket = f"contested-{round_}"
    contenders = [make_link(c, bucket) for c in CUSTOMERS]
    outcomes = await asyncio.gather(
        *(store.create(link) for link in contenders), return_exceptions=True
    )
    winners = [link for link, result in zip(contenders, outcomes, strict=True) if result is None]
    assert len(winners) == 1, outcomes
    assert all(isinstance(r, Conflict) for r in outcomes if r is not None)
    assert await store.by_bucket(bucket) == winners[0]
    linked = [c for c in CUSTOMERS if await store.list_for_customer(c)]
    assert linked == [winners[0].customer_id]
