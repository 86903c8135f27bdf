"""Contract of the TokenStore additions (by id, use counting, usage) and of the customer
directory's version-conditioned put: the in-memory twin and DynamoDB on moto alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import ACME, NOW
from store_world import Stores
from ursa.domain.customers import ApiToken, Customer, EndpointUse, hash_token
from ursa.domain.errors import NotFound, StaleVersion
from ursa.domain.principals import Role, Scope

pytestmark = pytest.mark.anyio

LIST = "GET /api/v1/worksets"
ONE = "GET /api/v1/worksets/{workset_id}"
CANCEL = "POST /api/v1/worksets/{workset_id}/cancel"


def _token(token_id: str = "tok-1", secret: str = "urs_secret-one") -> ApiToken:
    return ApiToken(
        token_id=token_id,
        token_hash=hash_token(secret),
        name="lims",
        user_id="u-ada",
        customer_id=ACME,
        role=Role.CUSTOMER_USER,
        scopes=frozenset({Scope.READ}),
        created_at=NOW,
    )


async def test_a_token_is_found_by_its_id(stores: Stores) -> None:
    token = _token()
    await stores.tokens.put(token)
    await stores.tokens.put(_token("tok-2", "urs_two"))
    assert await stores.tokens.by_id("tok-1") == token
    revoked = replace(token, revoked_at=NOW)
    await stores.tokens.put(revoked)
    assert await stores.tokens.by_id("tok-1") == revoked
    with pytest.raises(NotFound):
        await stores.tokens.by_id("tok-unknown")


async def test_uses_are_counted_per_endpoint(stores: Stores) -> None:
    await stores.tokens.put(_token())
    before = await stores.tokens.usage("tok-1")
    assert before.token_id == "tok-1" and before.endpoints == ()
    assert before.total == 0 and before.last_used_at is None
    for minutes, endpoint in enumerate([LIST, ONE, LIST, CANCEL, LIST]):
        await stores.tokens.record_use("tok-1", endpoint, NOW + timedelta(minutes=minutes))
    await stores.tokens.record_use("tok-2", LIST, NOW + timedelta(hours=1))
    usage = await stores.tokens.usage("tok-1")
    assert usage.endpoints == (  # most used first, then by name
        EndpointUse(endpoint=LIST, count=3, last_used_at=NOW + timedelta(minutes=4)),
        EndpointUse(endpoint=ONE, count=1, last_used_at=NOW + timedelta(minutes=1)),
        EndpointUse(endpoint=CANCEL, count=1, last_used_at=NOW + timedelta(minutes=3)),
    )
    assert usage.total == 5 and usage.last_used_at == NOW + timedelta(minutes=4)
    assert (await stores.tokens.usage("tok-2")).total == 1


async def test_counting_a_use_is_one_write_and_never_touches_the_token(stores: Stores) -> None:
    token = _token()
    await stores.tokens.put(token)
    if stores.calls is not None:
        stores.calls.reset()
    await stores.tokens.record_use("tok-1", LIST, NOW)
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"update_item": 1}
        stores.calls.reset()
    assert await stores.tokens.by_hash(token.token_hash) == token  # lookup: one key read
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"get_item": 1}


async def test_many_endpoints_page_through(stores: Stores) -> None:
    """Usage reads every counter, however many endpoints a token called."""
    endpoints = [f"GET /api/v1/things/{i:03d}/{'x' * 200}" for i in range(60)]
    for endpoint in endpoints:
        await stores.tokens.record_use("tok-9", endpoint, NOW)
    usage = await stores.tokens.usage("tok-9")
    assert usage.total == 60 and sorted(e.endpoint for e in usage.endpoints) == endpoints


def _customer() -> Customer:
    return Customer(customer_id=ACME, name="Acme", bucket="acme-genomics-ursa", created_at=NOW)


async def test_a_customer_edit_is_conditioned_on_the_version(stores: Stores) -> None:
    acme = _customer()
    with pytest.raises(NotFound):
        await stores.directory.put_customer(acme, expected_version=1)
    await stores.directory.put_customer(acme)
    edited = replace(acme, cost_center="R&D", version=2)
    await stores.directory.put_customer(edited, expected_version=1)
    assert await stores.directory.get_customer(ACME) == edited
    with pytest.raises(StaleVersion):
        await stores.directory.put_customer(
            replace(acme, name="Lost", version=2), expected_version=1
        )
    assert await stores.directory.get_customer(ACME) == edited
    await stores.directory.put_customer(replace(edited, name="Plain put"))  # unconditional
    assert (await stores.directory.get_customer(ACME)).name == "Plain put"
