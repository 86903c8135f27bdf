"""Customers, users and API tokens. A token is one GetItem by the hash of its secret; a user
by email is one Query of gsi2; an email guard item keeps emails unique."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import dump_doc, key, load_doc, n, s, sortable, to_item
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.domain.customers import ApiToken, Customer, EndpointUse, TokenUsage, User, usage_of
from ursa.domain.errors import Conflict, NotFound, StaleVersion

CUSTOMERS = "CUSTOMERS"
USERS = "USERS"
SORTABLE = "%Y-%m-%dT%H:%M:%S.%fZ"
"""The format of ``items.sortable``."""


def _email(email: str) -> str:
    return email.strip().lower()


def _user_item(user: User) -> DocItem:
    return DocItem(
        pk=f"USER#{user.user_id}",
        kind="user",
        doc=dump_doc(user),
        gsi1pk=f"CUST#{user.customer_id}" if user.customer_id else None,
        gsi1sk=f"USER#{_email(user.email)}" if user.customer_id else None,
        gsi2pk=f"EMAIL#{_email(user.email)}",
        gsi2sk="USER",
        gsi4pk=USERS,
        gsi4sk=f"USER#{_email(user.email)}",
    )


class CustomerItem(DocItem, kw_only=True):
    version: int


def _endpoint_use(raw: dict[str, Any]) -> EndpointUse:
    return EndpointUse(
        endpoint=str(raw["sk"]["S"]).removeprefix("EP#"),
        count=int(raw["uses"]["N"]),
        last_used_at=datetime.strptime(raw["last_used_at"]["S"], SORTABLE).replace(tzinfo=UTC),
    )


class DynamoCustomerDirectory:
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._t.get_doc(f"CUST#{customer_id}", Customer, what="customer")

    async def list_customers(self) -> tuple[Customer, ...]:
        items = await self._t.query(
            partition=CUSTOMERS, prefix="CUST#", index="gsi4", what="list customers"
        )
        return tuple(load_doc(i.doc, Customer) for i in items)

    async def put_customer(
        self, customer: Customer, *, expected_version: int | None = None
    ) -> None:
        """The version is also a top-level attribute, so an edit can be conditioned on it
        (customers stored before it existed match any expected version)."""
        item = CustomerItem(
            pk=f"CUST#{customer.customer_id}",
            kind="customer",
            doc=dump_doc(customer),
            gsi4pk=CUSTOMERS,
            gsi4sk=f"CUST#{customer.name.lower()}#{customer.customer_id}",
            version=customer.version,
        )
        if expected_version is None:
            await self._t.put(item, what="store customer")
            return
        try:
            await self._t.client.put_item(
                TableName=self._t.name,
                Item=to_item(item),
                ConditionExpression=(
                    "attribute_exists(pk) AND (version = :v OR attribute_not_exists(version))"
                ),
                ExpressionAttributeValues={":v": n(expected_version)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                if "Item" not in exc.response:
                    raise NotFound("customer not found") from exc
                raise StaleVersion("the customer changed since it was read") from exc
            with translated("store customer"):
                raise

    async def get_user(self, user_id: str) -> User:
        return await self._t.get_doc(f"USER#{user_id}", User, what="user")

    async def user_by_email(self, email: str) -> User:
        items = await self._t.query(
            partition=f"EMAIL#{_email(email)}", index="gsi2", what="find user by email"
        )
        if not items:
            raise NotFound("user not found")
        return load_doc(items[0].doc, User)

    async def list_users(self, customer_id: str | None = None) -> tuple[User, ...]:
        if customer_id is None:
            items = await self._t.query(
                partition=USERS, prefix="USER#", index="gsi4", what="list users"
            )
        else:
            items = await self._t.query(
                partition=f"CUST#{customer_id}", prefix="USER#", index="gsi1", what="list users"
            )
        return tuple(load_doc(i.doc, User) for i in items)

    async def put_user(self, user: User) -> None:
        """The user and its email guard change together; an email owned by another user is
        a Conflict, and a changed email releases the old guard."""
        try:
            previous: User | None = await self.get_user(user.user_id)
        except NotFound:
            previous = None
        guard = f"EMAIL#{_email(user.email)}"
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._t.name, "Item": to_item(_user_item(user))}},
            {
                "Put": {
                    "TableName": self._t.name,
                    "Item": {**key(guard, "GUARD"), "user_id": s(user.user_id)},
                    "ConditionExpression": "attribute_not_exists(pk) OR user_id = :me",
                    "ExpressionAttributeValues": {":me": s(user.user_id)},
                }
            },
        ]
        if previous is not None and _email(previous.email) != _email(user.email):
            old = key(f"EMAIL#{_email(previous.email)}", "GUARD")
            writes.append({"Delete": {"TableName": self._t.name, "Key": old}})
        try:
            await self._t.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("a user with that email already exists") from exc
            with translated("store user"):
                raise


class DynamoTokenStore:
    """A token is ``TOKEN#<hash>``; its id is findable on gsi2 (``TOKENID#<id>``). Each
    endpoint a token calls has one counter item ``TOKENUSE#<id>`` / ``EP#<endpoint>``
    (``uses`` raised with ADD, ``last_used_at`` set), so a call costs one UpdateItem and
    the usage of a token is one Query."""

    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def put(self, token: ApiToken) -> None:
        item = DocItem(
            pk=f"TOKEN#{token.token_hash}",
            kind="token",
            doc=dump_doc(token),
            gsi2pk=f"TOKENID#{token.token_id}",
            gsi2sk="TOKEN",
            gsi3pk=f"OWNER#{token.user_id}",
            gsi3sk=f"TOKEN#{sortable(token.created_at)}#{token.token_id}",
        )
        await self._t.put(item, what="store token")

    async def by_hash(self, token_hash: str) -> ApiToken:
        return await self._t.get_doc(f"TOKEN#{token_hash}", ApiToken, what="token")

    async def by_id(self, token_id: str) -> ApiToken:
        items = await self._t.query(
            partition=f"TOKENID#{token_id}", index="gsi2", limit=1, what="find token"
        )
        if not items:
            raise NotFound("token not found")
        return load_doc(items[0].doc, ApiToken)

    async def record_use(self, token_id: str, endpoint: str, at: datetime) -> None:
        with translated("record token use"):
            await self._t.client.update_item(
                TableName=self._t.name,
                Key=key(f"TOKENUSE#{token_id}", f"EP#{endpoint}"),
                UpdateExpression="ADD #uses :one SET #last = :at, #kind = :kind",
                ExpressionAttributeNames={
                    "#uses": "uses",
                    "#last": "last_used_at",
                    "#kind": "kind",
                },
                ExpressionAttributeValues={
                    ":one": n(1),
                    ":at": s(sortable(at)),
                    ":kind": s("token_use"),
                },
            )

    async def usage(self, token_id: str) -> TokenUsage:
        request: dict[str, Any] = {
            "TableName": self._t.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :ep)",
            "ExpressionAttributeValues": {":pk": s(f"TOKENUSE#{token_id}"), ":ep": s("EP#")},
            "ConsistentRead": True,
        }
        uses: list[EndpointUse] = []
        with translated("read token usage"):
            while True:
                response = await self._t.client.query(**request)
                uses += [_endpoint_use(raw) for raw in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return usage_of(token_id, uses)

    async def for_user(self, user_id: str) -> tuple[ApiToken, ...]:
        items = await self._t.query(
            partition=f"OWNER#{user_id}", prefix="TOKEN#", index="gsi3", what="list tokens"
        )
        return tuple(load_doc(i.doc, ApiToken) for i in items)
