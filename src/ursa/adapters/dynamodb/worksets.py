"""DynamoWorksetRepository: the aggregate, its history and events change together in one
``TransactWriteItems`` conditioned on the stored state and version (the fence for leases:
every holder write carries the version it read, so a stale holder can never commit)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.cursors import CursorCodec
from ursa.adapters.dynamodb.batches import batch_write
from ursa.adapters.dynamodb.items import (
    Item,
    dump_doc,
    from_item,
    key,
    load_doc,
    n,
    s,
    sortable,
    to_item,
)
from ursa.adapters.dynamodb.listing import (
    decode_cursor,
    encode_cursor,
    plan_for,
    position_of,
)
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.adapters.dynamodb.workset_items import (
    QUEUE_LEASED,
    QUEUE_READY,
    QUEUE_RETRYING,
    WorksetItem,
    event_item,
    history_item,
    sample_item,
    workset_item,
    workset_pk,
)
from ursa.domain.errors import Conflict, NotFound, StaleVersion
from ursa.domain.ports import Page, WorksetQuery
from ursa.domain.ports.pages import MAX_PAGE_SIZE
from ursa.domain.samples import Sample
from ursa.domain.workset_filters import matches
from ursa.domain.worksets import HistoryEntry, Transition, Workset

TRANSACTION_LIMIT = 100
MAX_LIST_READS = 5
MAX_LIST_READ_SIZE = 400


def _put(
    table: str, item: Item, condition: str, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": item, "ConditionExpression": condition}
    if values:
        put["ExpressionAttributeValues"] = values
    names = {alias: alias[1:] for alias in ("#state", "#version") if alias in condition}
    if names:
        put["ExpressionAttributeNames"] = names
    return {"Put": put}


def _reasons(exc: ClientError) -> list[str]:
    return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])]


class DynamoWorksetRepository:
    def __init__(
        self, client: Any, table: str, cursor_key: bytes, *, max_list_reads: int = MAX_LIST_READS
    ) -> None:
        self._db = client
        self._max_list_reads = max_list_reads
        self._table = table
        self._t = Table(client, table)
        self._cursors = CursorCodec(cursor_key)

    # -- writes -------------------------------------------------------------------------

    def _children(self, transition: Transition) -> list[dict[str, Any]]:
        ws = transition.workset
        items = [history_item(ws.workset_id, transition.history)]
        items += [event_item(ws.workset_id, event) for event in transition.events]
        return [_put(self._table, to_item(i), "attribute_not_exists(pk)") for i in items]

    def _versioned_put(
        self, ws: Workset, expected_version: int, expected_state: str | None = None
    ) -> dict[str, Any]:
        condition = "attribute_exists(pk) AND #version = :expected"
        values = {":expected": n(expected_version)}
        if expected_state is not None:
            condition += " AND #state = :state"
            values[":state"] = s(expected_state)
        return _put(self._table, to_item(workset_item(ws)), condition, values)

    @staticmethod
    def _request_token(ws: Workset, expected: int | None) -> str:
        """Same write retried (ambiguous commit) → same token → DynamoDB applies it once."""
        digest = hashlib.sha256(f"{expected}|{dump_doc(ws)}".encode()).hexdigest()
        return digest[:36]

    async def _transact(self, writes: list[dict[str, Any]], token: str, what: str) -> None:
        with translated(what):
            await self._db.transact_write_items(TransactItems=writes, ClientRequestToken=token)

    async def create(self, transition: Transition, samples: Sequence[Sample]) -> None:
        ws = transition.workset
        head = _put(self._table, to_item(workset_item(ws)), "attribute_not_exists(pk)")
        writes = [head, *self._children(transition)]
        sample_puts = [
            {"Put": {"TableName": self._table, "Item": to_item(sample_item(i, sample))}}
            for i, sample in enumerate(samples)
        ]
        # Samples ride in the create transaction when they fit; a larger workset writes the
        # rest right after (its samples are never written before the create has succeeded).
        inline = len(writes) + len(sample_puts) <= TRANSACTION_LIMIT
        try:
            await self._db.transact_write_items(
                TransactItems=writes + (sample_puts if inline else []),
                ClientRequestToken=self._request_token(ws, None),
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict(f"workset {ws.workset_id} already exists") from exc
            with translated(f"create workset {ws.workset_id}"):
                raise
        if not inline:
            await self.save_samples(ws.workset_id, samples)

    async def commit(self, transition: Transition) -> None:
        ws = transition.workset
        expected = transition.expected_version
        if expected is None:
            raise StaleVersion(f"workset {ws.workset_id}: a commit needs the version it read")
        from_state = transition.history.from_state or ws.state
        writes = [self._versioned_put(ws, expected, from_state.value), *self._children(transition)]
        await self._conditional(writes, ws, expected)

    async def save_workset(self, workset: Workset, *, expected_version: int) -> None:
        put = self._versioned_put(workset, expected_version)
        await self._conditional([put], workset, expected_version)

    async def _conditional(self, writes: list[dict[str, Any]], ws: Workset, expected: int) -> None:
        # The workset put returns the stored item when its condition fails, so a loser learns
        # why (missing or moved on) without another read.
        writes[0]["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            await self._db.transact_write_items(
                TransactItems=writes, ClientRequestToken=self._request_token(ws, expected)
            )
        except ClientError as exc:
            if error_code(exc) not in (
                "TransactionCanceledException",
                "IdempotentParameterMismatchException",
            ):
                with translated(f"commit workset {ws.workset_id}"):
                    raise
            reasons = exc.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") == "ConditionalCheckFailed" and "Item" not in reasons[0]:
                raise NotFound("workset not found") from exc
            stored = reasons[0].get("Item", {}).get("version", {}).get("N", "?")
            raise StaleVersion(
                f"workset {ws.workset_id} changed (version {stored}, expected {expected})"
            ) from exc

    async def save_samples(self, workset_id: str, samples: Sequence[Sample]) -> None:
        await self.get(workset_id)
        if any(sample.workset_id != workset_id for sample in samples):
            raise Conflict("a sample belongs to another workset")
        existing = await self._children_of(workset_id, "SAMPLE#")
        puts = [to_item(sample_item(i, sample)) for i, sample in enumerate(samples)]
        kept = {item["sk"]["S"] for item in puts}
        stale = [key(old.pk, old.sk) for old in existing if old.sk not in kept]
        await batch_write(self._db, self._table, puts=puts, deletes=stale)

    # -- reads --------------------------------------------------------------------------

    async def get(self, workset_id: str) -> Workset:
        with translated(f"read workset {workset_id}"):
            response = await self._db.get_item(
                TableName=self._table, Key=key(workset_pk(workset_id)), ConsistentRead=True
            )
        if "Item" not in response:
            raise NotFound("workset not found")
        return load_doc(from_item(response["Item"], WorksetItem).doc, Workset)

    async def _children_of(self, workset_id: str, prefix: str) -> list[DocItem]:
        return await self._t.query(
            partition=workset_pk(workset_id), prefix=prefix, what=f"read workset {workset_id}"
        )

    async def samples(self, workset_id: str) -> tuple[Sample, ...]:
        items = await self._children_of(workset_id, "SAMPLE#")
        if not items:
            await self.get(workset_id)
        return tuple(load_doc(i.doc, Sample) for i in items)

    async def history(self, workset_id: str) -> tuple[HistoryEntry, ...]:
        items = await self._children_of(workset_id, "HIST#")
        if not items:
            await self.get(workset_id)
        return tuple(load_doc(i.doc, HistoryEntry) for i in items)

    async def list(self, query: WorksetQuery) -> Page[Workset]:
        """Reads until the page is full: the first Query asks for a page and one more row,
        later ones (when the filters dropped rows) for more, at most ``max_list_reads`` in
        all; a page cut short by that budget still carries a cursor to the rest."""
        limit = max(1, min(query.limit, MAX_PAGE_SIZE))
        plan = plan_for(query)
        start = decode_cursor(self._cursors, plan.index, query.cursor) if query.cursor else None
        if plan.empty or (start is not None and plan.passed(start)):
            return Page(items=())
        start = plan.resume(start) if start is not None else None
        found: list[tuple[Item, Workset]] = []
        read = limit + 1
        for reads in range(1, self._max_list_reads + 1):
            with translated("list worksets"):
                response = await self._db.query(**plan.request(self._table, read, start))
            for item in response.get("Items", []):
                ws = load_doc(from_item(item, WorksetItem).doc, Workset)
                if matches(ws, query):
                    found.append((item, ws))
                if len(found) > limit:
                    last = position_of(plan.index, found[limit - 1][0])
                    cursor = encode_cursor(self._cursors, plan.index, last)
                    return Page(items=tuple(ws for _, ws in found[:limit]), next_cursor=cursor)
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
            if reads == self._max_list_reads:
                # The read budget is spent; every row up to ``start`` has been examined.
                cursor = encode_cursor(self._cursors, plan.index, position_of(plan.index, start))
                return Page(items=tuple(ws for _, ws in found), next_cursor=cursor)
            read = min(read * 4, MAX_LIST_READ_SIZE)
        return Page(items=tuple(ws for _, ws in found))

    async def due_for_claim(self, now: datetime, limit: int = 50) -> tuple[Workset, ...]:
        """Two Queries of the sparse queue index: ready by priority then age, and retrying
        worksets whose time has come."""
        ready = self._queue_request(QUEUE_READY, None, limit)
        retrying = self._queue_request(QUEUE_RETRYING, sortable(now) + "$", limit)
        with translated("read the claim queue"):
            found = [
                item
                for request in (ready, retrying)
                for item in (await self._db.query(**request)).get("Items", [])
            ]
        due = [load_doc(from_item(i, WorksetItem).doc, Workset) for i in found]
        return tuple(sorted(due, key=lambda w: (w.priority.rank, w.updated_at))[:limit])

    async def leased(self, limit: int = 1000) -> tuple[Workset, ...]:
        """One Query (paginated) of the leased queue, soonest expiry first."""
        request = self._queue_request(QUEUE_LEASED, None, min(limit, 1000))
        found: list[Workset] = []
        with translated("read the leased queue"):
            while len(found) < limit:
                answer = await self._db.query(**request)
                found += [
                    load_doc(from_item(i, WorksetItem).doc, Workset)
                    for i in answer.get("Items", [])
                ]
                if "LastEvaluatedKey" not in answer:
                    break
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return tuple(found[:limit])

    def _queue_request(self, queue: str, before: str | None, limit: int) -> dict[str, Any]:
        condition = "gsi5pk = :q" + (" AND gsi5sk < :before" if before else "")
        values: dict[str, Any] = {":q": s(queue)}
        if before:
            values[":before"] = s(before)
        return {
            "TableName": self._table,
            "IndexName": "gsi5",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": limit,
        }
