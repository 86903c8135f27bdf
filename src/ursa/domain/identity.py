"""Identity groups ↔ roles: the one mapping every identity adapter uses.

A user's role is carried by group membership in the identity provider (``cognito:groups`` in a
token). No admin group means ``customer_user``; when a user is in several groups the highest
role wins, so revoking one admin group never leaves a stale higher role behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ursa.domain.errors import InvalidInput
from ursa.domain.principals import ROLE_RANK, Role

PROVIDER_ADMINS = "provider_admins"
CUSTOMER_ADMINS = "customer_admins"

ROLE_GROUPS: Mapping[Role, str] = MappingProxyType(
    {Role.PROVIDER_ADMIN: PROVIDER_ADMINS, Role.CUSTOMER_ADMIN: CUSTOMER_ADMINS}
)
"""The group that grants each role above ``customer_user`` (which needs no group)."""

GROUP_ROLES: Mapping[str, Role] = MappingProxyType({g: r for r, g in ROLE_GROUPS.items()})

CUSTOMER_ID_ATTRIBUTE = "custom:customer_id"
"""The user attribute (and ID-token claim) that names the user's tenant."""


def role_from_groups(groups: Iterable[str]) -> Role:
    """The highest role any of ``groups`` grants; unknown groups are ignored."""
    roles = [GROUP_ROLES[g] for g in groups if g in GROUP_ROLES]
    return max(roles, key=ROLE_RANK.__getitem__, default=Role.CUSTOMER_USER)


def group_for_role(role: Role) -> str | None:
    """The group that grants ``role``; None for ``customer_user``, the base role."""
    return ROLE_GROUPS.get(role)


def check_new_user(customer_id: str | None, role: Role) -> None:
    """Only provider admins may exist without a customer (``Principal`` enforces the same)."""
    if role is not Role.PROVIDER_ADMIN and not customer_id:
        raise InvalidInput.single(
            "customer_id", "REQUIRED", "a customer user or admin needs a customer id"
        )


def normalise_email(email: str) -> str:
    """User names are emails, compared case-insensitively: every adapter sends this form."""
    return email.strip().lower()
