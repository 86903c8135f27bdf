"""The admin command log and the cluster snapshots on the single table (ADR 0006).

| item | pk | sk | index |
|---|---|---|---|
| command log entry | ``WS#<workset_id>`` | ``CMD#<seq>`` | — (Query, ascending ``seq``) |
| cluster snapshot | ``CLUSTER#<name>`` | ``SNAPSHOT`` | gsi4 ``CLUSTERS`` / ``CLUSTER#<name>`` |

A snapshot is the latest reading only, overwritten in place; ``generated_at`` is top level so
that an older reading (a slow engine replica) never replaces a newer one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import dump_doc, from_item, load_doc, s, sortable, to_item
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.adapters.dynamodb.workset_items import workset_pk
from ursa.domain.command_log import CommandLogEntry
from ursa.domain.slurm import ClusterSnapshot

COMMAND_PREFIX = "CMD#"
SNAPSHOT_SK = "SNAPSHOT"
ALL_CLUSTERS = "CLUSTERS"  # gsi4: the provider admin's list of every cluster
PARALLEL_PUTS = 16
COMMAND_PAGE = 100  # entries per Query: bounded memory, and an early stop at ``limit``


def cluster_pk(name: str) -> str:
    return f"CLUSTER#{name}"


def command_item(entry: CommandLogEntry) -> DocItem:
    return DocItem(
        pk=workset_pk(entry.workset_id),
        sk=f"{COMMAND_PREFIX}{entry.seq}",  # seq is fixed width, so it sorts as a string
        kind="command",
        doc=dump_doc(entry),
    )


class SnapshotItem(DocItem, kw_only=True):
    generated_at: str


def snapshot_item(snapshot: ClusterSnapshot) -> SnapshotItem:
    return SnapshotItem(
        pk=cluster_pk(snapshot.cluster_name),
        sk=SNAPSHOT_SK,
        kind="cluster_snapshot",
        doc=dump_doc(snapshot),
        generated_at=sortable(snapshot.generated_at),
        gsi4pk=ALL_CLUSTERS,
        gsi4sk=cluster_pk(snapshot.cluster_name),
    )


class DynamoCommandLog:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def append(self, entries: Sequence[CommandLogEntry]) -> None:
        """Create-only puts: an entry already stored under its seq is left as it was."""
        items = [command_item(e) for e in entries]
        for start in range(0, len(items), PARALLEL_PUTS):
            await asyncio.gather(
                *(
                    self._t.put(item, create_only=True, what="append to the command log")
                    for item in items[start : start + PARALLEL_PUTS]
                )
            )

    async def for_workset(
        self,
        workset_id: str,
        *,
        label: str | None = None,
        text: str | None = None,
        limit: int = 1000,
    ) -> tuple[CommandLogEntry, ...]:
        """Pages through ``CMD#`` in seq order; the text filter is case-insensitive, which
        a FilterExpression cannot do, so both filters apply here, after reading."""
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk"},
            "ExpressionAttributeValues": {
                ":pk": s(workset_pk(workset_id)),
                ":prefix": s(COMMAND_PREFIX),
            },
            "ConsistentRead": True,  # a resumed engine reads what it just wrote
            "Limit": COMMAND_PAGE,
        }
        found: list[CommandLogEntry] = []
        with translated("read the command log"):
            while len(found) < limit:
                response = await self._t.client.query(**request)
                for raw in response.get("Items", []):
                    entry = load_doc(from_item(raw, DocItem).doc, CommandLogEntry)
                    if entry.matches(label=label, text=text):
                        found.append(entry)
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return tuple(found[: max(limit, 0)])


class DynamoClusterSnapshots:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def put(self, snapshot: ClusterSnapshot) -> None:
        item = snapshot_item(snapshot)
        try:
            await self._t.client.put_item(
                TableName=self._t.name,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(generated_at) OR generated_at <= :at",
                ExpressionAttributeValues={":at": s(item.generated_at)},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return  # a newer snapshot is stored already
            with translated(f"store the snapshot of cluster {snapshot.cluster_name}"):
                raise

    async def latest(self, cluster_name: str) -> ClusterSnapshot:
        item = await self._t.get(
            cluster_pk(cluster_name), SNAPSHOT_SK, what=f"snapshot of cluster {cluster_name}"
        )
        return load_doc(item.doc, ClusterSnapshot)

    async def all_latest(self) -> tuple[ClusterSnapshot, ...]:
        items = await self._t.query(
            partition=ALL_CLUSTERS,
            prefix="CLUSTER#",
            index="gsi4",
            what="list cluster snapshots",
        )
        return tuple(load_doc(i.doc, ClusterSnapshot) for i in items)
