"""Groups ↔ roles and the new-user rule shared by every identity adapter."""

from __future__ import annotations

import pytest

from ursa.domain.errors import InvalidInput
from ursa.domain.identity import (
    CUSTOMER_ADMINS,
    PROVIDER_ADMINS,
    check_new_user,
    group_for_role,
    normalise_email,
    role_from_groups,
)
from ursa.domain.principals import Role


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ([], Role.CUSTOMER_USER),
        (["everyone", "beta-testers"], Role.CUSTOMER_USER),
        ([CUSTOMER_ADMINS], Role.CUSTOMER_ADMIN),
        ([PROVIDER_ADMINS], Role.PROVIDER_ADMIN),
        ([CUSTOMER_ADMINS, PROVIDER_ADMINS], Role.PROVIDER_ADMIN),
        ([PROVIDER_ADMINS, "x", CUSTOMER_ADMINS], Role.PROVIDER_ADMIN),
    ],
)
def test_the_highest_group_wins(groups: list[str], role: Role) -> None:
    assert role_from_groups(groups) is role


@pytest.mark.parametrize("role", list(Role))
def test_every_role_round_trips_through_its_group(role: Role) -> None:
    group = group_for_role(role)
    assert role_from_groups([group] if group else []) is role


def test_only_provider_admins_may_lack_a_customer() -> None:
    check_new_user(None, Role.PROVIDER_ADMIN)
    check_new_user("acme", Role.CUSTOMER_USER)
    for role in (Role.CUSTOMER_USER, Role.CUSTOMER_ADMIN):
        with pytest.raises(InvalidInput):
            check_new_user(None, role)
        with pytest.raises(InvalidInput):
            check_new_user("", role)


def test_emails_are_compared_in_lower_case() -> None:
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
