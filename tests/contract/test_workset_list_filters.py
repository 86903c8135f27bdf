"""Workset list filters, beyond the table of cases in test_workset_repository.py: a cursor
keeps its position when the filters change, and DynamoDB keeps pages filled within a bounded
number of Queries (a page cut short by that budget still leads to the rest)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from aws_support import REGION, reset_moto
from builders import ACME, NOW, USER_ACTOR, make_workset
from store_world import Stores
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.calls import CallLog, CountingClient
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.dynamodb.worksets import MAX_LIST_READS, DynamoWorksetRepository
from ursa.domain.creation import created
from ursa.domain.ports import WorksetQuery, WorksetRepository
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio
TABLE = "ursa-list-budget"


def _fleet(count: int = 8) -> list[Workset]:
    """Newest first: ``w0`` an hour younger than ``w1``; owners alternate u-a / u-b."""
    return [
        make_workset(
            workset_id=f"w{i}-{i:08x}",
            name="needle" if i >= count - 2 else f"hay {i}",
            customer_id=ACME,
            owner_user_id="u-a" if i % 2 == 0 else "u-b",
            created_at=NOW - timedelta(hours=i),
        )
        for i in range(count)
    ]


async def _store(repo: WorksetRepository, fleet: list[Workset]) -> None:
    for ws in fleet:
        await repo.create(created(ws, event="submit", actor=USER_ACTOR, now=ws.created_at), [])


def _ids(items: tuple[Workset, ...]) -> list[int]:
    return [int(w.workset_id.split("-")[0][1:]) for w in items]


async def test_a_cursor_keeps_its_position_when_the_filters_change(stores: Stores) -> None:
    await _store(stores.worksets, _fleet())
    first = await stores.worksets.list(WorksetQuery(owner_user_id="u-a", limit=2))
    assert _ids(first.items) == [0, 2] and first.next_cursor
    after = WorksetQuery(cursor=first.next_cursor, limit=10)

    async def rest(
        owner_user_id: str,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> list[int]:
        query = replace(
            after,
            owner_user_id=owner_user_id,
            created_after=created_after,
            created_before=created_before,
        )
        return _ids((await stores.worksets.list(query)).items)

    assert await rest(owner_user_id="u-a") == [4, 6]
    assert await rest(owner_user_id="u-b") == [3, 5, 7]  # another owner's partition
    assert await rest(owner_user_id="u-a", created_before=NOW - timedelta(hours=4)) == [6]
    assert await rest(owner_user_id="u-b", created_before=NOW - timedelta(hours=6)) == [7]
    assert await rest(owner_user_id="u-a", created_after=NOW - timedelta(hours=1)) == []
    assert await rest(owner_user_id="u-b", created_after=NOW - timedelta(hours=5)) == [3, 5]


async def test_an_empty_created_range_reads_nothing(stores: Stores) -> None:
    await _store(stores.worksets, _fleet(3))
    if stores.calls is not None:
        stores.calls.reset()
    page = await stores.worksets.list(
        WorksetQuery(created_after=NOW, created_before=NOW - timedelta(hours=1))
    )
    assert page.items == () and page.next_cursor is None
    assert stores.calls is None or stores.calls.ops["query"] == 0


async def test_a_selective_filter_still_fills_the_page(stores: Stores) -> None:
    await _store(stores.worksets, _fleet())
    if stores.calls is not None:
        stores.calls.reset()
    page = await stores.worksets.list(WorksetQuery(names=("needle",), limit=5))
    assert _ids(page.items) == [6, 7] and page.next_cursor is None
    assert stores.calls is None or 1 < stores.calls.ops["query"] <= MAX_LIST_READS


@pytest.fixture
async def budget_of_two(
    moto_endpoint: str,
) -> AsyncIterator[tuple[DynamoWorksetRepository, CallLog]]:
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=moto_endpoint), stack)
        client = await clients.client("dynamodb")
        await ensure_table(client, TABLE)
        counting = CountingClient(client)
        try:
            yield (
                DynamoWorksetRepository(counting, TABLE, b"budget", max_list_reads=2),
                counting.log,
            )
        finally:
            reset_moto(moto_endpoint)


async def test_dynamodb_cuts_a_page_short_at_the_read_budget_and_resumes(
    budget_of_two: tuple[DynamoWorksetRepository, CallLog],
) -> None:
    repo, log = budget_of_two
    await _store(repo, _fleet(12))
    query = WorksetQuery(names=("needle",), limit=1)
    pages: list[list[int]] = []
    cursor = None
    for _ in range(10):
        log.reset()
        page = await repo.list(replace(query, cursor=cursor))
        assert log.ops["query"] <= 2
        pages.append(_ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    # Reads of 2 then 8 rows find no needle: an empty page that still carries a cursor.
    assert pages == [[], [10], [11]]
