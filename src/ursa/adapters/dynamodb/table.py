"""The table: one partition/sort key pair, five overloaded GSIs and a TTL attribute.
``ensure_table`` creates or completes it idempotently (``ursa aws setup``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated

GSIS: tuple[str, ...] = ("gsi1", "gsi2", "gsi3", "gsi4", "gsi5")
"""gsi1 by customer · gsi2 by customer+state / user by email · gsi3 by owner / tokens by user ·
gsi4 every workset, customer and user (provider admin lists) · gsi5 the claim queue (sparse)."""
TTL_ATTRIBUTE = "expires_epoch"


def _gsi(name: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def _attributes(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"AttributeName": a, "AttributeType": "S"} for a in names]


def create_table_request(table: str) -> dict[str, Any]:
    keys = ("pk", "sk", *(f"{g}{k}" for g in GSIS for k in ("pk", "sk")))
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": _attributes(keys),
        "GlobalSecondaryIndexes": [_gsi(g) for g in GSIS],
    }


@dataclass(frozen=True, slots=True)
class SetupReport:
    table: str
    actions: tuple[str, ...]
    dry_run: bool

    def lines(self) -> list[str]:
        verb = "would" if self.dry_run else "did"
        if not self.actions:
            return [f"table {self.table}: up to date, nothing to do"]
        return [f"table {self.table}: {verb} {action}" for action in self.actions]


async def _describe(client: Any, table: str) -> dict[str, Any] | None:
    try:
        response = await client.describe_table(TableName=table)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    description: dict[str, Any] = response["Table"]
    return description


async def _wait_active(client: Any, table: str, timeout_s: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        described = await _describe(client, table)
        indexes = (described or {}).get("GlobalSecondaryIndexes", [])
        if (
            described
            and described.get("TableStatus") == "ACTIVE"
            and all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes)
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"table {table} did not become ACTIVE in {timeout_s:.0f} s")
        await asyncio.sleep(1.0)


async def ensure_table(client: Any, table: str, *, dry_run: bool = False) -> SetupReport:
    """Create the table, add missing GSIs and enable TTL; a second run does nothing."""
    actions: list[str] = []
    with translated(f"set up table {table}"):
        described = await _describe(client, table)
        if described is None:
            actions.append(f"create table with indexes {', '.join(GSIS)}")
            if not dry_run:
                await client.create_table(**create_table_request(table))
                await _wait_active(client, table)
        else:
            present = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
            for name in GSIS:
                if name in present:
                    continue
                actions.append(f"add index {name}")
                if not dry_run:
                    await client.update_table(
                        TableName=table,
                        AttributeDefinitions=_attributes((f"{name}pk", f"{name}sk")),
                        GlobalSecondaryIndexUpdates=[{"Create": _gsi(name)}],
                    )
                    await _wait_active(client, table)
        ttl_on = False
        if described is not None or not dry_run:
            ttl = await client.describe_time_to_live(TableName=table)
            ttl_on = ttl["TimeToLiveDescription"].get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if not ttl_on:
            actions.append(f"enable TTL on {TTL_ATTRIBUTE}")
            if not dry_run:
                await client.update_time_to_live(
                    TableName=table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
                )
    return SetupReport(table=table, actions=tuple(actions), dry_run=dry_run)


async def table_status(client: Any, table: str) -> dict[str, object]:
    """What ``ursa aws status`` prints: existence, status, indexes, TTL, approximate size."""
    with translated(f"describe table {table}"):
        described = await _describe(client, table)
        if described is None:
            return {"table": table, "exists": False}
        ttl = await client.describe_time_to_live(TableName=table)
    return {
        "table": table,
        "exists": True,
        "status": described.get("TableStatus"),
        "indexes": sorted(
            f"{i['IndexName']}:{i.get('IndexStatus', 'ACTIVE')}"
            for i in described.get("GlobalSecondaryIndexes", [])
        ),
        "missing_indexes": sorted(
            set(GSIS) - {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
        ),
        "ttl": ttl["TimeToLiveDescription"].get("TimeToLiveStatus"),
        "approximate_items": described.get("ItemCount"),
    }
