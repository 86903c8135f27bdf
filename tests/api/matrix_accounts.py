"""The matrix's rows for me, customers, users and tokens, and for billing and audit (a
customer's own records), with their bodies and checks."""

from __future__ import annotations

from dataclasses import replace

import httpx
from matrix_vocabulary import (
    CREATED,
    OK,
    After,
    Expect,
    F,
    H,
    Payload,
    Row,
    Rows,
    U,
    cells,
)
from tenancy_world import ANONYMOUS, EMAILS, OWNER, PRINCIPALS, World

from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.domain.customers import Customer, User
from ursa.domain.errors import Unauthenticated
from ursa.domain.principals import Role

# -- me, customers, users, tokens --

ACCOUNTS_CUSTOMER = "/api/v1/customers/{customer_id:str}"
ACCOUNTS_USER = "/api/v1/users/{user_id:str}"
MATRIX_PASSWORD = "Matrix-Passw0rd!"


def _tag(principal: str) -> str:
    return principal.replace("_", "-")


def new_customer(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Matrix {_tag(principal)}", "bucket": f"mx-{_tag(principal)}"})


def rename_customer(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Renamed by {_tag(principal)}"})


def invite_user(world: World, principal: str) -> Payload:
    email = f"invited-{_tag(principal)}@acme.example"
    return Payload(json={"email": email, "display_name": "Matrix Invitee"})


def grant_admin(world: World, principal: str) -> Payload:
    return Payload(json={"role": "customer_admin"})


def new_password(world: World, principal: str) -> Payload:
    return Payload(json={"password": MATRIX_PASSWORD, "permanent": True})


def new_token(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"matrix {_tag(principal)}", "scopes": ["read"]})


def _customers(world: World) -> dict[str, Customer]:
    return {c.customer_id: c for c in world.run(world.container.ports.directory.list_customers())}


def _owner(world: World) -> User:
    return world.run(world.container.ports.directory.user_by_email(EMAILS[OWNER]))


def _identity(world: World) -> InMemoryIdentity:
    identity = world.container.ports.identity_admin
    assert isinstance(identity, InMemoryIdentity)
    return identity


def customer_created_only_if_allowed(world: World, principal: str) -> After:
    before = _customers(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _customers(world)
        created = [c for cid, c in now.items() if cid not in before]
        assert len(created) == int(expect.allowed), principal
        assert {cid: now[cid] for cid in before} == before

    return after


def customer_renamed_only_if_allowed(world: World, principal: str) -> After:
    before = _customers(world)[world.subject.customer_id]

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _customers(world)[world.subject.customer_id]
        if expect.allowed:
            assert now.name == f"Renamed by {_tag(principal)}"
            assert now.version == before.version + 1
        else:
            assert now == before, f"a refused edit by {principal} changed the customer"

    return after


def user_added_only_if_allowed(world: World, principal: str) -> After:
    email = f"invited-{_tag(principal)}@acme.example"

    def after(expect: Expect, response: httpx.Response) -> None:
        users = world.run(world.container.ports.directory.list_users())
        added = [u for u in users if u.email == email]
        assert len(added) == int(expect.allowed), principal
        if added:
            assert added[0].customer_id == world.subject.customer_id
            assert _identity(world).last_secret(email, "invitation")

    return after


def owner_role_only_if_allowed(world: World, principal: str) -> After:
    before = _owner(world)
    assert before.role is Role.CUSTOMER_USER

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _owner(world)
        assert now == (replace(before, role=Role.CUSTOMER_ADMIN) if expect.allowed else before)

    return after


def owner_password_only_if_allowed(world: World, principal: str) -> After:
    def after(expect: Expect, response: httpx.Response) -> None:
        try:
            world.run(_identity(world).sign_in(EMAILS[OWNER], MATRIX_PASSWORD))
        except Unauthenticated:
            assert not expect.allowed, principal
        else:
            assert expect.allowed, f"a refused password change by {principal} took effect"

    return after


def owner_disabled_only_if_allowed(world: World, principal: str) -> After:
    before = _owner(world)
    assert not before.disabled

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _owner(world).disabled == expect.allowed, principal

    return after


def owner_enabled_only_if_allowed(world: World, principal: str) -> After:
    """The owner starts disabled (so the owner's own token is refused: 401)."""
    disabled = replace(_owner(world), disabled=True)
    world.run(world.container.ports.directory.put_user(disabled))
    world.run(_identity(world).disable_user(disabled.email))

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _owner(world).disabled == (not expect.allowed), principal

    return after


def _token_counts(world: World) -> dict[str, int]:
    tokens = world.container.ports.tokens
    return {
        p: len(world.run(tokens.for_user(world.user_id(p)))) for p in PRINCIPALS if p != ANONYMOUS
    }


def token_created_only_if_allowed(world: World, principal: str) -> After:
    before = _token_counts(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        grown = {p: n for p, n in _token_counts(world).items() if n != before[p]}
        assert grown == ({principal: before[principal] + 1} if expect.allowed else {})

    return after


def owner_token_revoked_only_if_allowed(world: World, principal: str) -> After:
    token_id = world.owner_token_id

    def after(expect: Expect, response: httpx.Response) -> None:
        token = world.run(world.container.ports.tokens.by_id(token_id))
        assert (token.revoked_at is not None) == expect.allowed, principal

    return after


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
ACCOUNT_ROWS: Rows = {
    # -- me, customers, users, tokens --
    ("GET", "/api/v1/me"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/customers"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", "/api/v1/customers"): Row(
        expect=cells(U, F, F, F, F, CREATED),
        payload=new_customer,
        check=customer_created_only_if_allowed,
    ),
    ("GET", ACCOUNTS_CUSTOMER): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", ACCOUNTS_CUSTOMER): Row(
        expect=cells(U, F, OK, F, H, OK),
        payload=rename_customer,
        check=customer_renamed_only_if_allowed,
    ),
    ("GET", f"{ACCOUNTS_CUSTOMER}/users"): Row(expect=cells(U, F, OK, F, H, OK)),
    ("POST", f"{ACCOUNTS_CUSTOMER}/users"): Row(
        expect=cells(U, F, CREATED, F, H, CREATED),
        payload=invite_user,
        check=user_added_only_if_allowed,
    ),
    ("POST", f"{ACCOUNTS_USER}/role"): Row(
        expect=cells(U, F, OK, H, H, OK), payload=grant_admin, check=owner_role_only_if_allowed
    ),
    ("POST", f"{ACCOUNTS_USER}/password"): Row(
        expect=cells(U, F, OK, H, H, OK),
        payload=new_password,
        check=owner_password_only_if_allowed,
    ),
    ("POST", f"{ACCOUNTS_USER}/disable"): Row(
        expect=cells(U, F, OK, H, H, OK), check=owner_disabled_only_if_allowed
    ),
    ("POST", f"{ACCOUNTS_USER}/enable"): Row(
        # The owner starts disabled, so the owner's own token is refused.
        expect=cells(U, U, OK, H, H, OK),
        check=owner_enabled_only_if_allowed,
    ),
    ("GET", "/api/v1/tokens"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", "/api/v1/tokens"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, CREATED, CREATED),
        payload=new_token,
        check=token_created_only_if_allowed,
    ),
    ("DELETE", "/api/v1/tokens/{token_id:str}"): Row(
        expect=cells(U, OK, OK, H, H, OK), check=owner_token_revoked_only_if_allowed
    ),
    ("GET", "/api/v1/tokens/{token_id:str}/usage"): Row(expect=cells(U, OK, OK, H, H, OK)),
}

BILLING_ROWS: Rows = {
    # -- billing and audit --
    # Customers read their own customer's billing (a customer_user: own worksets, no invoice);
    # naming another customer is 404. Provider admins must name the customer.
    ("GET", "/api/v1/billing/usage"): Row(
        expect=cells(U, OK, OK, OK, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/billing/worksets"): Row(
        expect=cells(U, OK, OK, OK, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}/costs"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/billing/invoice"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/billing/export.csv"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/audit"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/audit/verify"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
}
