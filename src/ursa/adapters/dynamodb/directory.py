"""Customers, users and API tokens. A token is one GetItem by the hash of its secret; a user
by email is one Query of gsi2; an email guard item keeps emails unique."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ursa.adapters.aws.errors import error_code, translated
from ursa.adapters.dynamodb.items import dump_doc, key, load_doc, s, sortable, to_item
from ursa.adapters.dynamodb.store import DocItem, Table
from ursa.domain.customers import ApiToken, Customer, User
from ursa.domain.errors import Conflict, NotFound

CUSTOMERS = "CUSTOMERS"
USERS = "USERS"


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

    async def put_customer(self, customer: Customer) -> None:
        item = DocItem(
            pk=f"CUST#{customer.customer_id}",
            kind="customer",
            doc=dump_doc(customer),
            gsi4pk=CUSTOMERS,
            gsi4sk=f"CUST#{customer.name.lower()}#{customer.customer_id}",
        )
        await self._t.put(item, what="store customer")

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
    def __init__(self, client: Any, table: str) -> None:
        self._t = Table(client, table)

    async def put(self, token: ApiToken) -> None:
        item = DocItem(
            pk=f"TOKEN#{token.token_hash}",
            kind="token",
            doc=dump_doc(token),
            gsi3pk=f"OWNER#{token.user_id}",
            gsi3sk=f"TOKEN#{sortable(token.created_at)}#{token.token_id}",
        )
        await self._t.put(item, what="store token")

    async def by_hash(self, token_hash: str) -> ApiToken:
        return await self._t.get_doc(f"TOKEN#{token_hash}", ApiToken, what="token")

    async def for_user(self, user_id: str) -> tuple[ApiToken, ...]:
        items = await self._t.query(
            partition=f"OWNER#{user_id}", prefix="TOKEN#", index="gsi3", what="list tokens"
        )
        return tuple(load_doc(i.doc, ApiToken) for i in items)
