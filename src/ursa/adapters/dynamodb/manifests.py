"""DynamoManifestStore: saved manifest records on the single table (ADR 0006).

* item ``MANIFEST#<id>`` / ``META`` (consistent GetItem);
* gsi1 ``CUST#<cid>`` / ``MF#<created>#<id>`` (one customer's, newest first);
* gsi4 ``MANIFESTS`` / ``MF#<created>#<id>`` (every customer's, for provider admins).

``version`` is a top-level attribute so updates and deletes are conditioned on it. A list
page is one Query (``Limit = page + 1``) of gsi1 (one customer) or gsi4 (every customer),
newest first; the cursor is the signed position, bound to the partition it came from."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.cursors import CursorCodec
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
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.ports import Page
from ursa.domain.ports.pages import MAX_PAGE_SIZE
from ursa.domain.saved_manifests import MISSING, SavedManifest

ALL_MANIFESTS = "MANIFESTS"  # gsi4: the provider admin's list of every customer's manifests
ORDER_PREFIX = "MF#"
VERSION_CONDITION = "attribute_exists(pk) AND #version = :expected"


class ManifestItem(DocItem, kw_only=True):
    version: int
    customer_id: str


def manifest_pk(manifest_id: str) -> str:
    return f"MANIFEST#{manifest_id}"


def _customer_pk(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def manifest_item(manifest: SavedManifest) -> ManifestItem:
    order = f"{ORDER_PREFIX}{sortable(manifest.created_at)}#{manifest.manifest_id}"
    return ManifestItem(
        pk=manifest_pk(manifest.manifest_id),
        kind="manifest",
        doc=dump_doc(manifest),
        version=manifest.version,
        customer_id=manifest.customer_id,
        gsi1pk=_customer_pk(manifest.customer_id),
        gsi1sk=order,
        gsi4pk=ALL_MANIFESTS,
        gsi4sk=order,
    )


class DynamoManifestStore:
    def __init__(self, client: Any, table: str, cursor_key: bytes) -> None:
        self._t = Table(client, table)
        self._cursors = CursorCodec(cursor_key)

    async def put(self, manifest: SavedManifest) -> None:
        item = manifest_item(manifest)
        if not await self._t.put(item, create_only=True, what="save manifest"):
            raise Conflict(f"manifest {manifest.manifest_id} already exists")

    async def get(self, manifest_id: str) -> SavedManifest:
        try:
            item = await self._t.get(manifest_pk(manifest_id), what="manifest")
        except NotFound:
            raise NotFound(MISSING) from None
        return load_doc(item.doc, SavedManifest)

    async def list(
        self, customer_id: str | None, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SavedManifest]:
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        index, partition = (
            ("gsi1", _customer_pk(customer_id)) if customer_id else ("gsi4", ALL_MANIFESTS)
        )
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "IndexName": index,
            "KeyConditionExpression": "#ipk = :ipk AND begins_with(#isk, :prefix)",
            "ExpressionAttributeNames": {"#ipk": f"{index}pk", "#isk": f"{index}sk"},
            "ExpressionAttributeValues": {":ipk": s(partition), ":prefix": s(ORDER_PREFIX)},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if cursor:
            request["ExclusiveStartKey"] = self._decode(index, partition, cursor)
        with translated("list manifests"):
            response = await self._t.client.query(**request)
        items: list[Item] = response.get("Items", [])
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            next_cursor = self._encode(index, partition, page[-1])
        elif "LastEvaluatedKey" in response:  # the 1 MB read limit cut the page short
            next_cursor = self._encode(index, partition, response["LastEvaluatedKey"])
        manifests = tuple(load_doc(from_item(i, DocItem).doc, SavedManifest) for i in page)
        return Page(items=manifests, next_cursor=next_cursor)

    def _encode(self, index: str, partition: str, item: Item) -> str:
        return self._cursors.encode(
            [partition, item["pk"]["S"], item["sk"]["S"], item[f"{index}sk"]["S"]]
        )

    def _decode(self, index: str, partition: str, cursor: str) -> Item:
        position = self._cursors.decode(cursor)
        if len(position) != 4 or position[0] != partition:
            raise InvalidInput.single(
                "cursor", "BAD_CURSOR", "the page cursor belongs to a different listing"
            )
        _, pk, sk, order = position
        return {
            "pk": s(pk),
            "sk": s(sk),
            f"{index}pk": s(partition),
            f"{index}sk": s(order),
        }

    async def update(self, manifest: SavedManifest, *, expected_version: int) -> None:
        request = {
            "TableName": self._t.name,
            "Item": to_item(manifest_item(manifest)),
            "ConditionExpression": VERSION_CONDITION,
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":expected": n(expected_version)},
        }
        await self._conditional("put_item", request, manifest.manifest_id, expected_version)

    async def delete(self, manifest_id: str, *, expected_version: int) -> None:
        request = {
            "TableName": self._t.name,
            "Key": key(manifest_pk(manifest_id)),
            "ConditionExpression": VERSION_CONDITION,
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":expected": n(expected_version)},
        }
        await self._conditional("delete_item", request, manifest_id, expected_version)

    async def _conditional(
        self, operation: str, request: dict[str, Any], manifest_id: str, expected: int
    ) -> None:
        try:
            await getattr(self._t.client, operation)(**request)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                with translated(f"change manifest {manifest_id}"):
                    raise
        else:
            return
        current = await self.get(manifest_id)  # NotFound when it is gone
        raise StaleVersion(
            f"manifest {manifest_id} changed (version {current.version}, expected {expected})"
        )


__all__ = ["DynamoManifestStore", "manifest_item"]
