"""Idempotency records (TTL), immutable quotes, the cost ledger and the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import (
    dump_doc,
    from_item,
    key,
    load_doc,
    n,
    s,
    sortable,
    to_item,
)
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.adapters.dynamodb.workset_items import customer_pk, workset_pk
from ursa.domain.errors import Conflict, NotFound
from ursa.domain.estimates import Quote
from ursa.domain.ports import IdempotencyRecord
from ursa.domain.records import AuditRecord, CostLedgerEntry


def _idem_pk(scope: str, idem_key: str) -> str:
    return f"IDEM#{scope}#{idem_key}"


def _idem_item(record: IdempotencyRecord) -> DocItem:
    return DocItem(
        pk=_idem_pk(record.scope, record.key),
        kind="idempotency",
        doc=dump_doc(record),
        # DynamoDB's TTL sweeps expired records eventually; ``begin`` treats them as absent
        # at once, so correctness never waits for the sweep.
        expires_epoch=int(record.expires_at.timestamp()),
    )


class DynamoIdempotencyStore:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def begin(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "Item": to_item(_idem_item(record)),
            "ConditionExpression": "attribute_not_exists(pk) OR expires_epoch <= :now",
            "ExpressionAttributeValues": {":now": n(int(record.created_at.timestamp()))},
        }
        for _ in range(3):
            try:
                await self._t.client.put_item(**request)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    with translated("begin idempotent request"):
                        raise
            else:
                return None
            try:
                pk = _idem_pk(record.scope, record.key)
                return await self._t.get_doc(pk, IdempotencyRecord, what="idempotency record")
            except NotFound:
                continue  # expired and swept between our write and read: try again
        raise Conflict("the idempotency record keeps changing; try again")

    async def finish(self, scope: str, key_: str, *, result_id: str, result_status: int) -> None:
        pk = _idem_pk(scope, key_)
        record = await self._t.get_doc(pk, IdempotencyRecord, what="idempotency record")
        done = replace(record, status="done", result_id=result_id, result_status=result_status)
        await self._t.put(_idem_item(done), what="finish idempotent request")

    async def abandon(self, scope: str, key_: str) -> None:
        with translated("abandon idempotent request"):
            await self._t.client.delete_item(TableName=self._t.name, Key=key(_idem_pk(scope, key_)))


class DynamoQuoteRepository:
    """Create-only: writing the same quote again is a no-op, a different one a Conflict."""

    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def put(self, quote: Quote) -> None:
        item = DocItem(pk=f"QUOTE#{quote.quote_id}", kind="quote", doc=dump_doc(quote))
        written = await self._t.put(item, create_only=True, what="store quote")
        if not written and await self.get(quote.quote_id) != quote:
            raise Conflict(f"quote {quote.quote_id} already exists and quotes are immutable")

    async def get(self, quote_id: str) -> Quote:
        return await self._t.get_doc(f"QUOTE#{quote_id}", Quote, what="quote")


def _ledger_gsi_sk(at: datetime, entry_id: str = "") -> str:
    """``COST#<posted_at>#<entry_id>``: by time, then id. The bare ``COST#<time>`` bound sorts
    before every entry posted at that instant, so ``BETWEEN`` bounds are ``[start, end)``."""
    return f"COST#{sortable(at)}#{entry_id}" if entry_id else f"COST#{sortable(at)}"


class DynamoLedger:
    """Entries live in their workset's partition (``WS#<id>`` / ``COST#<entry_id>``); gsi1
    (``CUST#<cid>`` / ``COST#<posted_at>#<entry_id>``) serves a customer's billing period."""

    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def post(self, entry: CostLedgerEntry) -> None:
        item = DocItem(
            pk=workset_pk(entry.workset_id),
            sk=f"COST#{entry.entry_id}",
            kind="ledger",
            doc=dump_doc(entry),
            gsi1pk=customer_pk(entry.customer_id),
            gsi1sk=_ledger_gsi_sk(entry.posted_at, entry.entry_id),
        )
        await self._t.put(item, create_only=True, what="post cost")  # a repeat is ignored

    async def for_customer(
        self, customer_id: str, start: datetime, end: datetime
    ) -> tuple[CostLedgerEntry, ...]:
        """One Query of gsi1 (more pages only past 1 MB), oldest first."""
        if start >= end:
            return ()
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": s(customer_pk(customer_id)),
                ":lo": s(_ledger_gsi_sk(start)),
                ":hi": s(_ledger_gsi_sk(end)),
            },
        }
        entries: list[CostLedgerEntry] = []
        with translated("read the customer's cost ledger"):
            while True:
                response = await self._t.client.query(**request)
                entries.extend(
                    load_doc(from_item(i, DocItem).doc, CostLedgerEntry)
                    for i in response.get("Items", [])
                )
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return tuple(entries)

    async def for_workset(self, workset_id: str) -> tuple[CostLedgerEntry, ...]:
        items = await self._t.query(
            partition=workset_pk(workset_id), prefix="COST#", what="read the cost ledger"
        )
        return tuple(load_doc(i.doc, CostLedgerEntry) for i in items)


def _audit_pk(customer_id: str) -> str:
    return f"AUDIT#{customer_id}"


def _audit_sk(seq: int) -> str:
    return f"SEQ#{seq:012d}"


def _audit_item(record: AuditRecord) -> DocItem:
    return DocItem(
        pk=_audit_pk(record.customer_id),
        sk=_audit_sk(record.seq),
        kind="audit",
        doc=dump_doc(record),
    )


class DynamoAuditLog:
    """One partition per tenant, one item per seq (``AUDIT#<cid>`` / ``SEQ#<seq:012d>``):
    appends are create-only puts, ``head`` and pages are consistent Queries of that partition."""

    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def append(self, record: AuditRecord) -> None:
        item = _audit_item(record)
        if await self._t.put(item, create_only=True, what="append audit record"):
            return
        taken = await self._t.get(item.pk, item.sk, what="audit record")
        if load_doc(taken.doc, AuditRecord) != record:  # the same record again is a no-op
            raise Conflict(f"audit seq {record.seq} of {record.customer_id} is already taken")

    async def head(self, customer_id: str) -> AuditRecord | None:
        items = await self._query(customer_id, after_seq=None, limit=1, newest_first=True)
        return items[0] if items else None

    async def for_tenant(
        self, customer_id: str, limit: int = 100, after_seq: int | None = None
    ) -> tuple[AuditRecord, ...]:
        """Oldest first, ``seq > after_seq``: one Query (more only past 1 MB of records)."""
        return tuple(await self._query(customer_id, after_seq=after_seq, limit=limit))

    async def _query(
        self, customer_id: str, *, after_seq: int | None, limit: int, newest_first: bool = False
    ) -> list[AuditRecord]:
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :seq)",
            "ExpressionAttributeValues": {":pk": s(_audit_pk(customer_id)), ":seq": s("SEQ#")},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        if after_seq is not None:
            request["KeyConditionExpression"] = "pk = :pk AND sk > :after"
            request["ExpressionAttributeValues"] = {
                ":pk": s(_audit_pk(customer_id)),
                ":after": s(_audit_sk(after_seq)),
            }
        records: list[AuditRecord] = []
        with translated("read the audit log"):
            while len(records) < limit:
                request["Limit"] = limit - len(records)
                response = await self._t.client.query(**request)
                records.extend(
                    load_doc(from_item(i, DocItem).doc, AuditRecord)
                    for i in response.get("Items", [])
                )
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return records


__all__ = ["DynamoAuditLog", "DynamoIdempotencyStore", "DynamoLedger", "DynamoQuoteRepository"]
