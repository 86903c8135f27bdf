"""DynamoDB adapter on the emulator at 1 k and 20 k worksets (ratios and counts, never asserted).

- list page: the operations one page issues and the items they read (ScannedCount); the table
  design promises one Query reading at most page size + 1 items, whatever the table size.
- claims: 8 concurrent claimers committing claims (TransactWriteItems: state, history and
  events together) per second, relative to raw conditional UpdateItems on the same table.
  moto deep-copies the whole table inside every transaction, so against moto this ratio
  falls as the table grows; real DynamoDB has no such cost. Latency against moto is not the
  measure either: moto walks a whole index or partition per Query.
"""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from builders import make_workset  # the tests' builder (make bench puts tests/ on the path)
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.batches import batch_write
from ursa.adapters.dynamodb.calls import CountingClient
from ursa.adapters.dynamodb.items import to_item
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.dynamodb.workset_items import workset_item
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.app.emulator import FAKE_AWS_ENV, emulator_process
from ursa.domain import runs
from ursa.domain.enums import WorksetState
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import ENGINE
from ursa.domain.worksets import Workset

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CUSTOMERS = [f"cust-{i:02d}-{i:08x}" for i in range(20)]
STATES = [WorksetState.READY, WorksetState.ON_HOLD, WorksetState.IN_PROGRESS, WorksetState.CANCELED]
CLAIMERS = 8
PAGE = 25


def _workset(i: int) -> Workset:
    state = STATES[i % len(STATES)]
    ws = make_workset(
        workset_id=f"bench-{i:06d}-{i:08x}",
        name=f"bench {i}",
        customer_id=CUSTOMERS[i % len(CUSTOMERS)],
        owner_user_id=f"u-{i % 50}",
        created_at=NOW - timedelta(minutes=i),
        updated_at=NOW - timedelta(minutes=i),
        state=WorksetState.READY if state is WorksetState.IN_PROGRESS else state,
    )
    if state is WorksetState.IN_PROGRESS:
        return runs.claim(ws, actor=ENGINE, owner="bench/1/00000000", now=NOW).workset
    return ws


async def _load(client: Any, table: str, indices: range | list[int]) -> None:
    items = [to_item(workset_item(_workset(i))) for i in indices]
    for chunk in range(0, len(items), 500):
        await asyncio.gather(
            *(
                batch_write(client, table, puts=items[j : j + 25])
                for j in range(chunk, min(chunk + 500, len(items)), 25)
            )
        )


async def _list_page(repo: DynamoWorksetRepository, log: Any, query: WorksetQuery) -> str:
    log.reset()
    page = await repo.list(query)
    ops = ", ".join(f"{n} {op}" for op, n in sorted(log.ops.items()))
    return f"{ops}; {len(page.items)} items; ScannedCount {log.scanned}"


async def _rate(jobs: list[Any]) -> float:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLAIMERS)))
    return len(jobs) / (time.perf_counter() - start)


async def _claims_vs_raw(
    repo: DynamoWorksetRepository, client: Any, table: str, ready: list[int], count: int
) -> str:
    claim_ids, raw_ids = ready[:count], ready[count : 2 * count]
    snapshots = [await repo.get(_workset(i).workset_id) for i in claim_ids]

    def claim(ws: Workset) -> Any:
        return lambda: repo.commit(runs.claim(ws, actor=ENGINE, owner="bench/2/11111111", now=NOW))

    def raw(i: int) -> Any:
        return lambda: client.update_item(
            TableName=table,
            Key={"pk": {"S": f"WS#{_workset(i).workset_id}"}, "sk": {"S": "META"}},
            UpdateExpression="SET #v = #v + :one",
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":v": {"N": "1"}, ":one": {"N": "1"}},
        )

    raw_rate = await _rate([raw(i) for i in raw_ids])
    claim_rate = await _rate([claim(ws) for ws in snapshots])
    return (
        f"{claim_rate:,.0f} claims/s vs {raw_rate:,.0f} raw conditional updates/s "
        f"(ratio {claim_rate / raw_rate:.2f}, {count} each, {CLAIMERS} concurrent)"
    )


async def _bench(endpoint: str) -> None:
    table = "ursa-bench"
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region="us-east-1", endpoint_url=endpoint), stack)
        client = CountingClient(await clients.client("dynamodb"))
        await ensure_table(client, table)
        repo = DynamoWorksetRepository(client, table, b"bench")
        await _isolated_claims(clients)
        loaded = 0
        for size, claims in ((1_000, 60), (20_000, 0)):
            started = time.perf_counter()
            await _load(client, table, range(loaded, size))
            loaded = size
            print(
                f"dynamodb at {size:,} worksets (loaded in {time.perf_counter() - started:.0f} s):"
            )
            queries = {
                "customer page": WorksetQuery(customer_id=CUSTOMERS[4], limit=PAGE),
                "customer+state page": WorksetQuery(
                    customer_id=CUSTOMERS[4], states=frozenset({WorksetState.READY}), limit=PAGE
                ),
                "owner page": WorksetQuery(owner_user_id="u-7", limit=PAGE),
                "provider admin page": WorksetQuery(limit=PAGE),
            }
            for label, query in queries.items():
                print(f"  {label:<20} {await _list_page(repo, client.log, query)}")
            if not claims:
                print("  claims: not measured (each moto transaction copies the whole table)")
                continue
            ready = [i for i in range(size) if i % len(STATES) == 0][-2 * claims :]
            print(f"  claims: {await _claims_vs_raw(repo, client, table, ready, claims)}")


async def _isolated_claims(clients: AwsClients) -> None:
    """The adapter's own cost: a table holding only the worksets being claimed."""
    table = "ursa-bench-claims"
    client = await clients.client("dynamodb")
    await ensure_table(client, table)
    ready = [i for i in range(960) if i % len(STATES) == 0]
    await _load(client, table, ready)
    repo = DynamoWorksetRepository(client, table, b"bench")
    line = await _claims_vs_raw(repo, client, table, ready, 120)
    print(f"dynamodb claims on a table of only the {len(ready)} worksets claimed: {line}")
    await client.delete_table(TableName=table)


def dynamodb_bench() -> None:
    os.environ.update(FAKE_AWS_ENV)
    with emulator_process() as endpoint:
        asyncio.run(_bench(endpoint))
