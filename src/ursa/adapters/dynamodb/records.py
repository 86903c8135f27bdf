"""Idempotency records (TTL), immutable quotes, the cost ledger and the audit log."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import dump_doc, key, load_doc, n, sortable, to_item
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.adapters.dynamodb.workset_items import workset_pk
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


class DynamoLedger:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def post(self, entry: CostLedgerEntry) -> None:
        item = DocItem(
            pk=workset_pk(entry.workset_id),
            sk=f"COST#{entry.entry_id}",
            kind="ledger",
            doc=dump_doc(entry),
        )
        await self._t.put(item, create_only=True, what="post cost")  # a repeat is ignored

    async def for_workset(self, workset_id: str) -> tuple[CostLedgerEntry, ...]:
        items = await self._t.query(
            partition=workset_pk(workset_id), prefix="COST#", what="read the cost ledger"
        )
        return tuple(load_doc(i.doc, CostLedgerEntry) for i in items)


class DynamoAuditLog:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def append(self, record: AuditRecord) -> None:
        doc = dump_doc(record)
        digest = hashlib.sha256(doc.encode()).hexdigest()[:16]
        item = DocItem(
            pk=f"AUDIT#{record.customer_id}",
            sk=f"{sortable(record.at)}#{digest}",
            kind="audit",
            doc=doc,
        )
        await self._t.put(item, create_only=True, what="append audit record")

    async def for_tenant(self, customer_id: str, limit: int = 100) -> tuple[AuditRecord, ...]:
        """The newest ``limit`` records, oldest first (one Query, newest-first, reversed)."""
        items = await self._t.query(
            partition=f"AUDIT#{customer_id}", newest_first=True, limit=limit, what="read audit"
        )
        return tuple(load_doc(i.doc, AuditRecord) for i in reversed(items))


__all__ = ["DynamoAuditLog", "DynamoIdempotencyStore", "DynamoLedger", "DynamoQuoteRepository"]
