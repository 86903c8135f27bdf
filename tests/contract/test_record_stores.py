"""Contract of the record stores: idempotency, quotes, ledger, audit, directory, tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from builders import ACME, GLOBEX, NOW
from store_world import Stores
from ursa.domain.customers import ApiToken, Customer, User, hash_token
from ursa.domain.errors import Conflict, NotFound
from ursa.domain.estimates import Quote
from ursa.domain.ports import IdempotencyRecord
from ursa.domain.principals import Role, Scope
from ursa.domain.records import CostLedgerEntry

pytestmark = pytest.mark.anyio


def _idem(
    key: str = "key-00000001", fingerprint: str = "f1", at: datetime = NOW
) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=f"{ACME}:submit",
        key=key,
        fingerprint=fingerprint,
        status="in_progress",
        created_at=at,
        expires_at=at + timedelta(hours=24),
    )


async def test_idempotency_begin_finish_replay_and_abandon(stores: Stores) -> None:
    assert await stores.idempotency.begin(_idem()) is None
    existing = await stores.idempotency.begin(_idem(fingerprint="f2"))
    assert (
        existing is not None and existing.fingerprint == "f1" and existing.status == "in_progress"
    )
    await stores.idempotency.finish(
        f"{ACME}:submit", "key-00000001", result_id="ws-1", result_status=201
    )
    done = await stores.idempotency.begin(_idem())
    assert done is not None and done.status == "done" and done.result_id == "ws-1"
    await stores.idempotency.abandon(f"{ACME}:submit", "key-00000001")
    assert await stores.idempotency.begin(_idem()) is None
    with pytest.raises(NotFound):
        await stores.idempotency.finish(
            f"{ACME}:submit", "never-begun", result_id="x", result_status=201
        )


async def test_an_expired_idempotency_record_counts_as_absent(stores: Stores) -> None:
    assert await stores.idempotency.begin(_idem()) is None
    later = NOW + timedelta(hours=25)
    assert await stores.idempotency.begin(_idem(fingerprint="f9", at=later)) is None
    current = await stores.idempotency.begin(_idem(at=later))
    assert current is not None and current.fingerprint == "f9"


def _quote(point: str = "12.50") -> Quote:
    return Quote(
        quote_id="q-ws-1",
        workset_id="ws-1",
        rate_card_version="2026-11",
        estimator_version="1",
        inputs_sha256="0" * 64,
        lines=(),
        point=Decimal(point),
        low=Decimal("10.00"),
        high=Decimal("18.75"),
        turnaround_low_h=Decimal("6"),
        turnaround_high_h=Decimal("12"),
        band_source="default",
        created_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )


async def test_quotes_are_immutable(stores: Stores) -> None:
    await stores.quotes.put(_quote())
    await stores.quotes.put(_quote())  # the same quote again: a no-op
    with pytest.raises(Conflict):
        await stores.quotes.put(_quote(point="1.00"))
    assert (await stores.quotes.get("q-ws-1")).point == Decimal("12.50")
    with pytest.raises(NotFound):
        await stores.quotes.get("q-missing")


def _entry(entry_id: str, amount: str, workset_id: str = "ws-1") -> CostLedgerEntry:
    return CostLedgerEntry(
        entry_id=entry_id,
        workset_id=workset_id,
        customer_id=ACME,
        run_id="run-1",
        sample_id="S1",
        component="compute_direct",
        amount=Decimal(amount),
        basis="actual",
        rate_card_version="2026-11",
        posted_at=NOW,
    )


async def test_ledger_posts_are_idempotent_by_entry_id(stores: Stores) -> None:
    await stores.ledger.post(_entry("e1", "1.25"))
    await stores.ledger.post(_entry("e1", "9.99"))  # a retried post is ignored
    await stores.ledger.post(_entry("e2", "0.75"))
    await stores.ledger.post(_entry("e3", "5.00", workset_id="ws-2"))
    entries = await stores.ledger.for_workset("ws-1")
    assert sorted((e.entry_id, e.amount) for e in entries) == [
        ("e1", Decimal("1.25")),
        ("e2", Decimal("0.75")),
    ]


def _user(
    user_id: str, email: str, customer: str | None = ACME, role: Role = Role.CUSTOMER_USER
) -> User:
    return User(
        user_id=user_id,
        email=email,
        display_name=user_id,
        role=role,
        customer_id=customer,
        created_at=NOW,
    )


async def test_customers_round_trip_and_list_by_name(stores: Stores) -> None:
    zeta = Customer(
        customer_id="zeta-1",
        name="Zeta",
        bucket="zeta-b",
        credit_limit=Decimal("100.50"),
        created_at=NOW,
    )
    alpha = Customer(
        customer_id="alpha-1",
        name="Alpha",
        bucket="alpha-b",
        linked_buckets=("lab-a",),
        created_at=NOW,
    )
    await stores.directory.put_customer(zeta)
    await stores.directory.put_customer(alpha)
    assert await stores.directory.get_customer("zeta-1") == zeta
    assert [c.customer_id for c in await stores.directory.list_customers()] == ["alpha-1", "zeta-1"]
    await stores.directory.put_customer(replace(zeta, billing_account="BA-9"))
    assert (await stores.directory.get_customer("zeta-1")).billing_account == "BA-9"
    with pytest.raises(NotFound):
        await stores.directory.get_customer("missing")


async def test_users_by_email_are_unique_and_case_blind(stores: Stores) -> None:
    ada = _user("u-ada", "Ada@acme.example")
    await stores.directory.put_user(ada)
    await stores.directory.put_user(_user("u-sam", "sam@acme.example"))
    await stores.directory.put_user(_user("u-gil", "gil@globex.example", customer=GLOBEX))
    await stores.directory.put_user(
        _user("u-root", "root@ursa.example", customer=None, role=Role.PROVIDER_ADMIN)
    )
    assert (await stores.directory.user_by_email("ada@ACME.example")).user_id == "u-ada"
    with pytest.raises(Conflict):
        await stores.directory.put_user(_user("u-copy", "ada@acme.example"))
    assert [u.user_id for u in await stores.directory.list_users(ACME)] == ["u-ada", "u-sam"]
    assert len(await stores.directory.list_users()) == 4
    # Changing an email frees the old one.
    await stores.directory.put_user(replace(ada, email="ada.l@acme.example"))
    await stores.directory.put_user(_user("u-new", "ada@acme.example"))
    assert (await stores.directory.user_by_email("ada@acme.example")).user_id == "u-new"
    with pytest.raises(NotFound):
        await stores.directory.user_by_email("nobody@acme.example")


async def test_tokens_by_hash_and_per_user(stores: Stores) -> None:
    token = ApiToken(
        token_id="tok-1",
        token_hash=hash_token("urs_secret-one"),
        name="lims",
        user_id="u-ada",
        customer_id=ACME,
        role=Role.CUSTOMER_USER,
        scopes=frozenset({Scope.READ}),
        created_at=NOW,
    )
    await stores.tokens.put(token)
    await stores.tokens.put(replace(token, token_id="tok-2", token_hash=hash_token("urs_two")))
    if stores.calls is not None:
        stores.calls.reset()
    assert await stores.tokens.by_hash(hash_token("urs_secret-one")) == token
    if stores.calls is not None:
        assert dict(stores.calls.ops) == {"get_item": 1}
    assert sorted(t.token_id for t in await stores.tokens.for_user("u-ada")) == ["tok-1", "tok-2"]
    revoked = replace(token, revoked_at=NOW)
    await stores.tokens.put(revoked)
    assert (await stores.tokens.by_hash(token.token_hash)).revoked_at == NOW
    with pytest.raises(NotFound):
        await stores.tokens.by_hash(hash_token("urs_unknown"))
