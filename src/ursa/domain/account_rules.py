"""Who may see and change customers, users and API tokens (DOMAIN §1; §13 defects 3 and 8).

Pure rules in the house pattern: an invisible entity raises ``NotFound`` (no existence leak),
a visible one whose action the role or the token's scopes lack raises ``Forbidden``.

* Customers: a provider admin sees and edits every customer, quotas included, and is the only
  one who creates customers. Everyone else sees only their own customer; its
  ``customer_admin`` may change ``SELF_EDITABLE`` fields and never its quotas.
* Users: a provider admin administers every user; a ``customer_admin`` administers the users
  of their customer (never a provider user, never ``provider_admin``); a ``customer_user``
  sees only themselves. Nobody changes their own role, password or status here.
* Tokens: a token carries a role no higher and scopes no wider than its creator's, and
  expires. Another user's tokens are visible only to whoever may administer that user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from ursa.domain.customers import ApiToken, User
from ursa.domain.errors import Forbidden, InvalidInput, Issue, NotFound
from ursa.domain.principals import ROLE_RANK, Principal, Role, Scope

SELF_EDITABLE = frozenset({"name", "billing_account", "cost_center"})
"""What a customer's own admin may change."""
QUOTA_FIELDS = frozenset({"max_concurrent_worksets", "max_storage_gb", "credit_limit"})
"""Provider-only fields (defect 3: customers set their own quotas)."""
EDITABLE = SELF_EDITABLE | QUOTA_FIELDS
ASSIGNABLE_ROLES = frozenset({Role.CUSTOMER_USER, Role.CUSTOMER_ADMIN})
"""The roles a customer's user can hold; ``provider_admin`` belongs to provider users."""

TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 730
MAX_ACTIVE_TOKENS = 25
"""Usable (not revoked, not expired) tokens per user."""

BILLING_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9 &+,._/:#-]{0,63})?$")
"""Billing account and cost centre: empty, or 1-64 plain characters."""

NOT_FOUND_CUSTOMER = "customer not found"
NOT_FOUND_USER = "user not found"
NOT_FOUND_TOKEN = "token not found"  # noqa: S105  (a message)


def require_scope(principal: Principal, scope: Scope) -> None:
    """Token scopes narrow the role: reads need ``read``, account changes ``admin``."""
    if scope not in principal.scopes:
        raise Forbidden(f"this credential lacks the '{scope}' scope", code="SCOPE_MISSING")


# -- customers ------------------------------------------------------------------------------


def can_see_customer(principal: Principal, customer_id: str) -> bool:
    return principal.is_provider_admin or principal.customer_id == customer_id


def check_view_customer(principal: Principal, customer_id: str) -> None:
    if not can_see_customer(principal, customer_id):
        raise NotFound(NOT_FOUND_CUSTOMER)
    require_scope(principal, Scope.READ)


def check_create_customer(principal: Principal) -> None:
    require_scope(principal, Scope.ADMIN)
    if not principal.is_provider_admin:
        raise Forbidden("only the provider creates customers")


def check_edit_customer(principal: Principal, customer_id: str, fields: Iterable[str]) -> None:
    """``fields`` are the ones the request sets; each must be editable by the caller."""
    if not can_see_customer(principal, customer_id):
        raise NotFound(NOT_FOUND_CUSTOMER)
    require_scope(principal, Scope.ADMIN)
    if principal.role is Role.CUSTOMER_USER:
        raise Forbidden("your role may not edit the customer")
    allowed = EDITABLE if principal.is_provider_admin else SELF_EDITABLE
    refused = sorted(set(fields) - allowed)
    if refused:
        names = ", ".join(refused)
        raise Forbidden(
            f"only the provider may change {names}; a customer admin may change "
            f"{', '.join(sorted(SELF_EDITABLE))}",
            code="FIELD_NOT_EDITABLE",
        )


def check_billing_field(value: str, field: str) -> str:
    if not BILLING_RE.fullmatch(value):
        message = f"{field} must be empty or 1-64 letters, digits, spaces and & + , . _ / : # -"
        raise InvalidInput.single(field, "BAD_VALUE", message)
    return value


# -- users ----------------------------------------------------------------------------------


def check_manage_users(principal: Principal, customer_id: str, scope: Scope) -> None:
    """Listing (``read``) or adding (``admin``) the users of a customer."""
    if not can_see_customer(principal, customer_id):
        raise NotFound(NOT_FOUND_CUSTOMER)
    require_scope(principal, scope)
    if principal.role is Role.CUSTOMER_USER:
        raise Forbidden("your role may not manage the customer's users")


def check_new_user_role(principal: Principal, role: Role) -> None:
    if role in ASSIGNABLE_ROLES:
        return
    if not principal.is_provider_admin:
        raise Forbidden("only the provider may grant provider_admin")
    raise InvalidInput.single(
        "role", "NOT_ASSIGNABLE", "provider_admin is for provider users, not a customer's users"
    )


def can_see_user(principal: Principal, user: User) -> bool:
    if principal.is_provider_admin or principal.user_id == user.user_id:
        return True
    return principal.role is Role.CUSTOMER_ADMIN and principal.customer_id == user.customer_id


def can_administer(principal: Principal, user: User) -> bool:
    """Provider admins: everyone; customer admins: their customer's users below provider."""
    if principal.is_provider_admin:
        return True
    return (
        principal.role is Role.CUSTOMER_ADMIN
        and user.customer_id is not None
        and principal.customer_id == user.customer_id
        and ROLE_RANK[user.role] <= ROLE_RANK[Role.CUSTOMER_ADMIN]
    )


def check_administer_user(principal: Principal, user: User) -> None:
    """Role, password and status changes of ``user`` by someone else."""
    if not can_see_user(principal, user):
        raise NotFound(NOT_FOUND_USER)
    require_scope(principal, Scope.ADMIN)
    if principal.role is Role.CUSTOMER_USER:
        raise Forbidden("your role may not administer users")
    if not can_administer(principal, user):
        raise Forbidden("a customer admin cannot change a provider user")
    if principal.user_id == user.user_id:
        raise Forbidden(
            "you cannot change your own account here; ask another admin",
            code="SELF_ADMINISTRATION",
        )


def check_role_change(principal: Principal, user: User, role: Role) -> None:
    check_administer_user(principal, user)
    if user.customer_id is None:
        raise InvalidInput.single(
            "role", "PROVIDER_USER", "a provider user keeps the provider_admin role"
        )
    check_new_user_role(principal, role)


# -- tokens ---------------------------------------------------------------------------------


def check_token_owner(principal: Principal, owner: User) -> None:
    """Tokens of ``owner``: their own, or a user the caller may administer; else NotFound."""
    if principal.user_id != owner.user_id and not can_administer(principal, owner):
        raise NotFound(NOT_FOUND_TOKEN)


def check_token_grant(principal: Principal, role: Role, scopes: frozenset[Scope]) -> None:
    """Creating a token needs ``admin`` (a stolen read/write token cannot mint a successor);
    the new token's role and scopes never exceed the caller's."""
    require_scope(principal, Scope.ADMIN)
    if not scopes:
        raise InvalidInput.single("scopes", "REQUIRED", "name at least one scope")
    missing = sorted(scopes - principal.scopes)
    if missing:
        raise Forbidden(
            f"a token cannot carry scopes you do not hold: {', '.join(missing)}",
            code="SCOPE_NOT_HELD",
        )
    if ROLE_RANK[role] > ROLE_RANK[principal.role]:
        raise Forbidden("a token cannot carry a role higher than yours", code="ROLE_TOO_HIGH")


def token_expiry(
    now: datetime, *, expires_in_days: int | None, expires_at: datetime | None
) -> datetime:
    """Every token expires: ``TOKEN_DEFAULT_DAYS`` unless told, never after
    ``TOKEN_MAX_DAYS``."""
    latest = now + timedelta(days=TOKEN_MAX_DAYS)
    if expires_in_days is not None and expires_at is not None:
        message = "give expires_in_days or expires_at, not both"
        raise InvalidInput(
            message,
            (
                Issue(field="expires_in_days", code="EXCLUSIVE", message=message),
                Issue(field="expires_at", code="EXCLUSIVE", message=message),
            ),
        )
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput.single(
                "expires_at", "BAD_VALUE", "expires_at needs a time zone (end it with Z)"
            )
        if not now < expires_at <= latest:
            raise InvalidInput.single(
                "expires_at",
                "OUT_OF_RANGE",
                f"expires_at must be in the future and within {TOKEN_MAX_DAYS} days",
            )
        return expires_at
    days = TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise InvalidInput.single(
            "expires_in_days", "OUT_OF_RANGE", f"expires_in_days must be 1 to {TOKEN_MAX_DAYS}"
        )
    return now + timedelta(days=days)


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
