"""Linked buckets on the one table (ADR 0006): the link item ``LINK#<bucket_id>`` and a guard
item ``BUCKETNAME#<bucket>`` written in the same transaction, so one bucket name links to one
customer even when two customers race for it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import dump_doc, key, load_doc, n, s, to_item
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from ursa.domain.linked_buckets import LinkedBucket

LINKS = "LINKS"
GUARD = "GUARD"
TAKEN = "this bucket is already linked to an account"


class LinkItem(DocItem, kw_only=True):
    """Top-level copies of what the conditions test."""

    customer_id: str
    bucket: str
    version: int


def link_pk(bucket_id: str) -> str:
    return f"LINK#{bucket_id}"


def guard_pk(bucket: str) -> str:
    return f"BUCKETNAME#{bucket}"


def link_item(link: LinkedBucket) -> LinkItem:
    return LinkItem(
        pk=link_pk(link.bucket_id),
        kind="linked_bucket",
        doc=dump_doc(link),
        customer_id=link.customer_id,
        bucket=link.bucket,
        version=link.version,
        gsi1pk=f"CUST#{link.customer_id}",
        gsi1sk=f"LINK#{link.bucket}",
        gsi4pk=LINKS,
        gsi4sk=f"LINK#{link.bucket}",
    )


def _reasons(exc: ClientError) -> list[str]:
    return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])]


class DynamoLinkedBucketStore:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def _transact(self, writes: list[dict[str, Any]], what: str) -> list[str] | None:
        """None when applied; the cancellation reasons when a condition failed."""
        try:
            await self._t.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return _reasons(exc)
            with translated(what):
                raise
        return None

    async def create(self, link: LinkedBucket) -> None:
        guard = {
            **key(guard_pk(link.bucket), GUARD),
            "bucket_id": s(link.bucket_id),
            "customer_id": s(link.customer_id),
        }
        absent = "attribute_not_exists(pk)"
        reasons = await self._transact(
            [
                {
                    "Put": {
                        "TableName": self._t.name,
                        "Item": to_item(link_item(link)),
                        "ConditionExpression": absent,
                    }
                },
                {"Put": {"TableName": self._t.name, "Item": guard, "ConditionExpression": absent}},
            ],
            "link bucket",
        )
        if reasons is None:
            return
        if "ConditionalCheckFailed" in reasons:
            raise Conflict(TAKEN, code="BUCKET_ALREADY_LINKED")
        raise Conflict("another request is linking this bucket; try again")

    async def get(self, bucket_id: str) -> LinkedBucket:
        try:
            return await self._t.get_doc(link_pk(bucket_id), LinkedBucket, what="linked bucket")
        except NotFound:
            raise NotFound("linked bucket not found") from None

    async def by_bucket(self, bucket: str) -> LinkedBucket | None:
        with translated("find linked bucket"):
            response = await self._t.client.get_item(
                TableName=self._t.name, Key=key(guard_pk(bucket), GUARD), ConsistentRead=True
            )
        if "Item" not in response:
            return None
        try:
            return await self.get(response["Item"]["bucket_id"]["S"])
        except NotFound:
            return None

    async def list_for_customer(self, customer_id: str) -> tuple[LinkedBucket, ...]:
        items = await self._t.query(
            partition=f"CUST#{customer_id}", prefix="LINK#", index="gsi1", what="list links"
        )
        return tuple(load_doc(i.doc, LinkedBucket) for i in items)

    async def list_all(self) -> tuple[LinkedBucket, ...]:
        items = await self._t.query(
            partition=LINKS, prefix="LINK#", index="gsi4", what="list links"
        )
        return tuple(load_doc(i.doc, LinkedBucket) for i in items)

    async def update(self, link: LinkedBucket, *, expected_version: int) -> None:
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "Item": to_item(link_item(link)),
            # Names, not words: BUCKET is one of DynamoDB's reserved words.
            "ConditionExpression": "#v = :expected AND #c = :cid AND #b = :b",
            "ExpressionAttributeNames": {"#v": "version", "#c": "customer_id", "#b": "bucket"},
            "ExpressionAttributeValues": {
                ":expected": n(expected_version),
                ":cid": s(link.customer_id),
                ":b": s(link.bucket),
            },
        }
        try:
            await self._t.client.put_item(**request)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                with translated("update linked bucket"):
                    raise
            await self._refused(link, expected_version)

    async def _refused(self, link: LinkedBucket, expected_version: int) -> None:
        """Why a conditional write failed: one consistent read tells."""
        stored = await self.get(link.bucket_id)
        if (stored.bucket, stored.customer_id) != (link.bucket, link.customer_id):
            raise InvalidInput.single(
                "bucket", "BAD_VALUE", "the bucket and customer of a link never change"
            )
        raise StaleVersion(
            f"linked bucket {link.bucket_id} is at version {stored.version}, not {expected_version}"
        )

    async def delete(self, bucket_id: str) -> None:
        link = await self.get(bucket_id)
        reasons = await self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._t.name,
                        "Key": key(link_pk(bucket_id)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Delete": {
                        "TableName": self._t.name,
                        "Key": key(guard_pk(link.bucket), GUARD),
                        "ConditionExpression": "attribute_not_exists(pk) OR bucket_id = :id",
                        "ExpressionAttributeValues": {":id": s(bucket_id)},
                    }
                },
            ],
            "unlink bucket",
        )
        if reasons is None:
            return
        if "ConditionalCheckFailed" in reasons:
            raise NotFound("linked bucket not found")
        raise Conflict("another request is changing this link; try again")
