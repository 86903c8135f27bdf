"""Who may see and change customers, users and tokens: invisible → NotFound, visible but
not allowed → Forbidden, bad input → InvalidInput."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from builders import (
    ACME,
    ACME_ADMIN,
    ACME_COLLEAGUE,
    ACME_USER,
    GLOBEX,
    GLOBEX_ADMIN,
    NOW,
    PROVIDER,
)
from ursa.domain import account_rules as rules
from ursa.domain.customers import ApiToken, User
from ursa.domain.errors import Forbidden, InvalidInput, NotFound
from ursa.domain.principals import Principal, Role, Scope


def _user(p: Principal) -> User:
    return User(
        user_id=p.user_id,
        email=p.email,
        display_name=p.email,
        role=p.role,
        customer_id=p.customer_id,
        created_at=NOW,
    )


SAM, ADA, CAL, GIL, PAT = (
    _user(p) for p in (ACME_USER, ACME_ADMIN, ACME_COLLEAGUE, GLOBEX_ADMIN, PROVIDER)
)
READ_ONLY_ADMIN = replace(ACME_ADMIN, scopes=frozenset({Scope.READ}))

Error = type[Exception] | None


def _check(error: Error, call: object, *args: object) -> None:
    assert callable(call)
    if error is None:
        call(*args)
    else:
        with pytest.raises(error):
            call(*args)


@pytest.mark.parametrize(
    ("principal", "customer_id", "error"),
    [
        (ACME_USER, ACME, None),
        (ACME_ADMIN, ACME, None),
        (GLOBEX_ADMIN, ACME, NotFound),
        (PROVIDER, ACME, None),
        (PROVIDER, GLOBEX, None),
    ],
)
def test_a_customer_is_visible_to_its_users_and_the_provider(
    principal: Principal, customer_id: str, error: Error
) -> None:
    _check(error, rules.check_view_customer, principal, customer_id)


@pytest.mark.parametrize(
    ("principal", "fields", "error"),
    [
        (ACME_ADMIN, {"name", "billing_account", "cost_center"}, None),
        (ACME_ADMIN, {"name", "max_storage_gb"}, Forbidden),
        (ACME_ADMIN, {"credit_limit"}, Forbidden),
        (ACME_ADMIN, {"max_concurrent_worksets"}, Forbidden),
        (ACME_USER, {"name"}, Forbidden),
        (GLOBEX_ADMIN, {"name"}, NotFound),
        (PROVIDER, {"name", "max_storage_gb", "credit_limit", "max_concurrent_worksets"}, None),
        (READ_ONLY_ADMIN, {"name"}, Forbidden),
    ],
)
def test_customer_edits_quotas_are_the_providers(
    principal: Principal, fields: set[str], error: Error
) -> None:
    _check(error, rules.check_edit_customer, principal, ACME, fields)


def test_a_refused_quota_field_is_named() -> None:
    with pytest.raises(Forbidden, match="max_storage_gb") as refused:
        rules.check_edit_customer(ACME_ADMIN, ACME, ["cost_center", "max_storage_gb"])
    assert refused.value.code == "FIELD_NOT_EDITABLE"


def test_only_the_provider_creates_customers() -> None:
    rules.check_create_customer(PROVIDER)
    for principal in (ACME_ADMIN, ACME_USER, GLOBEX_ADMIN):
        with pytest.raises(Forbidden):
            rules.check_create_customer(principal)


@pytest.mark.parametrize(
    ("principal", "target", "error"),
    [
        (ACME_ADMIN, SAM, None),
        (ACME_ADMIN, CAL, None),
        (PROVIDER, SAM, None),
        (PROVIDER, ADA, None),
        (ACME_USER, SAM, Forbidden),  # themselves, but a customer_user administers nobody
        (ACME_USER, CAL, NotFound),  # a colleague is invisible to a customer_user
        (GLOBEX_ADMIN, SAM, NotFound),
        (ACME_ADMIN, PAT, NotFound),  # provider users are invisible to customers
        (ACME_ADMIN, ADA, Forbidden),  # nobody changes their own account here
        (PROVIDER, PAT, Forbidden),
        (READ_ONLY_ADMIN, SAM, Forbidden),
    ],
)
def test_who_administers_whom(principal: Principal, target: User, error: Error) -> None:
    _check(error, rules.check_administer_user, principal, target)


def test_a_customer_admin_never_administers_a_provider_user_of_their_customer() -> None:
    odd = replace(PAT, user_id="u-odd", customer_id=ACME)  # a provider admin with a tenant
    assert rules.can_see_user(ACME_ADMIN, odd)
    with pytest.raises(Forbidden, match="provider user"):
        rules.check_administer_user(ACME_ADMIN, odd)


@pytest.mark.parametrize(
    ("principal", "target", "role", "error"),
    [
        (ACME_ADMIN, SAM, Role.CUSTOMER_ADMIN, None),
        (ACME_ADMIN, CAL, Role.CUSTOMER_USER, None),
        (ACME_ADMIN, SAM, Role.PROVIDER_ADMIN, Forbidden),
        (PROVIDER, SAM, Role.PROVIDER_ADMIN, InvalidInput),
        (PROVIDER, replace(PAT, user_id="u-pa2"), Role.CUSTOMER_USER, InvalidInput),
    ],
)
def test_role_changes(principal: Principal, target: User, role: Role, error: Error) -> None:
    _check(error, rules.check_role_change, principal, target, role)


def test_listing_and_adding_users_needs_an_admin_of_that_customer() -> None:
    rules.check_manage_users(ACME_ADMIN, ACME, Scope.ADMIN)
    rules.check_manage_users(PROVIDER, GLOBEX, Scope.READ)
    with pytest.raises(Forbidden):
        rules.check_manage_users(ACME_USER, ACME, Scope.READ)
    with pytest.raises(NotFound):
        rules.check_manage_users(GLOBEX_ADMIN, ACME, Scope.READ)
    with pytest.raises(Forbidden, match="admin"):
        rules.check_manage_users(READ_ONLY_ADMIN, ACME, Scope.ADMIN)
    with pytest.raises(Forbidden):
        rules.check_new_user_role(ACME_ADMIN, Role.PROVIDER_ADMIN)


@pytest.mark.parametrize(
    ("principal", "owner", "error"),
    [
        (ACME_USER, SAM, None),
        (ACME_ADMIN, SAM, None),
        (ACME_ADMIN, ADA, None),
        (PROVIDER, GIL, None),
        (ACME_COLLEAGUE, SAM, NotFound),
        (GLOBEX_ADMIN, SAM, NotFound),
        (ACME_ADMIN, PAT, NotFound),
    ],
)
def test_another_users_tokens_are_hidden_unless_you_administer_them(
    principal: Principal, owner: User, error: Error
) -> None:
    _check(error, rules.check_token_owner, principal, owner)


def test_a_token_never_exceeds_its_creator() -> None:
    rules.check_token_grant(ACME_ADMIN, Role.CUSTOMER_USER, frozenset({Scope.READ}))
    with pytest.raises(Forbidden) as too_high:
        rules.check_token_grant(ACME_ADMIN, Role.PROVIDER_ADMIN, frozenset({Scope.READ}))
    assert too_high.value.code == "ROLE_TOO_HIGH"
    narrow = replace(ACME_ADMIN, scopes=frozenset({Scope.READ, Scope.ADMIN}))
    with pytest.raises(Forbidden, match="write") as wider:
        rules.check_token_grant(narrow, Role.CUSTOMER_USER, frozenset({Scope.WRITE}))
    assert wider.value.code == "SCOPE_NOT_HELD"
    with pytest.raises(Forbidden, match="admin"):  # a read/write token cannot mint tokens
        rules.check_token_grant(
            replace(ACME_USER, scopes=frozenset({Scope.READ, Scope.WRITE})),
            Role.CUSTOMER_USER,
            frozenset({Scope.READ}),
        )
    with pytest.raises(InvalidInput):
        rules.check_token_grant(ACME_USER, Role.CUSTOMER_USER, frozenset())


def test_every_token_expires_within_the_limit() -> None:
    default = rules.token_expiry(NOW, expires_in_days=None, expires_at=None)
    assert default == NOW + timedelta(days=rules.TOKEN_DEFAULT_DAYS)
    assert rules.token_expiry(NOW, expires_in_days=7, expires_at=None) == NOW + timedelta(7)
    exact = NOW + timedelta(days=3, hours=2)
    assert rules.token_expiry(NOW, expires_in_days=None, expires_at=exact) == exact
    bad: list[dict[str, Any]] = [
        {"expires_in_days": 0, "expires_at": None},
        {"expires_in_days": rules.TOKEN_MAX_DAYS + 1, "expires_at": None},
        {"expires_in_days": None, "expires_at": NOW},
        {
            "expires_in_days": None,
            "expires_at": NOW + timedelta(days=rules.TOKEN_MAX_DAYS, seconds=1),
        },
        {"expires_in_days": None, "expires_at": exact.replace(tzinfo=None)},
        {"expires_in_days": 7, "expires_at": exact},
    ]
    for kwargs in bad:
        with pytest.raises(InvalidInput):
            rules.token_expiry(NOW, **kwargs)


def test_token_state() -> None:
    token = ApiToken(
        token_id="tok-1",
        token_hash="0" * 64,
        name="t",
        user_id=SAM.user_id,
        customer_id=ACME,
        role=Role.CUSTOMER_USER,
        scopes=frozenset({Scope.READ}),
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    assert rules.token_state(token, NOW) == "active"
    assert rules.token_state(token, NOW + timedelta(days=1)) == "expired"
    assert rules.token_state(replace(token, revoked_at=NOW), NOW) == "revoked"


@pytest.mark.parametrize("value", ["", "AC-2291", "R&D / genomics", "x" * 64])
def test_billing_fields_accept_plain_text(value: str) -> None:
    assert rules.check_billing_field(value, "cost_center") == value


@pytest.mark.parametrize("value", ["-lead", "x" * 65, "tab\there", "<script>", "naïve"])
def test_billing_fields_refuse_the_rest(value: str) -> None:
    with pytest.raises(InvalidInput):
        rules.check_billing_field(value, "cost_center")
