"""Batched writes with bounded retries of unprocessed items."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ursa.adapters.dynamodb.items import Item
from ursa.domain.errors import Unavailable

BATCH = 25
MAX_ROUNDS = 8


async def batch_write(
    client: Any, table: str, *, puts: Sequence[Item] = (), deletes: Sequence[Item] = ()
) -> None:
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": i}} for i in puts]
    requests += [{"DeleteRequest": {"Key": k}} for k in deletes]
    for start in range(0, len(requests), BATCH):
        pending = requests[start : start + BATCH]
        for round_ in range(MAX_ROUNDS):
            response = await client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
            await asyncio.sleep(min(2.0, 0.05 * 2**round_))
        else:
            raise Unavailable("the store is throttling writes; try again")
