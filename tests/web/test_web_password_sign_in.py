"""Email + password sign-in (production shape: no dev picker, an identity provider configured).

The identity provider is the in-memory twin of Cognito with the seeded users' emails; the
directory is the seeded product's. Both mappings from tokens to the Ursa user are run: with
``container.identity`` (the ID token is verified and names the email) and without (the
typed email is looked up in the directory)."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey
from litestar import Litestar
from litestar.testing import TestClient
from web_portal import HTMX, all_worksets, make_client

from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.identity_keys import LocalSigningKeys, PasswordHasher, new_signing_key
from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import Container, build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.audit import AuditAction
from ursa.domain.ports.identity import NewPasswordRequired, SignInResult, Tokens

PASSWORD = "Right-Pass-42"
TEMPORARY = "Temp-Pass-17"
NEW = "Fresh-Pass-99"
SAM, ADA, UMA = "sam@acme.example", "ada@acme.example", "uma@globex.example"
NEWCOMER = "gil@globex.example"
"""Still on the temporary password the operator gave them."""
GHOST = "ghost@acme.example"
"""Known to the identity provider, unknown to Ursa's directory."""
REFUSED = "Email or password is wrong."
SESSION = "session"


@dataclass
class RecordingPasswords:
    """The twin, recording every sign-in it is asked for and the challenges it hands out."""

    twin: InMemoryIdentity
    asked: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)

    async def sign_in(self, email: str, password: str) -> SignInResult:
        self.asked.append(email)
        result = await self.twin.sign_in(email, password)
        if isinstance(result, NewPasswordRequired):
            self.challenges.append(result.session)
        return result

    async def respond_new_password(self, email: str, session: str, new_password: str) -> Tokens:
        return await self.twin.respond_new_password(email, session, new_password)

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self.twin.refresh(refresh_token)

    async def forgot_password(self, email: str) -> None:
        await self.twin.forgot_password(email)

    async def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None:
        await self.twin.confirm_forgot_password(email, code, new_password)

    async def change_password(
        self, access_token: str, old_password: str, new_password: str
    ) -> None:
        await self.twin.change_password(access_token, old_password, new_password)


@dataclass
class Site:
    client: TestClient[Any]
    container: Container
    passwords: RecordingPasswords

    def csrf(self) -> str:
        token = self.client.cookies.get("csrftoken")
        if token is None:
            self.client.get("/sign-in")
            token = self.client.cookies.get("csrftoken")
        assert token
        return token

    def sign_in(
        self, email: str, password: str, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        data = {"email": email, "password": password, "_csrf_token": self.csrf()}
        return self.client.post("/sign-in", data=data, headers=headers or {})

    def new_password(self, password: str, confirm: str | None = None) -> httpx.Response:
        data = {"password": password, "confirm": confirm or password, "_csrf_token": self.csrf()}
        return self.client.post("/sign-in/new-password", data=data)

    def signed_in_as(self) -> str | None:
        page = self.client.get("/worksets")
        if page.status_code != 200:
            return None
        found = re.search(r'<p class="menu-email">([^<]+)</p>', page.text)
        return found.group(1) if found else None

    def disable_in_directory(self, email: str) -> None:
        directory = self.container.ports.directory
        user = asyncio.run(directory.user_by_email(email))
        asyncio.run(directory.put_user(replace(user, disabled=True)))


async def _identity_users(container: Container, twin: InMemoryIdentity) -> None:
    for email in (SAM, ADA, UMA, NEWCOMER):
        user = await container.ports.directory.user_by_email(email)
        await twin.create_user(
            email, customer_id=user.customer_id, role=user.role, temporary_password=TEMPORARY
        )
        if email != NEWCOMER:
            await twin.set_password(email, PASSWORD, permanent=True)
    await twin.create_user(GHOST, customer_id="acme", temporary_password=TEMPORARY)
    await twin.set_password(GHOST, PASSWORD, permanent=True)


@functools.cache
def _signing_key() -> RSAKey:
    return new_signing_key()  # slow: one per test session


def open_site(*, verify_tokens: bool = True, auth_budget: str = "100/minute") -> Container:
    settings = Settings(env=Environment.TEST, dev_sign_in=False, rate_limit_auth=auth_budget)
    container = build_in_memory(settings)
    assert container.objects is not None
    asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    twin = InMemoryIdentity(
        clock=container.ports.clock,
        keys=LocalSigningKeys(_signing_key()),
        hasher=PasswordHasher(n=2**8),
    )
    asyncio.run(_identity_users(container, twin))
    return replace(
        container,
        passwords=RecordingPasswords(twin),
        identity=twin if verify_tokens else None,
    )


def _site(container: Container) -> Iterator[Site]:
    assert isinstance(container.passwords, RecordingPasswords)
    with make_client(container) as client:
        yield Site(client=client, container=container, passwords=container.passwords)


@pytest.fixture(params=[True, False], ids=["verified-token", "directory-email"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """Both ways from tokens to the Ursa user."""
    yield from _site(open_site(verify_tokens=request.param))


@pytest.fixture
def limited_site() -> Iterator[Site]:
    yield from _site(open_site(auth_budget="3/minute"))


# -- the form ------------------------------------------------------------------------------------


def test_the_page_is_an_email_and_password_form_with_csrf(site: Site) -> None:
    page = site.client.get("/sign-in")
    assert page.status_code == 200
    assert 'id="sign-in-form"' in page.text
    assert 'action="/sign-in"' in page.text and 'hx-post="/sign-in"' in page.text
    assert 'type="email"' in page.text and 'name="email"' in page.text
    assert 'type="password"' in page.text and 'autocomplete="current-password"' in page.text
    assert 'name="_csrf_token"' in page.text
    assert 'name="user_id"' not in page.text and SAM not in page.text  # no dev picker


def test_without_a_csrf_token_nobody_is_signed_in(site: Site) -> None:
    site.csrf()
    response = site.client.post("/sign-in", data={"email": SAM, "password": PASSWORD})
    assert response.status_code == 403
    assert site.passwords.asked == []
    assert site.signed_in_as() is None


# -- signing in ----------------------------------------------------------------------------------


def test_right_password_signs_in_and_opens_the_worksets(site: Site) -> None:
    response = site.sign_in("  Sam@ACME.example ", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/worksets"
    assert site.client.cookies.get(SESSION)
    assert site.signed_in_as() == SAM


def test_signing_in_replaces_the_session_and_its_id(site: Site) -> None:
    assert site.sign_in(ADA, PASSWORD).status_code == 303
    before = site.client.cookies.get(SESSION)
    assert before
    assert site.sign_in(SAM, PASSWORD).status_code == 303
    after = site.client.cookies.get(SESSION)
    assert after and after != before
    assert site.signed_in_as() == SAM
    site.client.cookies.set(SESSION, before)  # whoever held the id from before sign-in
    assert site.signed_in_as() is None


def test_an_htmx_sign_in_leaves_for_the_worksets_with_a_full_page_load(site: Site) -> None:
    response = site.sign_in(SAM, PASSWORD, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/worksets"
    assert site.signed_in_as() == SAM


def _refusal(site: Site, email: str, password: str) -> tuple[int, str]:
    response = site.sign_in(email, password)
    return response.status_code, response.text.replace(email, "<email>")


def test_wrong_password_and_unknown_email_get_the_same_answer(site: Site) -> None:
    wrong = _refusal(site, SAM, "Wrong-Pass-1")
    unknown = _refusal(site, "nobody@acme.example", "Wrong-Pass-1")
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]
    assert REFUSED in wrong[1]
    assert site.signed_in_as() is None


def test_a_refusal_keeps_the_email_and_clears_the_password(site: Site) -> None:
    response = site.sign_in(SAM, "Wrong-Pass-1")
    assert response.status_code == 401
    assert f'value="{SAM}"' in response.text
    assert "Wrong-Pass-1" not in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize("who", ["disabled-in-ursa", "disabled-in-provider", "not-in-ursa"])
def test_disabled_and_unknown_users_are_refused_like_a_wrong_password(site: Site, who: str) -> None:
    email = GHOST if who == "not-in-ursa" else UMA
    if who == "disabled-in-ursa":
        site.disable_in_directory(UMA)
    if who == "disabled-in-provider":
        assert isinstance(site.container.passwords, RecordingPasswords)
        asyncio.run(site.container.passwords.twin.disable_user(UMA))
    status, text = _refusal(site, email, PASSWORD)
    assert (status, text) == _refusal(site, "nobody@acme.example", PASSWORD)
    assert site.signed_in_as() is None


def test_an_htmx_refusal_answers_the_form_region_only(site: Site) -> None:
    response = site.sign_in(SAM, "Wrong-Pass-1", headers=HTMX)
    assert response.status_code == 401
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<form id="sign-in-form"')
    assert REFUSED in response.text
    assert "hx-redirect" not in response.headers


def test_empty_fields_are_asked_for_without_asking_the_provider(site: Site) -> None:
    response = site.sign_in(SAM, "")
    assert response.status_code == 422
    assert "Enter your email and password." in response.text
    assert site.passwords.asked == []


# -- a temporary password ------------------------------------------------------------------------


def test_a_temporary_password_leads_through_choosing_a_new_one(site: Site) -> None:
    site.sign_in(ADA, PASSWORD)  # someone signed in on this browser before
    earlier = site.client.cookies.get(SESSION)
    challenge = site.sign_in(NEWCOMER, TEMPORARY)
    assert challenge.status_code == 200
    assert "Choose a new password" in challenge.text
    assert 'action="/sign-in/new-password"' in challenge.text
    (session,) = site.passwords.challenges
    assert session not in challenge.text  # the provider's session stays on the server
    pending = site.client.cookies.get(SESSION)
    assert pending and pending != earlier  # the challenge is kept under a new id
    assert site.signed_in_as() is None  # not signed in yet, and Ada is signed out

    weak = site.new_password("short")
    assert weak.status_code == 422
    assert "at least 8 characters" in weak.text
    mismatch = site.new_password(NEW, "Other-Pass-1")
    assert mismatch.status_code == 422
    assert "not the same" in mismatch.text

    done = site.new_password(NEW)
    assert done.status_code == 303
    assert done.headers["location"] == "/worksets"
    assert site.client.cookies.get(SESSION) not in (None, earlier, pending)
    assert site.signed_in_as() == NEWCOMER
    user = asyncio.run(site.container.ports.directory.user_by_email(NEWCOMER))
    assert user.customer_id
    head = asyncio.run(site.container.ports.audit.head(user.customer_id))
    assert head is not None and head.action == AuditAction.USER_PASSWORD
    assert head.target == f"user:{user.user_id}"

    assert site.sign_in(NEWCOMER, TEMPORARY).status_code == 401
    assert site.sign_in(NEWCOMER, NEW).status_code == 303


def test_choosing_a_new_password_without_a_pending_sign_in_is_refused(site: Site) -> None:
    response = site.new_password(NEW)
    assert response.status_code == 401
    assert "Your sign-in has expired. Sign in again." in response.text
    assert 'action="/sign-in"' in response.text
    assert site.signed_in_as() is None


def test_a_used_challenge_cannot_be_replayed(site: Site) -> None:
    site.sign_in(NEWCOMER, TEMPORARY)
    jar = httpx.Cookies(site.client.cookies)  # the pending challenge's session
    assert site.new_password(NEW).status_code == 303
    site.client.cookies = jar
    again = site.new_password("Another-Pass-3")
    assert again.status_code == 401
    assert "expired" in again.text
    assert site.sign_in(NEWCOMER, NEW).status_code == 303


def test_new_password_needs_the_csrf_token(site: Site) -> None:
    site.sign_in(NEWCOMER, TEMPORARY)
    response = site.client.post("/sign-in/new-password", data={"password": NEW, "confirm": NEW})
    assert response.status_code == 403
    assert site.signed_in_as() is None


# -- throttling ----------------------------------------------------------------------------------


def test_guessing_is_limited_per_client_address(limited_site: Site) -> None:
    site = limited_site
    for _ in range(3):
        assert site.sign_in(SAM, "Wrong-Pass-1").status_code == 401
    limited = site.sign_in(SAM, PASSWORD)  # even the right password, once the budget is spent
    assert limited.status_code == 429
    assert "Too many sign-in attempts" in limited.text
    assert f'value="{SAM}"' in limited.text and PASSWORD not in limited.text
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-remaining"] == "0"
    assert len(site.passwords.asked) == 3  # the provider was not asked a fourth time
    assert site.signed_in_as() is None


# -- the other sign-in modes are unchanged ------------------------------------------------------


def test_with_dev_sign_in_the_picker_stays_even_with_passwords_configured() -> None:
    container = open_site()
    container = replace(container, settings=replace(container.settings, dev_sign_in=True))
    with make_client(container) as client:
        page = client.get("/sign-in")
        assert 'name="user_id"' in page.text
        assert 'name="password"' not in page.text
        token = client.cookies.get("csrftoken")
        data = {"password": NEW, "confirm": NEW, "_csrf_token": token}
        assert client.post("/sign-in/new-password", data=data).status_code == 404
        assert all_worksets(container)  # the seeded product is there


def _paths(app: Litestar) -> set[str]:
    return {route.path for route in app.routes}


async def _never_booted(stack: AsyncExitStack) -> Container:
    raise AssertionError("the route table is read without starting the app")


@pytest.mark.parametrize(("client_id", "mounted"), [("ursa-portal", True), (None, False)])
def test_an_app_booting_its_container_mounts_password_sign_in_for_a_cognito_client(
    client_id: str | None, mounted: bool
) -> None:
    """``ursa serve`` with real adapters builds the container at start-up (``build_aws``
    gives it a ``CognitoPasswordAuth`` exactly when the client id is set)."""
    settings = Settings(env=Environment.TEST, dev_sign_in=False, cognito_client_id=client_id)
    app = create_app(settings=settings, boot=_never_booted)
    assert ("/sign-in/new-password" in _paths(app)) is mounted
    dev = create_app(settings=replace(settings, dev_sign_in=True), boot=_never_booted)
    assert "/sign-in/new-password" not in _paths(dev)
