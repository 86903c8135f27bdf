"""password_sign_in: from the identity provider's answer to the Ursa user, every refusal alike."""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest
from joserfc.jwk import RSAKey

from builders import ACME_ADMIN, ACME_USER, GLOBEX_ADMIN
from service_world import World
from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.identity_keys import LocalSigningKeys, PasswordHasher, new_signing_key
from ursa.domain.audit import AuditAction
from ursa.domain.customers import User
from ursa.domain.errors import InvalidInput, Unauthenticated
from ursa.domain.ports.identity import NewPasswordRequired
from ursa.domain.principals import Principal
from ursa.domain.services.password_sign_in import (
    CHALLENGE_EXPIRED,
    REFUSED,
    choose_new_password,
    sign_in_with_password,
)

pytestmark = pytest.mark.anyio

GOOD, TEMP, NEW = "Good-Pass-42", "Temp-Pass-17", "Fresh-Pass-99"


@functools.cache
def _key() -> RSAKey:
    return new_signing_key()


async def _twin(world: World, *people: Principal, temporary: bool = False) -> InMemoryIdentity:
    twin = InMemoryIdentity(
        clock=world.clock, keys=LocalSigningKeys(_key()), hasher=PasswordHasher(n=2**8)
    )
    for p in people:
        await twin.create_user(
            p.email, customer_id=p.customer_id, role=p.role, temporary_password=TEMP
        )
        if not temporary:
            await twin.set_password(p.email, GOOD, permanent=True)
    return twin


@pytest.mark.parametrize("verify", [True, False], ids=["verified-token", "typed-email"])
async def test_the_right_password_gives_the_directory_user(world: World, verify: bool) -> None:
    twin = await _twin(world, ACME_USER)
    ports = world.container.ports
    user = await sign_in_with_password(
        ports, twin, twin if verify else None, email=ACME_USER.email.upper(), password=GOOD
    )
    assert isinstance(user, User) and user.user_id == ACME_USER.user_id


async def test_the_verified_token_names_the_user_not_the_typed_email(world: World) -> None:
    """A provider that answers for another account than the one typed is believed only
    through its signed token."""
    twin = await _twin(world, ACME_ADMIN)
    tokens = await twin.sign_in(ACME_ADMIN.email, GOOD)
    assert not isinstance(tokens, NewPasswordRequired)

    class Mismatched:
        async def sign_in(self, email: str, password: str) -> object:
            return tokens

    user = await sign_in_with_password(
        world.container.ports,
        Mismatched(),  # type: ignore[arg-type]
        twin,
        email=ACME_USER.email,
        password=GOOD,
    )
    assert isinstance(user, User) and user.user_id == ACME_ADMIN.user_id


@pytest.mark.parametrize("case", ["wrong-password", "unknown-email", "disabled", "not-in-ursa"])
async def test_every_refusal_is_the_same(world: World, case: str) -> None:
    stranger = replace(ACME_USER, user_id="u-stranger", email="stranger@acme.example")
    twin = await _twin(world, ACME_USER, stranger)
    email, password = ACME_USER.email, GOOD
    if case == "wrong-password":
        password = "Wrong-Pass-1"
    if case == "unknown-email":
        email = "nobody@acme.example"
    if case == "disabled":
        directory = world.container.ports.directory
        user = await directory.get_user(ACME_USER.user_id)
        await directory.put_user(replace(user, disabled=True))
    if case == "not-in-ursa":
        email = stranger.email
    with pytest.raises(Unauthenticated) as refused:
        await sign_in_with_password(
            world.container.ports, twin, twin, email=email, password=password
        )
    assert (refused.value.code, refused.value.message) == (REFUSED, "email or password is wrong")


async def test_a_temporary_password_is_replaced_and_audited(world: World) -> None:
    twin = await _twin(world, GLOBEX_ADMIN, temporary=True)
    ports = world.container.ports
    challenge = await sign_in_with_password(
        ports, twin, twin, email=GLOBEX_ADMIN.email, password=TEMP
    )
    assert isinstance(challenge, NewPasswordRequired)
    with pytest.raises(InvalidInput):
        await choose_new_password(ports, twin, twin, challenge=challenge, new_password="weak")
    user = await choose_new_password(
        ports, twin, twin, challenge=challenge, new_password=NEW, request_id="req-1"
    )
    assert user.user_id == GLOBEX_ADMIN.user_id
    assert GLOBEX_ADMIN.customer_id
    head = await ports.audit.head(GLOBEX_ADMIN.customer_id)
    assert head is not None
    assert (head.action, head.target, head.actor_id, head.request_id) == (
        AuditAction.USER_PASSWORD,
        f"user:{GLOBEX_ADMIN.user_id}",
        GLOBEX_ADMIN.user_id,
        "req-1",
    )
    with pytest.raises(Unauthenticated) as expired:  # a challenge completes once
        await choose_new_password(ports, twin, twin, challenge=challenge, new_password=NEW)
    assert expired.value.code == CHALLENGE_EXPIRED
