"""In-memory customers, users and API tokens (keyed lookups only, as the real store)."""

from __future__ import annotations

from datetime import datetime

from ursa.domain.customers import ApiToken, Customer, EndpointUse, TokenUsage, User, usage_of
from ursa.domain.errors import Conflict, NotFound, StaleVersion


class InMemoryCustomerDirectory:
    def __init__(self) -> None:
        self._customers: dict[str, Customer] = {}
        self._users: dict[str, User] = {}
        self._by_email: dict[str, str] = {}

    async def get_customer(self, customer_id: str) -> Customer:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise NotFound("customer not found") from None

    async def list_customers(self) -> tuple[Customer, ...]:
        return tuple(sorted(self._customers.values(), key=lambda c: c.name))

    async def put_customer(
        self, customer: Customer, *, expected_version: int | None = None
    ) -> None:
        if expected_version is not None:
            stored = await self.get_customer(customer.customer_id)
            if stored.version != expected_version:
                raise StaleVersion("the customer changed since it was read")
        self._customers[customer.customer_id] = customer

    async def get_user(self, user_id: str) -> User:
        try:
            return self._users[user_id]
        except KeyError:
            raise NotFound("user not found") from None

    async def user_by_email(self, email: str) -> User:
        user_id = self._by_email.get(email.lower())
        if user_id is None:
            raise NotFound("user not found")
        return self._users[user_id]

    async def list_users(self, customer_id: str | None = None) -> tuple[User, ...]:
        users = (
            u for u in self._users.values() if customer_id is None or u.customer_id == customer_id
        )
        return tuple(sorted(users, key=lambda u: u.email.lower()))

    async def put_user(self, user: User) -> None:
        owner = self._by_email.get(user.email.lower())
        if owner is not None and owner != user.user_id:
            raise Conflict("a user with that email already exists")
        previous = self._users.get(user.user_id)
        if previous is not None and previous.email.lower() != user.email.lower():
            del self._by_email[previous.email.lower()]  # a changed email frees the old one
        self._users[user.user_id] = user
        self._by_email[user.email.lower()] = user.user_id


class InMemoryTokenStore:
    def __init__(self) -> None:
        self._by_hash: dict[str, ApiToken] = {}
        self._hash_of: dict[str, str] = {}
        self._uses: dict[str, dict[str, EndpointUse]] = {}

    async def put(self, token: ApiToken) -> None:
        self._by_hash[token.token_hash] = token
        self._hash_of[token.token_id] = token.token_hash

    async def by_id(self, token_id: str) -> ApiToken:
        token_hash = self._hash_of.get(token_id)
        if token_hash is None:
            raise NotFound("token not found")
        return self._by_hash[token_hash]

    async def record_use(self, token_id: str, endpoint: str, at: datetime) -> None:
        uses = self._uses.setdefault(token_id, {})
        before = uses.get(endpoint)
        count = before.count + 1 if before else 1
        uses[endpoint] = EndpointUse(endpoint=endpoint, count=count, last_used_at=at)

    async def usage(self, token_id: str) -> TokenUsage:
        return usage_of(token_id, self._uses.get(token_id, {}).values())

    async def by_hash(self, token_hash: str) -> ApiToken:
        try:
            return self._by_hash[token_hash]
        except KeyError:
            raise NotFound("token not found") from None

    async def for_user(self, user_id: str) -> tuple[ApiToken, ...]:
        return tuple(t for t in self._by_hash.values() if t.user_id == user_id)
