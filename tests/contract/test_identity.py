"""Contract of the identity ports (PasswordAuth, IdentityAdmin, IdentityProvider): the
in-memory twin and Cognito on the moto server pass the same tests.

Both verify with ``CognitoTokenVerifier``; only the key source differs (the twin's key set in
memory, moto's JWKS over HTTP). moto signs with one static key, so key rotation and unknown
``kid`` handling live in ``test_jwks_rotation.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.jwk import RSAKey

from aws_support import REGION
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.cognito import (
    CognitoIdentityAdmin,
    CognitoPasswordAuth,
    CognitoProfiles,
    CognitoTokenVerifier,
    JwksKeySource,
)
from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.identity_keys import PasswordHasher
from ursa.adapters.memory.system import FixedClock
from ursa.app.settings import Settings
from ursa.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from ursa.domain.identity import CUSTOMER_ADMINS, PROVIDER_ADMINS
from ursa.domain.ports import IdentityAdmin, IdentityProvider, PasswordAuth
from ursa.domain.ports.identity import NewPasswordRequired, Tokens
from ursa.domain.principals import Principal, Role

pytestmark = pytest.mark.anyio

ACME = "acme-genomics-3f9c01ab"
TEMP = "Temp-Pass-1"
GOOD = "Good-Pass-42"
OTHER = "Other-Pass-77"


class ShiftedClock:
    """Real time plus an offset tests can move (moto stamps tokens with real time)."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


@dataclass
class World:
    kind: str
    auth: PasswordAuth
    admin: IdentityAdmin
    identity: IdentityProvider
    clock: FixedClock | ShiftedClock
    issuer: str
    client_id: str
    verifier_for: Callable[[str, str], IdentityProvider]
    """A verifier on the same keys with another issuer / client id."""
    reset_code: Callable[[str], str | None]


def memory_world() -> World:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    twin = InMemoryIdentity(clock=clock, hasher=PasswordHasher(n=2**8))

    def verifier_for(issuer: str, client_id: str) -> IdentityProvider:
        return CognitoTokenVerifier(
            keys=twin.keys, issuer=issuer, client_id=client_id, clock=clock, profiles=twin
        )

    return World(
        kind="memory",
        auth=twin,
        admin=twin,
        identity=twin,
        clock=clock,
        issuer=twin.issuer,
        client_id=twin.client_id,
        verifier_for=verifier_for,
        reset_code=lambda email: twin.last_secret(email, "reset_code"),
    )


async def cognito_world(clients: AwsClients, endpoint: str) -> World:
    cognito = await clients.client("cognito-idp")
    pool = await cognito.create_user_pool(
        PoolName="ursa",
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "customer_id", "AttributeDataType": "String", "Mutable": True}],
    )
    pool_id = pool["UserPool"]["Id"]
    app = await cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="ursa-portal",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    client_id = app["UserPoolClient"]["ClientId"]
    for group in (PROVIDER_ADMINS, CUSTOMER_ADMINS):
        await cognito.create_group(UserPoolId=pool_id, GroupName=group)

    # moto hands the reset code back in a response header (real Cognito emails it).
    codes: dict[str, str] = {}

    def capture_code(parsed: dict[str, Any], **_: Any) -> None:
        headers = parsed.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        if code := headers.get("x-moto-forgot-password-confirmation-code"):
            codes["last"] = code

    cognito.meta.events.register(
        "after-call.cognito-identity-provider.ForgotPassword", capture_code
    )

    settings = Settings(
        aws_region=REGION,
        cognito_user_pool_id=pool_id,
        cognito_client_id=client_id,
        cognito_jwks_url=f"{endpoint}/{pool_id}/.well-known/jwks.json",
    )
    assert settings.cognito_issuer and settings.cognito_jwks_url
    clock = ShiftedClock()
    keys = JwksKeySource(settings.cognito_jwks_url, timeout_s=5)
    profiles = CognitoProfiles(clients, clock=clock)

    def verifier_for(issuer: str, client_id: str) -> IdentityProvider:
        return CognitoTokenVerifier(
            keys=keys, issuer=issuer, client_id=client_id, clock=clock, profiles=profiles
        )

    return World(
        kind="cognito",
        auth=CognitoPasswordAuth(clients, client_id=client_id),
        admin=CognitoIdentityAdmin(clients, user_pool_id=pool_id),
        identity=verifier_for(settings.cognito_issuer, client_id),
        clock=clock,
        issuer=settings.cognito_issuer,
        client_id=client_id,
        verifier_for=verifier_for,
        reset_code=lambda _email: codes.get("last"),
    )


@pytest.fixture(params=["memory", "cognito"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    if request.param == "memory":
        yield memory_world()
        return
    endpoint = request.getfixturevalue("aws")
    async with AsyncExitStack() as stack:
        clients = AwsClients(
            AwsOptions(region=REGION, endpoint_url=endpoint, max_attempts=2), stack
        )
        yield await cognito_world(clients, endpoint)


@pytest.fixture(scope="module")
def foreign_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"alg": "RS256"})


async def _user(
    world: World,
    email: str = "cu@acme.example",
    *,
    role: Role = Role.CUSTOMER_USER,
    customer_id: str | None = ACME,
) -> tuple[str, Tokens]:
    """A confirmed user with password GOOD and fresh tokens."""
    subject = await world.admin.create_user(
        email, customer_id=customer_id, role=role, temporary_password=TEMP
    )
    await world.admin.set_password(email, GOOD, permanent=True)
    tokens = await world.auth.sign_in(email, GOOD)
    assert isinstance(tokens, Tokens)
    return subject, tokens


async def _roles(world: World, tokens: Tokens) -> tuple[Role, Role]:
    by_id = await world.identity.verify(tokens.id_token)
    by_access = await world.identity.verify(tokens.access_token)
    return by_id.role, by_access.role


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# --- sign-in flows ---------------------------------------------------------------------------


async def test_a_temporary_password_must_be_replaced_then_tokens_verify(world: World) -> None:
    subject = await world.admin.create_user(
        "New.User@Acme.example", customer_id=ACME, temporary_password=TEMP
    )
    challenge = await world.auth.sign_in("new.user@acme.example", TEMP)
    assert isinstance(challenge, NewPasswordRequired)
    assert "session" not in repr(challenge)
    tokens = await world.auth.respond_new_password(challenge.email, challenge.session, GOOD)
    assert tokens.expires_in_s == 3600 and tokens.refresh_token
    assert "eyJ" not in repr(tokens)
    expected = Principal(
        user_id=subject, email="new.user@acme.example", role=Role.CUSTOMER_USER, customer_id=ACME
    )
    assert await world.identity.verify(tokens.id_token) == expected
    assert await world.identity.verify(tokens.access_token) == expected
    assert isinstance(await world.auth.sign_in("new.user@acme.example", GOOD), Tokens)


async def test_a_stale_or_bogus_new_password_session_is_refused(world: World) -> None:
    await world.admin.create_user("cu@acme.example", customer_id=ACME, temporary_password=TEMP)
    with pytest.raises(Unauthenticated):
        await world.auth.respond_new_password("cu@acme.example", "bogus", GOOD)
    with pytest.raises(Unauthenticated):
        await world.auth.respond_new_password("cu@acme.example", "x" * 64, GOOD)


async def test_bad_credentials_are_unauthenticated_without_revealing_the_user(
    world: World,
) -> None:
    await _user(world)
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("cu@acme.example", "Wrong-Pass-1")
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("nobody@acme.example", GOOD)


async def test_an_invited_user_gets_a_generated_password(world: World) -> None:
    subject = await world.admin.create_user("invited@acme.example", customer_id=ACME)
    assert subject
    with pytest.raises(Conflict):
        await world.admin.create_user("invited@acme.example", customer_id=ACME)
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("invited@acme.example", GOOD)


async def test_refresh_issues_new_tokens_for_the_same_user(world: World) -> None:
    subject, tokens = await _user(world)
    refreshed = await world.auth.refresh(tokens.refresh_token)
    assert refreshed.refresh_token == tokens.refresh_token
    assert (await world.identity.verify(refreshed.access_token)).user_id == subject
    assert (await world.identity.verify(refreshed.id_token)).customer_id == ACME
    with pytest.raises(Unauthenticated):
        await world.auth.refresh("not-a-refresh-token")


async def test_passwords_set_by_an_admin(world: World) -> None:
    await world.admin.create_user("cu@acme.example", customer_id=ACME, temporary_password=TEMP)
    await world.admin.set_password("cu@acme.example", GOOD, permanent=True)
    assert isinstance(await world.auth.sign_in("cu@acme.example", GOOD), Tokens)
    await world.admin.set_password("cu@acme.example", OTHER, permanent=False)
    assert isinstance(await world.auth.sign_in("cu@acme.example", OTHER), NewPasswordRequired)
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("cu@acme.example", GOOD)


async def test_weak_passwords_are_invalid_input(world: World) -> None:
    await world.admin.create_user("cu@acme.example", customer_id=ACME, temporary_password=TEMP)
    with pytest.raises(InvalidInput) as weak:
        await world.admin.set_password("cu@acme.example", "short", permanent=True)
    assert weak.value.issues[0].field == "password"
    challenge = await world.auth.sign_in("cu@acme.example", TEMP)
    assert isinstance(challenge, NewPasswordRequired)
    with pytest.raises(InvalidInput):
        await world.auth.respond_new_password(challenge.email, challenge.session, "alllowercase")


async def test_a_disabled_user_cannot_sign_in_or_refresh(world: World) -> None:
    _, tokens = await _user(world)
    await world.admin.disable_user("cu@acme.example")
    await world.admin.disable_user("cu@acme.example")  # idempotent
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("cu@acme.example", GOOD)
    with pytest.raises(Unauthenticated):
        await world.auth.refresh(tokens.refresh_token)
    await world.admin.enable_user("cu@acme.example")
    assert isinstance(await world.auth.sign_in("cu@acme.example", GOOD), Tokens)


async def test_forgot_password_sends_a_code_that_resets_it(world: World) -> None:
    await _user(world)
    await world.auth.forgot_password("nobody@acme.example")  # silent: no enumeration
    await world.auth.forgot_password("cu@acme.example")
    code = world.reset_code("cu@acme.example")
    assert code
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    with pytest.raises(InvalidInput) as bad:
        await world.auth.confirm_forgot_password("cu@acme.example", wrong, OTHER)
    assert bad.value.issues[0].field == "code"
    await world.auth.confirm_forgot_password("cu@acme.example", code, OTHER)
    assert isinstance(await world.auth.sign_in("cu@acme.example", OTHER), Tokens)
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("cu@acme.example", GOOD)


async def test_change_password_needs_the_old_one(world: World) -> None:
    _, tokens = await _user(world)
    with pytest.raises(Unauthenticated):
        await world.auth.change_password(tokens.access_token, "Wrong-Pass-1", OTHER)
    with pytest.raises(InvalidInput):
        await world.auth.change_password(tokens.access_token, GOOD, "weak")
    with pytest.raises(Unauthenticated):
        await world.auth.change_password("garbage", GOOD, OTHER)
    await world.auth.change_password(tokens.access_token, GOOD, OTHER)
    assert isinstance(await world.auth.sign_in("cu@acme.example", OTHER), Tokens)
    with pytest.raises(Unauthenticated):
        await world.auth.sign_in("cu@acme.example", GOOD)


# --- administration ------------------------------------------------------------------------


async def test_roles_come_from_groups_and_changes_show_in_new_tokens(world: World) -> None:
    _, tokens = await _user(world)
    assert await _roles(world, tokens) == (Role.CUSTOMER_USER, Role.CUSTOMER_USER)

    await world.admin.grant_role("cu@acme.example", Role.CUSTOMER_ADMIN)
    assert await _roles(world, tokens) == (Role.CUSTOMER_USER, Role.CUSTOMER_USER)  # old claims
    admin = await world.auth.refresh(tokens.refresh_token)
    assert await _roles(world, admin) == (Role.CUSTOMER_ADMIN, Role.CUSTOMER_ADMIN)

    await world.admin.grant_role("cu@acme.example", Role.PROVIDER_ADMIN)  # highest wins
    signed_in = await world.auth.sign_in("cu@acme.example", GOOD)
    assert isinstance(signed_in, Tokens)
    assert await _roles(world, signed_in) == (Role.PROVIDER_ADMIN, Role.PROVIDER_ADMIN)

    await world.admin.revoke_role("cu@acme.example", Role.PROVIDER_ADMIN)
    await world.admin.revoke_role("cu@acme.example", Role.CUSTOMER_ADMIN)
    await world.admin.revoke_role("cu@acme.example", Role.CUSTOMER_ADMIN)  # not a member: no-op
    await world.admin.grant_role("cu@acme.example", Role.CUSTOMER_USER)  # base role: no-op
    back = await world.auth.refresh(tokens.refresh_token)
    assert await _roles(world, back) == (Role.CUSTOMER_USER, Role.CUSTOMER_USER)


async def test_a_provider_admin_needs_no_customer_but_a_customer_user_does(world: World) -> None:
    subject, tokens = await _user(
        world, "pa@ursa.example", role=Role.PROVIDER_ADMIN, customer_id=None
    )
    principal = await world.identity.verify(tokens.id_token)
    assert principal == Principal(
        user_id=subject, email="pa@ursa.example", role=Role.PROVIDER_ADMIN, customer_id=None
    )
    assert await world.identity.verify(tokens.access_token) == principal
    with pytest.raises(InvalidInput):
        await world.admin.create_user("cu@acme.example", customer_id=None)
    await world.admin.revoke_role("pa@ursa.example", Role.PROVIDER_ADMIN)
    demoted = await world.auth.refresh(tokens.refresh_token)
    with pytest.raises(Unauthenticated):  # a customer role without a customer
        await world.identity.verify(demoted.id_token)


async def test_admin_operations_on_an_unknown_user_are_not_found(world: World) -> None:
    nobody = "nobody@acme.example"
    with pytest.raises(NotFound):
        await world.admin.set_password(nobody, GOOD, permanent=True)
    with pytest.raises(NotFound):
        await world.admin.grant_role(nobody, Role.CUSTOMER_ADMIN)
    with pytest.raises(NotFound):
        await world.admin.disable_user(nobody)
    with pytest.raises(NotFound):
        await world.admin.enable_user(nobody)


async def test_a_user_name_must_be_an_email(world: World) -> None:
    with pytest.raises(InvalidInput):
        await world.admin.create_user("not-an-email", customer_id=ACME, temporary_password=TEMP)


# --- token verification failures -----------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "not-a-jwt", "a.b.c", "a.b", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 20000],
)
async def test_garbage_is_unauthenticated(world: World, garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        await world.identity.verify(garbage)


async def test_a_token_for_another_audience_or_issuer_is_refused(world: World) -> None:
    _, tokens = await _user(world)
    for verifier in (
        world.verifier_for(world.issuer, "some-other-client"),
        world.verifier_for(
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other", world.client_id
        ),
    ):
        for token in (tokens.id_token, tokens.access_token):
            with pytest.raises(Unauthenticated):
                await verifier.verify(token)


async def test_a_tampered_token_is_refused(world: World) -> None:
    _, tokens = await _user(world)
    header, payload, signature = tokens.id_token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    claims = _claims(tokens.id_token) | {"custom:customer_id": "globex-bio-7d20e4c1"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for token in (f"{header}.{payload}.{flipped}", f"{header}.{forged_payload}.{signature}"):
        with pytest.raises(Unauthenticated):
            await world.identity.verify(token)


async def test_a_token_signed_by_another_key_with_the_pools_kid_is_refused(
    world: World, foreign_key: RSAKey
) -> None:
    _, tokens = await _user(world)
    for real in (tokens.id_token, tokens.access_token):
        kid = jws.extract_compact(real.encode()).headers()["kid"]
        forged = jwt.encode({"alg": "RS256", "kid": kid}, _claims(real), foreign_key)
        with pytest.raises(Unauthenticated):
            await world.identity.verify(forged)


async def test_an_expired_token_is_refused(world: World) -> None:
    _, tokens = await _user(world)
    world.clock.advance(3600 + 60)
    for token in (tokens.id_token, tokens.access_token):
        with pytest.raises(Unauthenticated) as expired:
            await world.identity.verify(token)
        assert expired.value.code == "TOKEN_EXPIRED"


async def test_the_issuer_is_the_aws_issuer_not_the_emulator(world: World) -> None:
    _, tokens = await _user(world)
    for token in (tokens.id_token, tokens.access_token):
        claims = _claims(token)
        assert claims["iss"] == world.issuer
        assert claims["exp"] - claims["iat"] == 3600
    if world.kind == "cognito":
        assert world.issuer.startswith(f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_")
