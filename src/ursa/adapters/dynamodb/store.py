"""The few primitives every record store shares: a keyed document item, create-only and
plain puts, consistent gets and single-partition queries (never a Scan)."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import Item, from_item, key, load_doc, s, to_item
from ursa.domain.errors import NotFound

T = TypeVar("T")


class IndexKeys(msgspec.Struct, kw_only=True):
    """The overloaded GSI keys (ADR 0006); an absent key keeps the item out of that index."""

    gsi1pk: str | None = None
    gsi1sk: str | None = None
    gsi2pk: str | None = None
    gsi2sk: str | None = None
    gsi3pk: str | None = None
    gsi3sk: str | None = None
    gsi4pk: str | None = None
    gsi4sk: str | None = None
    gsi5pk: str | None = None
    gsi5sk: str | None = None


class DocItem(IndexKeys, kw_only=True):
    """A record that is a domain document plus the index keys that find it."""

    pk: str
    sk: str = "META"
    kind: str
    schema: int = 1
    doc: str
    expires_epoch: int | None = None


class Table:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.name = table

    async def put(self, item: DocItem, *, create_only: bool = False, what: str) -> bool:
        """False when ``create_only`` and the item already exists (nothing written)."""
        request: dict[str, Any] = {"TableName": self.name, "Item": to_item(item)}
        if create_only:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            await self.client.put_item(**request)
        except ClientError as exc:
            if create_only and error_code(exc) == "ConditionalCheckFailedException":
                return False
            with translated(what):
                raise
        return True

    async def get(self, pk: str, sk: str = "META", *, what: str) -> DocItem:
        with translated(what):
            response = await self.client.get_item(
                TableName=self.name, Key=key(pk, sk), ConsistentRead=True
            )
        if "Item" not in response:
            raise NotFound(f"{what}: not found")
        return from_item(response["Item"], DocItem)

    async def get_doc(self, pk: str, kind: type[T], *, what: str) -> T:
        return load_doc((await self.get(pk, what=what)).doc, kind)

    async def query(
        self,
        *,
        partition: str,
        prefix: str = "",
        index: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        what: str,
    ) -> list[DocItem]:
        pk, sk = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": pk},
            "ExpressionAttributeValues": {":pk": s(partition)},
            "ScanIndexForward": not newest_first,
        }
        if prefix:  # DynamoDB rejects an empty begins_with operand
            request["KeyConditionExpression"] += " AND begins_with(#sk, :prefix)"
            request["ExpressionAttributeNames"]["#sk"] = sk
            request["ExpressionAttributeValues"][":prefix"] = s(prefix)
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True
        items: list[Item] = []
        with translated(what):
            while True:
                if limit is not None:
                    request["Limit"] = limit - len(items)
                response = await self.client.query(**request)
                items.extend(response.get("Items", []))
                if "LastEvaluatedKey" not in response or (limit and len(items) >= limit):
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [from_item(i, DocItem) for i in items]
